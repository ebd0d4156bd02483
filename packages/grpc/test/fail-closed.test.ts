import { AuditrailError, createEventLogger, createMemorySink, type AuditSink } from '@auditrail/core'
import { createAuditedService, READ_ONLY, type RpcAuditMapping } from '@auditrail/grpc'
import * as grpc from '@grpc/grpc-js'
import { afterEach, describe, expect, it } from 'vitest'
import { labService, startLab, type LabHarness } from './lab-service.js'

const running: LabHarness[] = []
afterEach(async () => {
  await Promise.all(running.splice(0).map((lab) => lab.close()))
})

/** A sink that can be broken and mended, standing in for a full disk. */
function createSwitchableSink(): AuditSink & { broken: boolean; readonly written: string[] } {
  const written: string[] = []
  return {
    name: 'switchable',
    broken: false,
    written,
    write(event) {
      if (this.broken) throw new AuditrailError('io', 'cannot append: ENOSPC', { component: 'switchable', file: '/srv/secret/audit_log.json' })
      written.push(`${event.action_type}:${event.status}:${event.error ?? ''}`)
    },
    close() {},
  }
}

/** A counter behind a `Set` RPC: the action whose performance fail-closed must prevent. */
function counterService() {
  const state = { value: 0, runs: 0 }
  const implementation = {
    Set(call: grpc.ServerUnaryCall<{ by: number }, unknown>, callback: grpc.sendUnaryData<unknown>) {
      state.runs += 1
      state.value += call.request.by
      callback(null, { value: state.value })
    },
    Watch(call: grpc.ServerWritableStream<unknown, unknown>) {
      state.runs += 1
      call.end()
    },
  }
  const rpcs: RpcAuditMapping = {
    Set: { action: 'hp_change', capture: () => ({ value: state.value }) },
    Watch: { action: 'evaluation_start' },
    Edit: READ_ONLY,
    Read: READ_ONLY,
    Upload: READ_ONLY,
  }
  return { state, implementation, rpcs }
}

async function serve(wrapped: grpc.UntypedServiceImplementation): Promise<LabHarness> {
  const lab = await startLab(wrapped)
  running.push(lab)
  return lab
}

const codeAndDetails = (error: grpc.ServiceError): [number, string] => [error.code, error.details]

describe('fail-closed mode', () => {
  it('refuses every call with UNAVAILABLE, without running the handler, when the logger is closed', async () => {
    const { state, implementation, rpcs } = counterService()
    const logger = createEventLogger({ sinks: [createMemorySink()] })
    const lab = await serve(createAuditedService(labService, implementation, { logger, rpcs, failClosed: true, onAuditError: () => {} }))
    await expect(lab.unary('Set', { by: 1 })).resolves.toEqual({ value: 1 })
    logger.close()
    const refusal = await lab.unary('Set', { by: 5 }).catch(codeAndDetails)
    expect(refusal).toEqual([grpc.status.UNAVAILABLE, 'audit log unavailable (closed): Set was not performed'])
    await expect(lab.watch({})).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE })
    expect(state).toEqual({ value: 1, runs: 1 })
  })

  it('answers UNAVAILABLE when the write fails, then refuses calls until the log accepts a write again', async () => {
    const { state, implementation, rpcs } = counterService()
    const sink = createSwitchableSink()
    const reported: string[] = []
    const logger = createEventLogger({ sinks: [sink] })
    const lab = await serve(createAuditedService(labService, implementation, { logger, rpcs, failClosed: true, onAuditError: (e) => reported.push(e.code) }))

    await lab.unary('Set', { by: 1 })
    sink.broken = true
    // The write comes after the handler, so the call that discovers the failure has run; its caller is told so.
    const discovering = await lab.unary('Set', { by: 10 }).catch(codeAndDetails)
    expect(discovering).toEqual([grpc.status.UNAVAILABLE, 'audit log unavailable (io): Set ran but could not be audited'])
    expect(state).toEqual({ value: 11, runs: 2 })

    // From now on nothing runs: the trainer (here, the counter) is left unchanged.
    for (const by of [100, 1000]) {
      const refused = await lab.unary('Set', { by }).catch(codeAndDetails)
      expect(refused).toEqual([grpc.status.UNAVAILABLE, 'audit log unavailable (io): Set was not performed'])
    }
    await expect(lab.watch({})).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE })
    expect(state).toEqual({ value: 11, runs: 2 })

    // Once the log works again, the next refused call is recorded as refused, and the one after it runs.
    sink.broken = false
    await expect(lab.unary('Set', { by: 7 })).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE })
    await expect(lab.unary('Set', { by: 3 })).resolves.toEqual({ value: 14 })
    expect(sink.written).toEqual(['hp_change:success:', 'hp_change:failed:refused: the audit log could not be written (fail-closed)', 'hp_change:success:'])
    expect(reported.length).toBeGreaterThan(0)
    expect(reported.every((code) => code === 'io')).toBe(true)
  })

  it('refuses a call whose action cannot be chosen, without running it', async () => {
    const { state, implementation, rpcs } = counterService()
    const logger = createEventLogger({ sinks: [createMemorySink()] })
    const broken: RpcAuditMapping = {
      ...rpcs,
      Set: {
        action: () => {
          throw new Error('unknown command')
        },
      },
    }
    const lab = await serve(createAuditedService(labService, implementation, { logger, rpcs: broken, failClosed: true, onAuditError: () => {} }))
    await expect(lab.unary('Set', { by: 1 })).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE, details: 'audit log unavailable (invalid): Set was not performed' })
    expect(state.runs).toBe(0)
  })

  it('is off by default: the handler runs and answers, the failure is reported', async () => {
    const { state, implementation, rpcs } = counterService()
    const sink = createSwitchableSink()
    sink.broken = true
    const reported: string[] = []
    const logger = createEventLogger({ sinks: [sink] })
    const lab = await serve(createAuditedService(labService, implementation, { logger, rpcs, onAuditError: (e) => reported.push(e.message) }))
    await expect(lab.unary('Set', { by: 2 })).resolves.toEqual({ value: 2 })
    await expect(lab.unary('Set', { by: 2 })).resolves.toEqual({ value: 4 })
    expect(state.runs).toBe(2)
    expect(reported).toEqual(['[auditrail] [switchable] cannot append: ENOSPC (/srv/secret/audit_log.json)', '[auditrail] [switchable] cannot append: ENOSPC (/srv/secret/audit_log.json)'])
  })
})
