import { createEventLogger, createMemorySink, type AuditrailError } from '@auditrail/core'
import { createAuditedService, READ_ONLY, type AuditErrorContext, type RpcAuditMapping } from '@auditrail/grpc'
import * as grpc from '@grpc/grpc-js'
import { afterEach, describe, expect, it } from 'vitest'
import { grpcError, labService, startLab, type LabHarness } from './lab-service.js'

// The lab's state: one value per key, so before/after are real.
type Store = Map<string, number>
const running: LabHarness[] = []
afterEach(async () => {
  await Promise.all(running.splice(0).map((lab) => lab.close()))
})

function setup(implementation: grpc.UntypedServiceImplementation, rpcs: RpcAuditMapping, extra: { onAuditError?: (e: AuditrailError, c: AuditErrorContext) => void } = {}) {
  const sink = createMemorySink()
  const logger = createEventLogger({ sinks: [sink] })
  const wrapped = createAuditedService(labService, implementation, { logger, rpcs, ...extra })
  return { sink, logger, wrapped }
}

async function serve(wrapped: grpc.UntypedServiceImplementation): Promise<LabHarness> {
  const lab = await startLab(wrapped)
  running.push(lab)
  return lab
}

const store: Store = new Map()
const setRpc = {
  action: 'hp_change',
  capture: () => Object.fromEntries(store),
  details: ({ request, response }: { request: { key: string; value: number }; response: unknown }) => ({ changed_params: { [request.key]: request.value }, answer: response ?? null }),
}
const baseMapping: RpcAuditMapping = { Set: setRpc, Edit: { action: 'tag_add' }, Read: READ_ONLY, Watch: READ_ONLY, Upload: READ_ONLY }

