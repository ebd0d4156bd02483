import { createHash } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import * as grpc from '@grpc/grpc-js'

/** The proxy tests' proto. */
export const PROXY_TEST_PROTO = fileURLToPath(new URL('../fixtures/proxy-test.proto', import.meta.url))

const identity = (value: Buffer): Buffer => value
const UNLIMITED = { 'grpc.max_receive_message_length': -1, 'grpc.max_send_message_length': -1 }

/** What the raw backend saw of one call. */
export interface SeenCall {
  readonly path: string
  /** The request metadata's entries the client set (`x-*` and `*-bin`). */
  readonly metadata: Record<string, (string | Buffer)[]>
  readonly messages: Buffer[]
  /** Milliseconds left until the deadline when the call arrived (Infinity: none). */
  readonly deadlineLeftMs: number
  cancelled: boolean
}

/** A backend of the Echo service that works on raw bytes, so that tests see exactly what crossed the proxy. */
export interface RawEchoBackend {
  readonly address: string
  readonly calls: SeenCall[]
  close(): Promise<void>
}

function userMetadata(metadata: grpc.Metadata): Record<string, (string | Buffer)[]> {
  const map = metadata.getMap()
  const out: Record<string, (string | Buffer)[]> = {}
  for (const key of Object.keys(map)) if (key.startsWith('x-') || key.endsWith('-bin')) out[key] = metadata.get(key)
  return out
}

function deadlineLeft(call: { getDeadline(): grpc.Deadline }): number {
  const deadline = call.getDeadline()
  return deadline === Infinity ? Infinity : (deadline instanceof Date ? deadline.getTime() : deadline) - Date.now()
}

/** The answer a call is told to give by its request metadata: `x-fail: <code>` fails with details and trailers. */
function failureOf(metadata: grpc.Metadata): grpc.ServiceError | undefined {
  const code = metadata.get('x-fail')[0]
  if (code === undefined) return undefined
  const trailers = new Metadata()
  trailers.set('x-trailer', 'failing')
  trailers.set('trailer-bin', Buffer.from([0, 1, 2, 255]))
  return Object.assign(new Error('told to fail'), { code: Number(code), details: `told to fail: ünïcode details ${String(code)}`, metadata: trailers })
}

const { Metadata } = grpc

function responseMetadata(): grpc.Metadata {
  const metadata = new Metadata()
  metadata.set('x-initial', 'hello')
  metadata.set('initial-bin', Buffer.from([9, 8, 7]))
  return metadata
}

function trailers(): grpc.Metadata {
  const metadata = new Metadata()
  metadata.set('x-trailer', 'bye')
  metadata.set('trailer-bin', Buffer.from([255, 0, 128]))
  return metadata
}

/** sha256 of messages joined, as a response body: what the client-streaming method answers. */
export function digestOf(messages: readonly Buffer[]): Buffer {
  const hash = createHash('sha256')
  for (const message of messages) hash.update(message)
  return hash.digest()
}

/**
 * Starts the raw Echo backend: Unary echoes its request's bytes; ServerStream answers `x-count` messages (default 3)
 * each the request's bytes with its index appended, `x-delay-ms` apart; ClientStream answers the sha256 of all
 * messages; Bidi echoes each message. Every call sends initial metadata and trailers; `x-fail: <code>` fails it.
 */
export async function startRawEchoBackend(): Promise<RawEchoBackend> {
  const calls: SeenCall[] = []
  const server = new grpc.Server(UNLIMITED)
  const method = (name: string, requestStream: boolean, responseStream: boolean): grpc.MethodDefinition<Buffer, Buffer> => ({
    path: `/proxytest.Echo/${name}`,
    requestStream,
    responseStream,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  })
  const seen = (path: string, call: { metadata: grpc.Metadata; getDeadline(): grpc.Deadline; on(event: 'cancelled', listener: () => void): unknown }): SeenCall => {
    const record: SeenCall = { path, metadata: userMetadata(call.metadata), messages: [], deadlineLeftMs: deadlineLeft(call), cancelled: false }
    call.on('cancelled', () => (record.cancelled = true))
    calls.push(record)
    return record
  }
  server.addService(
    { Unary: method('Unary', false, false), ServerStream: method('ServerStream', false, true), ClientStream: method('ClientStream', true, false), Bidi: method('Bidi', true, true) },
    {
      Unary(call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) {
        const record = seen('Unary', call)
        record.messages.push(call.request)
        call.sendMetadata(responseMetadata())
        const delay = Number(call.metadata.get('x-delay-ms')[0] ?? 0)
        setTimeout(() => {
          const failure = failureOf(call.metadata)
          if (failure !== undefined) callback(failure)
          else callback(null, call.request, trailers())
        }, delay)
      },
      ServerStream(call: grpc.ServerWritableStream<Buffer, Buffer>) {
        const record = seen('ServerStream', call)
        record.messages.push(call.request)
        call.sendMetadata(responseMetadata())
        const count = Number(call.metadata.get('x-count')[0] ?? 3)
        const delay = Number(call.metadata.get('x-delay-ms')[0] ?? 0)
        let sent = 0
        const next = (): void => {
          if (call.cancelled) return
          if (sent === count) {
            const failure = failureOf(call.metadata)
            if (failure !== undefined) call.emit('error', failure)
            else call.end(trailers())
            return
          }
          call.write(Buffer.concat([call.request, Buffer.from([sent++])]))
          setTimeout(next, delay)
        }
        next()
      },
      ClientStream(call: grpc.ServerReadableStream<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) {
        const record = seen('ClientStream', call)
        call.sendMetadata(responseMetadata())
        call.on('data', (message: Buffer) => record.messages.push(message))
        call.on('end', () => {
          const failure = failureOf(call.metadata)
          if (failure !== undefined) callback(failure)
          else callback(null, digestOf(record.messages), trailers())
        })
      },
      Bidi(call: grpc.ServerDuplexStream<Buffer, Buffer>) {
        const record = seen('Bidi', call)
        call.sendMetadata(responseMetadata())
        call.on('data', (message: Buffer) => {
          record.messages.push(message)
          call.write(message)
        })
        call.on('end', () => {
          const failure = failureOf(call.metadata)
          if (failure !== undefined) call.emit('error', failure)
          else call.end(trailers())
        })
      },
    },
  )
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))))
  return {
    address: `127.0.0.1:${port}`,
    calls,
    close: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  }
}

