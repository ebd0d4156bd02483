import { createEventLogger, createMemorySink, type AuditEvent } from '@auditrail/core'
import { createAuditedService, READ_ONLY, type RpcAuditMapping } from '@auditrail/grpc'
import * as grpc from '@grpc/grpc-js'
import { afterEach, describe, expect, it } from 'vitest'
import { grpcError, labService, startLab, type LabHarness } from './lab-service.js'

const running: LabHarness[] = []
afterEach(async () => {
  await Promise.all(running.splice(0).map((lab) => lab.close()))
})

let progress = 0
const mapping: RpcAuditMapping = {
  Set: READ_ONLY,
  Edit: READ_ONLY,
  Read: READ_ONLY,
  Upload: READ_ONLY,
  Watch: { action: 'evaluation_start', capture: () => ({ progress }), details: ({ request }) => ({ split_name: (request as { split: string }).split }) },
}

async function serveWatch(handler: grpc.handleServerStreamingCall<unknown, unknown>) {
  const sink = createMemorySink()
  const logger = createEventLogger({ sinks: [sink] })
  const lab = await startLab(createAuditedService(labService, { Watch: handler }, { logger, rpcs: mapping }))
  running.push(lab)
  return { sink, logger, lab }
}

describe('server-streaming RPCs', () => {
  it('are logged once, when the stream ends, with the state after it', async () => {
    progress = 0
    const { sink, lab } = await serveWatch((call) => {
      const send = (batch: number): void => {
        if (batch > 3) {
          call.end()
          return
        }
        progress = batch
        call.write({ batch })
        setImmediate(send, batch + 1)
      }
      send(1)
    })
    await expect(lab.watch({ split: 'val' })).resolves.toEqual([{ batch: 1 }, { batch: 2 }, { batch: 3 }])
    expect(sink.events.map((e) => [e.action_type, e.status, e.details])).toEqual([
      ['evaluation_start', 'success', { split_name: 'val', before: { progress: 0 }, after: { progress: 3 } }],
    ])
  })

  it('log an error ending the stream as failed; the caller gets that error', async () => {
    const { sink, lab } = await serveWatch((call) => {
      call.write({ batch: 1 })
      call.emit('error', grpcError(grpc.status.INVALID_ARGUMENT, 'Unknown split: "dev"'))
    })
    await expect(lab.watch({ split: 'dev' })).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT, details: 'Unknown split: "dev"' })
    expect(sink.events.map((e) => [e.status, e.error])).toEqual([['failed', 'Unknown split: "dev"']])
  })

  it('log a thrown exception and a rejected promise as failed', async () => {
    const thrown = await serveWatch(() => {
      throw new Error('no GPU')
    })
    await expect(thrown.lab.watch({ split: 'val' })).rejects.toMatchObject({ code: grpc.status.UNKNOWN })
    expect(thrown.sink.events.map((e) => [e.status, e.error])).toEqual([['failed', 'no GPU']])

    const rejected = await serveWatch(async () => {
      await Promise.resolve()
      throw grpcError(grpc.status.RESOURCE_EXHAUSTED, 'evaluation queue full')
    })
    await expect(rejected.lab.watch({ split: 'val' })).rejects.toMatchObject({ code: grpc.status.RESOURCE_EXHAUSTED, details: 'evaluation queue full' })
    expect(rejected.sink.events.map((e) => [e.status, e.error])).toEqual([['failed', 'evaluation queue full']])
  })

  it('log a stream the client cancels as failed, once', async () => {
    let serverCall: grpc.ServerWritableStream<unknown, unknown> | undefined
    const { sink, logger, lab } = await serveWatch((call) => {
      serverCall = call
      call.write({ batch: 1 })
      // Never ends by itself: only the client's cancel stops it.
      call.on('cancelled', () => call.end())
    })
    const logged = new Promise<AuditEvent>((resolve) => logger.events$.subscribe(resolve))
    const outcome = lab.watch({ split: 'val' }, (_message, call) => call.cancel()).catch((e: grpc.ServiceError) => e.code)
    await expect(outcome).resolves.toBe(grpc.status.CANCELLED)
    await expect(logged).resolves.toMatchObject({ action_type: 'evaluation_start', status: 'failed', error: 'Cancelled by the client' })
    expect(serverCall?.cancelled).toBe(true)
    expect(sink.events).toHaveLength(1)
  })
})