describe('unary RPCs', () => {
  it('logs one success event with before/after and the details, and the caller gets the response', async () => {
    store.clear()
    store.set('lr', 0.1)
    const { sink, wrapped } = setup(
      {
        Set(call: grpc.ServerUnaryCall<{ key: string; value: number }, unknown>, callback: grpc.sendUnaryData<unknown>) {
          store.set(call.request.key, call.request.value)
          callback(null, { ok: true })
        },
      },
      baseMapping,
    )
    const lab = await serve(wrapped)
    await expect(lab.unary('Set', { key: 'lr', value: 0.01 })).resolves.toEqual({ ok: true })
    expect(sink.events).toHaveLength(1)
    expect(sink.events[0]).toMatchObject({
      action_type: 'hp_change',
      status: 'success',
      error: null,
      details: { changed_params: { lr: 0.01 }, answer: { ok: true }, before: { lr: 0.1 }, after: { lr: 0.01 } },
    })
  })

  it('logs a callback error as failed with its message; the caller gets the same code and details', async () => {
    const { sink, wrapped } = setup({ Set: (_call: unknown, callback: grpc.sendUnaryData<unknown>) => callback(grpcError(grpc.status.NOT_FOUND, 'no such key')) }, baseMapping)
    const lab = await serve(wrapped)
    await expect(lab.unary('Set', { key: 'x', value: 1 })).rejects.toMatchObject({ code: grpc.status.NOT_FOUND, details: 'no such key' })
    expect(sink.events.map((e) => [e.action_type, e.status, e.error])).toEqual([['hp_change', 'failed', 'no such key']])
  })

  it('logs a thrown exception as failed and lets grpc-js answer it as it would without the wrapper', async () => {
    const handler = (): void => {
      throw new Error('handler exploded')
    }
    const { sink, wrapped } = setup({ Set: handler }, baseMapping)
    const plain = await serve({ Set: handler })
    const audited = await serve(wrapped)
    const unwrappedAnswer = await plain.unary('Set', { key: 'x', value: 1 }).catch((e: grpc.ServiceError) => [e.code, e.details])
    const wrappedAnswer = await audited.unary('Set', { key: 'x', value: 1 }).catch((e: grpc.ServiceError) => [e.code, e.details])
    expect(wrappedAnswer).toEqual(unwrappedAnswer)
    expect(wrappedAnswer).toEqual([grpc.status.UNKNOWN, 'Unknown error'])
    expect(sink.events.map((e) => [e.status, e.error])).toEqual([['failed', 'handler exploded']])
  })

  it('logs a rejected promise as failed and answers with its code instead of leaving the call hanging', async () => {
    const { sink, wrapped } = setup(
      {
        async Set() {
          await Promise.resolve()
          throw grpcError(grpc.status.FAILED_PRECONDITION, 'training is paused')
        },
        async Edit() {
          await Promise.resolve()
          throw 'a bare string'
        },
      },
      baseMapping,
    )
    const lab = await serve(wrapped)
    await expect(lab.unary('Set', { key: 'x', value: 1 })).rejects.toMatchObject({ code: grpc.status.FAILED_PRECONDITION, details: 'training is paused' })
    await expect(lab.unary('Edit', {})).rejects.toMatchObject({ code: grpc.status.UNKNOWN, details: 'a bare string' })
    expect(sink.events.map((e) => [e.action_type, e.status, e.error])).toEqual([
      ['hp_change', 'failed', 'training is paused'],
      ['tag_add', 'failed', 'a bare string'],
    ])
  })

  it('logs an async handler that answers through the callback once, as a success', async () => {
    const { sink, wrapped } = setup(
      {
        async Set(_call: unknown, callback: grpc.sendUnaryData<unknown>) {
          await Promise.resolve()
          callback(null, { ok: 1 })
          callback(null, { ok: 2 })
        },
      },
      baseMapping,
    )
    const lab = await serve(wrapped)
    await expect(lab.unary('Set', { key: 'x', value: 1 })).resolves.toEqual({ ok: 1 })
    expect(sink.events.map((e) => e.status)).toEqual(['success'])
  })

  it('chooses the action type from the request and hands metadata and peer to the details', async () => {
    const { sink, wrapped } = setup(
      { Edit: (_call: unknown, callback: grpc.sendUnaryData<unknown>) => callback(null, {}) },
      {
        ...baseMapping,
        Edit: {
          action: (request: { op: string }) => (request.op === 'add' ? 'tag_add' : 'tag_remove'),
          details: ({ request, metadata, peer, rpc }) => ({ tag_name: (request as { tag: string }).tag, user: String(metadata.get('x-user')[0]), rpc, loopback: peer.includes('127.0.0.1') }),
        },
      },
    )
    const lab = await serve(wrapped)
    const metadata = new grpc.Metadata()
    metadata.set('x-user', 'ada')
    await lab.unary('Edit', { op: 'add', tag: 'defect' }, metadata)
    await lab.unary('Edit', { op: 'remove', tag: 'defect' }, metadata)
    expect(sink.events.map((e) => [e.action_type, e.details])).toEqual([
      ['tag_add', { tag_name: 'defect', user: 'ada', rpc: 'Edit', loopback: true }],
      ['tag_remove', { tag_name: 'defect', user: 'ada', rpc: 'Edit', loopback: true }],
    ])
  })

  it('never logs a read-only RPC', async () => {
    const { sink, wrapped } = setup({ Read: (_call: unknown, callback: grpc.sendUnaryData<unknown>) => callback(null, { value: 42 }) }, baseMapping)
    const lab = await serve(wrapped)
    await expect(lab.unary('Read', {})).resolves.toEqual({ value: 42 })
    await expect(lab.unary('Read', {})).resolves.toEqual({ value: 42 })
    expect(sink.events).toEqual([])
  })

  it('fail-open: a log that cannot be written reaches onAuditError, and the caller still gets the answer', async () => {
    const reported: Array<[string, AuditErrorContext]> = []
    const failing = { logEvent: () => {
      throw new Error('disk on fire')
    } }
    const wrapped = createAuditedService(labService, { Set: (_c: unknown, cb: grpc.sendUnaryData<unknown>) => cb(null, { ok: true }) }, {
      logger: failing,
      rpcs: baseMapping,
      onAuditError: (error, context) => reported.push([`${error.code}: ${error.message}`, context]),
    })
    const lab = await serve(wrapped)
    await expect(lab.unary('Set', { key: 'k', value: 1 })).resolves.toEqual({ ok: true })
    expect(reported).toEqual([['io: [auditrail] [grpc] Set: the audit event could not be written: disk on fire', { rpc: 'Set', actionType: 'hp_change', request: { key: 'k', value: 1 } }]])
  })

  it('fail-open: a mapping that throws is reported as invalid and the call goes through', async () => {
    const reported: string[] = []
    const { sink, wrapped } = setup(
      { Edit: (_c: unknown, cb: grpc.sendUnaryData<unknown>) => cb(null, { done: true }) },
      {
        ...baseMapping,
        Edit: {
          action: 'tag_add',
          details: () => {
            throw new Error('bug in mapping')
          },
        },
      },
      { onAuditError: (error) => reported.push(`${error.code}: ${error.message}`) },
    )
    const lab = await serve(wrapped)
    await expect(lab.unary('Edit', {})).resolves.toEqual({ done: true })
    expect(sink.events).toEqual([])
    expect(reported).toEqual(["invalid: [auditrail] [grpc] Edit: the audit mapping's details threw: bug in mapping"])
  })
})