/** A raw grpc-js client: bytes in, bytes out. */
export function rawClient(address: string): grpc.Client {
  return new grpc.Client(address, grpc.credentials.createInsecure(), UNLIMITED)
}

/** Everything a client observed of one call. */
export interface Observed {
  readonly messages: Buffer[]
  readonly initial: Record<string, (string | Buffer)[]> | undefined
  readonly status: { code: number; details: string; trailers: Record<string, (string | Buffer)[]> }
}

function observe(call: grpc.ClientUnaryCall | grpc.ClientReadableStream<Buffer> | grpc.ClientWritableStream<Buffer> | grpc.ClientDuplexStream<Buffer, Buffer>, messages: Buffer[]): Promise<Observed> {
  let initial: Record<string, (string | Buffer)[]> | undefined
  call.on('metadata', (metadata: grpc.Metadata) => (initial = userMetadata(metadata)))
  ;(call as NodeJS.EventEmitter).on('data', (message: Buffer) => messages.push(message))
  ;(call as NodeJS.EventEmitter).on('error', () => undefined)
  return new Promise((resolve) => call.on('status', (status: grpc.StatusObject) => setImmediate(() => resolve({ messages, initial, status: { code: status.code, details: status.details, trailers: userMetadata(status.metadata) } }))))
}

/** Request metadata of the tests: text, binary, and what the backend is told to do. */
export function requestMetadata(entries: Record<string, string> = {}): grpc.Metadata {
  const metadata = new Metadata()
  metadata.set('x-request', 'value')
  metadata.add('x-multi', 'one')
  metadata.add('x-multi', 'two')
  metadata.set('request-bin', Buffer.from([0, 255, 10, 13]))
  for (const [key, value] of Object.entries(entries)) metadata.set(key, value)
  return metadata
}

/** Calls one Echo method of `kind` raw and resolves with everything observed. */
export function callEcho(
  client: grpc.Client,
  kind: 'Unary' | 'ServerStream' | 'ClientStream' | 'Bidi',
  messages: readonly Buffer[],
  metadata: grpc.Metadata,
  options: grpc.CallOptions = {},
): { done: Promise<Observed>; call: grpc.ClientUnaryCall | grpc.ClientReadableStream<Buffer> | grpc.ClientWritableStream<Buffer> | grpc.ClientDuplexStream<Buffer, Buffer> } {
  const path = `/proxytest.Echo/${kind}`
  const received: Buffer[] = []
  const keep = (error: grpc.ServiceError | null, value?: Buffer): void => {
    if (error === null && value !== undefined) received.push(value)
  }
  switch (kind) {
    case 'Unary': {
      const call = client.makeUnaryRequest(path, identity, identity, messages[0] ?? Buffer.alloc(0), metadata, options, keep)
      return { call, done: observe(call, received) }
    }
    case 'ServerStream': {
      const call = client.makeServerStreamRequest(path, identity, identity, messages[0] ?? Buffer.alloc(0), metadata, options)
      return { call, done: observe(call, received) }
    }
    case 'ClientStream': {
      const call = client.makeClientStreamRequest(path, identity, identity, metadata, options, keep)
      for (const message of messages) call.write(message)
      call.end()
      return { call, done: observe(call, received) }
    }
    case 'Bidi': {
      const call = client.makeBidiStreamRequest(path, identity, identity, metadata, options)
      for (const message of messages) call.write(message)
      call.end()
      return { call, done: observe(call, received) }
    }
  }
}

/** The Store service of the test proto, with proto-loader messages: the audit tests' backend. */
export interface StoreBackend {
  readonly address: string
  readonly values: Map<string, number>
  /** Calls received, by method name. */
  readonly received: Record<string, number>
  close(): Promise<void>
}

/** Loads the test proto the way a normal application would (proto-loader + grpc-js). */
export async function loadTestProto(): Promise<grpc.GrpcObject> {
  const protoLoader = await import('@grpc/proto-loader')
  return grpc.loadPackageDefinition(protoLoader.loadSync(PROXY_TEST_PROTO, { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true }))
}

type StoreRequest = { key?: string; value?: number; set?: { key: string; value: number } | null; remove_keys?: string[]; note?: string; count?: number; fail?: boolean }

/**
 * Starts the Store backend: SetValue answers `success: false` for an empty key and waits 300 ms for key `slow`;
 * Command sets, removes and notes; Watch streams `count` snapshots 20 ms apart (then fails when `fail`).
 */
export async function startStoreBackend(): Promise<StoreBackend> {
  const proto = await loadTestProto()
  const Store = (proto['proxytest'] as grpc.GrpcObject)['Store'] as grpc.ServiceClientConstructor
  const values = new Map<string, number>()
  const received: Record<string, number> = {}
  const count = (name: string): void => void (received[name] = (received[name] ?? 0) + 1)
  const snapshot = () => ({ entries: [...values].map(([key, value]) => ({ key, value })) })
  const server = new grpc.Server()
  server.addService(Store.service, {
    SetValue(call: grpc.ServerUnaryCall<StoreRequest, unknown>, callback: grpc.sendUnaryData<unknown>) {
      count('SetValue')
      const { key = '', value = 0 } = call.request
      if (key === '') return callback(null, { success: false, message: 'key is required' })
      setTimeout(
        () => {
          values.set(key, value)
          callback(null, { success: true, message: `set ${key}` })
        },
        key === 'slow' ? 300 : 0,
      )
    },
    GetValues(_call: unknown, callback: grpc.sendUnaryData<unknown>) {
      count('GetValues')
      callback(null, snapshot())
    },
    Command(call: grpc.ServerUnaryCall<StoreRequest, unknown>, callback: grpc.sendUnaryData<unknown>) {
      count('Command')
      const { set, remove_keys = [] } = call.request
      if (set) values.set(set.key, set.value)
      let removed = 0
      for (const key of remove_keys) if (values.delete(key)) removed++
      callback(null, { success: true, message: 'done', removed })
    },
    Watch(call: grpc.ServerWritableStream<StoreRequest, unknown>) {
      count('Watch')
      let sent = 0
      const next = (): void => {
        if (call.cancelled) return
        if (sent === (call.request.count ?? 0)) {
          if (call.request.fail) call.emit('error', Object.assign(new Error('watch failed'), { code: grpc.status.ABORTED, details: 'watch failed' }))
          else call.end()
          return
        }
        sent++
        call.write(snapshot())
        setTimeout(next, 20)
      }
      next()
    },
    ResetStore(_call: unknown, callback: grpc.sendUnaryData<unknown>) {
      count('ResetStore')
      values.clear()
      callback(null, {})
    },
  })
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))))
  return { address: `127.0.0.1:${port}`, values, received, close: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())) }
}

/** A promise-returning client of the Store service. */
export interface StoreClient {
  call(method: 'SetValue' | 'GetValues' | 'Command' | 'ResetStore', request: object, metadata?: grpc.Metadata): Promise<Record<string, unknown>>
  watch(request: object, metadata?: grpc.Metadata): grpc.ClientReadableStream<Record<string, unknown>>
  close(): void
}

/** Connects a Store client to `address`. */
export async function storeClient(address: string): Promise<StoreClient> {
  const proto = await loadTestProto()
  const Store = (proto['proxytest'] as grpc.GrpcObject)['Store'] as grpc.ServiceClientConstructor
  const client = new Store(address, grpc.credentials.createInsecure()) as grpc.Client & Record<string, (...args: unknown[]) => unknown>
  return {
    call: (method, request, metadata = new Metadata()) =>
      new Promise((resolve, reject) => {
        ;(client[method] as (request: object, metadata: grpc.Metadata, callback: (error: grpc.ServiceError | null, value: Record<string, unknown>) => void) => void).call(client, request, metadata, (error, value) =>
          error ? reject(error) : resolve(value),
        )
      }),
    watch: (request, metadata = new Metadata()) => (client['Watch'] as (request: object, metadata: grpc.Metadata) => grpc.ClientReadableStream<Record<string, unknown>>).call(client, request, metadata),
    close: () => client.close(),
  }
}

/** Metadata naming the caller, as WeightsLab's UI server would send it. */
export function asUser(user: string): grpc.Metadata {
  const metadata = new Metadata()
  metadata.set('x-user', user)
  return metadata
}