describe('the mapping is checked when the wrapper is created', () => {
  const logger = createEventLogger()
  const attempt = (rpcs: RpcAuditMapping, implementation: grpc.UntypedServiceImplementation = {}) => () => createAuditedService(labService, implementation, { logger, rpcs })

  it('refuses an RPC left out, naming it', () => {
    const { Upload: _upload, Watch: _watch, ...partial } = baseMapping
    expect(attempt(partial)).toThrow("[auditrail] [grpc] rpcs: no audit mapping for Watch, Upload; map each RPC or mark it 'read-only'")
  })

  it('refuses a name the service lacks, an audited client-streaming RPC, and an RPC mapped twice', () => {
    expect(attempt({ ...baseMapping, Delete: READ_ONLY })).toThrow('the service has no RPC named Delete')
    expect(attempt({ ...baseMapping, Upload: { action: 'tag_add' } })).toThrow('only unary and server-streaming RPCs can be audited')
    expect(attempt({ ...baseMapping, set: READ_ONLY })).toThrow('Set is mapped twice (also as set)')
  })

  it('refuses a missing or empty action and a non-function details, with code options', () => {
    expect(attempt({ ...baseMapping, Set: { action: '' } })).toThrow(expect.objectContaining({ code: 'options', field: 'rpcs.Set.action' }))
    expect(attempt({ ...baseMapping, Set: { action: 'hp_change', details: 'x' as never } })).toThrow('rpcs.Set.details: expected a function')
    expect(() => createAuditedService(labService, {}, { logger: {} as never, rpcs: baseMapping })).toThrow('logger: expected an object with a logEvent method')
  })

  it("accepts grpc-js's camelCase names and wraps the handler found under either name", async () => {
    const sink = createMemorySink()
    const camel: RpcAuditMapping = { set: { action: 'hp_change' }, edit: { action: 'tag_add' }, read: READ_ONLY, watch: READ_ONLY, upload: READ_ONLY }
    const wrapped = createAuditedService(labService, { set: (_c: unknown, cb: grpc.sendUnaryData<unknown>) => cb(null, {}) }, { logger: createEventLogger({ sinks: [sink] }), rpcs: camel })
    const lab = await serve(wrapped)
    await lab.unary('Set', {})
    expect(sink.events.map((e) => e.action_type)).toEqual(['hp_change'])
  })
})
