import { AuditrailError, type JsonObject, type JsonValue } from '@auditrail/core'
import * as grpc from '@grpc/grpc-js'
import * as protoLoader from '@grpc/proto-loader'
import { createEventWriter, type AuditErrorHandler, type CallOutcome, type EventWriter } from './audit-recorder.js'
import { auditUnavailable } from './grpc-error.js'
import {
  buildDetails,
  captureValue,
  compileMapping,
  keepsEvent,
  matchingRules,
  MUTATING_NAME,
  outcomeOf,
  protoMethods,
  type CallFacts,
  type CompiledCapture,
  type CompiledMapping,
  type CompiledRule,
  type MethodAudit,
  type ProtoMethod,
} from './mapping-engine.js'
import { parseProxyMapping, type ProxyMapping } from './proxy-mapping.js'
import type { AuditEventWriter } from './rpc-audit.js'

/** What the proxy logs through: an `AuditLogger`, core's `EventLogger`, or anything with their `logEvent` (and `close`). */
export type ProxyLogger = AuditEventWriter & { close?(): void }

/** Options of {@link startAuditProxy}. */
export interface AuditProxyOptions {
  /** The backend, `host:port`. */
  readonly target: string
  /** Where the proxy listens, `host:port`; port `0` picks a free one. Default `127.0.0.1:0`. */
  readonly listen?: string
  /** The proto file(s) whose services are forwarded: every method of every service in them. */
  readonly protoPath: string | readonly string[]
  /** Directories imports are resolved from. */
  readonly includeDirs?: readonly string[]
  /** Which RPCs are logged and how (see `ProxyMapping`). Default: none mapped. */
  readonly mapping?: ProxyMapping
  readonly logger: ProxyLogger
  /**
   * `true`: before a logged call is forwarded, an intent event is written; a call whose intent cannot be written is
   * refused with UNAVAILABLE and never reaches the backend, and a call whose outcome cannot be written is answered
   * UNAVAILABLE. Default `false`: calls are forwarded and answered whatever the log does; failures go to `onAuditError`.
   */
  readonly failClosed?: boolean
  /** The request metadata entry naming the event's `actor` (what the client claims). Default `x-user`; `''`: none. */
  readonly actorHeader?: string
  /** RPCs the mapping does not name: `pass` (forwarded, not logged; the default) or `log` (one `rpc:<Method>` event per call). */
  readonly unmapped?: 'pass' | 'log'
  /** Receives every audit failure. Default: `process.emitWarning`. */
  readonly onAuditError?: AuditErrorHandler
  /** Receives the start-up warning about unmapped RPCs that look mutating. Default: `process.emitWarning`. */
  readonly onWarning?: (message: string) => void
  /** Close `logger` in `close()`, after the last call. Default `true`. */
  readonly closeLogger?: boolean
  /** How long `close()` lets in-flight calls finish before cancelling them, in ms. Default 10 000. */
  readonly shutdownTimeoutMs?: number
}

/** A running proxy. */
export interface AuditProxy {
  /** The address it listens on, `host:port` with the real port. */
  readonly address: string
  readonly port: number
  /** Full names of the RPCs the mapping does not name. */
  readonly unmapped: readonly string[]
  /** Number of calls being handled now. */
  readonly inFlight: number
  /**
   * Stops accepting calls, lets in-flight ones finish (cancelling those still running after `timeoutMs`), waits until
   * each has written its events, then closes the backend channel and the logger. Idempotent.
   */
  close(options?: { readonly timeoutMs?: number }): Promise<void>
}

/** The action type of the event fail-closed mode writes before forwarding a logged call. */
export const INTENT_ACTION = 'proxy_intent'

type Bytes = Buffer
/** Any server-side call of the four kinds. */
type ServerCall = grpc.ServerUnaryCall<Bytes, Bytes> | grpc.ServerReadableStream<Bytes, Bytes> | grpc.ServerWritableStream<Bytes, Bytes> | grpc.ServerDuplexStream<Bytes, Bytes>
const identity = (value: Bytes): Bytes => value

/** No message size limit on either side: the backend's own limits apply, and its errors are forwarded. */
const UNLIMITED = { 'grpc.max_receive_message_length': -1, 'grpc.max_send_message_length': -1 }

/** How a backend call ended. */
interface BackendResult {
  readonly status: grpc.StatusObject
  /** The response (unary, client-streaming) or last message (streams), undecoded. */
  readonly response: Bytes | undefined
  /** The proxy's client went away first. */
  readonly cancelledByClient: boolean
}

function proxyError(message: string, field: string, cause?: unknown): AuditrailError {
  return new AuditrailError('options', message, { component: 'grpc', field, cause })
}

function statusError(status: Pick<grpc.StatusObject, 'code' | 'details' | 'metadata'>): grpc.ServiceError {
  return Object.assign(new Error(status.details), { code: status.code, details: status.details, metadata: status.metadata })
}

function withTrailers(error: Error & { code: number; details: string }): grpc.ServiceError {
  return Object.assign(error, { metadata: new grpc.Metadata() })
}

/** The backend call's options: the client's deadline (metadata and cancellation are forwarded by the handlers). */
function callOptions(call: ServerCall): grpc.CallOptions {
  const deadline = call.getDeadline()
  // The server computed this absolute deadline from the client's grpc-timeout; passing it on sends what remains.
  return deadline === Infinity ? {} : { deadline }
}

function parseListen(listen: string): string {
  if (!/^(\[[^\]]+\]|[^:\s]+):\d+$/.test(listen)) throw proxyError(`listen: expected host:port, got ${JSON.stringify(listen)}`, 'listen')
  return listen
}

/** Starts an auditing gRPC proxy in front of `target`. Resolves once it listens; rejects with an AuditrailError naming the option or address. */
export async function startAuditProxy(options: AuditProxyOptions): Promise<AuditProxy> {
  const { logger } = options
  if (typeof logger?.logEvent !== 'function') throw proxyError('logger: expected an object with a logEvent method', 'logger')
  if (typeof options.target !== 'string' || !/^.+:\d+$/.test(options.target)) throw proxyError(`target: expected host:port, got ${JSON.stringify(options.target)}`, 'target')
  const listen = parseListen(options.listen ?? '127.0.0.1:0')
  const unmappedMode = options.unmapped ?? 'pass'
  if (unmappedMode !== 'pass' && unmappedMode !== 'log') throw proxyError(`unmapped: expected "pass" | "log", got ${JSON.stringify(unmappedMode)}`, 'unmapped')
  const actorHeader = (options.actorHeader ?? 'x-user').toLowerCase()
  const failClosed = options.failClosed ?? false

  const protoPaths = typeof options.protoPath === 'string' ? [options.protoPath] : [...options.protoPath]
  let packageDefinition: protoLoader.PackageDefinition
  try {
    // An empty includeDirs makes proto-loader warn about a relative path it then finds from the working directory anyway.
    const includeDirs = options.includeDirs !== undefined && options.includeDirs.length > 0 ? { includeDirs: [...options.includeDirs] } : {}
    packageDefinition = protoLoader.loadSync(protoPaths, { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true, ...includeDirs })
  } catch (cause) {
    throw new AuditrailError('options', `protoPath: cannot load the proto: ${cause instanceof Error ? cause.message : String(cause)}`, { component: 'grpc', field: 'protoPath', file: protoPaths.join(', '), cause })
  }
  const methods = protoMethods(packageDefinition)
  if (methods.length === 0) throw new AuditrailError('options', 'protoPath: the proto defines no service', { component: 'grpc', field: 'protoPath', file: protoPaths.join(', ') })
  const compiled: CompiledMapping = compileMapping(parseProxyMapping(options.mapping ?? { rpcs: {} }), methods)

  const mutating = compiled.unmapped.filter((method) => MUTATING_NAME.test(method.name))
  if (mutating.length > 0) {
    const warn = options.onWarning ?? ((message: string) => process.emitWarning(message))
    warn(`[auditrail] [grpc] the mapping does not name these RPCs, which look mutating; they are ${unmappedMode === 'log' ? 'logged as rpc:<Method>' : 'forwarded unlogged'}: ${mutating.map((m) => m.fullName).join(', ')}`)
  }

  const writer = createEventWriter({ logger, onAuditError: options.onAuditError ?? ((error) => process.emitWarning(error)) })
  const client = new grpc.Client(options.target, grpc.credentials.createInsecure(), {
    ...UNLIMITED,
    // A backend that restarts is reached again within a second, not after grpc-js's default backoff of up to two minutes.
    'grpc.initial_reconnect_backoff_ms': 250,
    'grpc.max_reconnect_backoff_ms': 1000,
  })
  const server = new grpc.Server(UNLIMITED)
  const inFlight = new Set<Promise<void>>()
  const track = (work: Promise<void>): void => {
    inFlight.add(work)
    void work.finally(() => inFlight.delete(work))
  }

  const context: ProxyContext = { client, writer, failClosed, actorHeader, unmappedMode, track, forcedShutdown: false }
  const definition: { [name: string]: grpc.MethodDefinition<Bytes, Bytes> } = {}
  const implementation: grpc.UntypedServiceImplementation = {}
  for (const method of methods) {
    definition[method.fullName] = {
      path: method.path,
      requestStream: method.kind === 'client-stream' || method.kind === 'bidi',
      responseStream: method.kind === 'server-stream' || method.kind === 'bidi',
      requestSerialize: identity,
      requestDeserialize: identity,
      responseSerialize: identity,
      responseDeserialize: identity,
    }
    implementation[method.fullName] = handlerFor(method, compiled.audits.get(method.fullName), context)
  }
  server.addService(definition, implementation)

  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(listen, grpc.ServerCredentials.createInsecure(), (error, bound) => {
      if (error === null) return resolve(bound)
      // Nothing is served: let go of the backend channel and the server, and leave the logger to the caller.
      client.close()
      server.forceShutdown()
      reject(new AuditrailError('options', `listen: cannot listen on ${listen}: ${error.message}`, { component: 'grpc', field: 'listen', cause: error }))
    })
  })
  const host = listen.slice(0, listen.lastIndexOf(':'))

  let closing: Promise<void> | undefined
  return {
    address: `${host}:${port}`,
    port,
    unmapped: compiled.unmapped.map((method) => method.fullName),
    get inFlight() {
      return inFlight.size
    },
    close({ timeoutMs = options.shutdownTimeoutMs ?? 10_000 } = {}) {
      closing ??= (async () => {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            // Cancelled calls still write their outcome (failed, cancelled) before their handlers settle.
            context.forcedShutdown = true
            server.forceShutdown()
            resolve()
          }, timeoutMs)
          server.tryShutdown(() => {
            clearTimeout(timer)
            resolve()
          })
        })
        while (inFlight.size > 0) await Promise.allSettled([...inFlight])
        client.close()
        // Last: every event of every answered call was written before its answer went out.
        if (options.closeLogger ?? true) logger.close?.()
      })()
      return closing
    },
  }
}

interface ProxyContext {
  readonly client: grpc.Client
  readonly writer: EventWriter
  readonly failClosed: boolean
  readonly actorHeader: string
  readonly unmappedMode: 'pass' | 'log'
  readonly track: (work: Promise<void>) => void
  /** Set when `close()` cancels the calls still running, so that their events say who cancelled them. */
  forcedShutdown: boolean
}

/** The first value of the actor header, when it is a usable actor (a non-empty string without control characters). */
function actorOf(metadata: grpc.Metadata, header: string): string | undefined {
  if (header === '') return undefined
  const value = metadata.get(header)[0]
  // eslint-disable-next-line no-control-regex
  return typeof value === 'string' && value.length > 0 && !/[\u0000-\u001f\u007f]/.test(value) ? value : undefined
}

/** One planned event of a call: its rule, or the generic event of an unmapped RPC. */
type PlannedEvent = { readonly kind: 'rule'; readonly compiled: CompiledRule } | { readonly kind: 'generic'; readonly action: string }

/** What the proxy does around one call that writes events. */
interface AuditPlan {
  readonly method: ProtoMethod
  readonly events: readonly PlannedEvent[]
  readonly request: unknown
  readonly actor: string | undefined
  readonly started: number
}

const success: CallOutcome = { status: 'success', error: null, response: undefined }

/** Writes the intent event of fail-closed mode; returns the refusal to answer with when it could not be written. */
function writeIntent(context: ProxyContext, plan: AuditPlan): grpc.ServiceError | undefined {
  const actions = plan.events.map((event) => (event.kind === 'rule' ? event.compiled.rule.action : event.action))
  const failure = context.writer.write(plan.method.fullName, INTENT_ACTION, success, () => ({ rpc: plan.method.fullName, actions }), () => plan.actor, plan.request)
  return failure === undefined ? undefined : withTrailers(auditUnavailable(plan.method.fullName, failure, false))
}

/** Reads every distinct capture of the plan from the backend; a capture that fails reads as nothing. */
async function readCaptures(context: ProxyContext, plan: AuditPlan, metadata: grpc.Metadata, options: grpc.CallOptions): Promise<Map<string, JsonValue | undefined>> {
  const captures = new Map<string, CompiledCapture>()
  for (const event of plan.events) if (event.kind === 'rule' && event.compiled.capture !== undefined) captures.set(event.compiled.capture.key, event.compiled.capture)
  const values = new Map<string, JsonValue | undefined>()
  await Promise.all(
    [...captures.values()].map(
      (capture) =>
        new Promise<void>((resolve) => {
          context.client.makeUnaryRequest(capture.method.path, identity, identity, capture.requestBytes, metadata.clone(), options, (error, value) => {
            if (error === null && value !== undefined) {
              try {
                values.set(capture.key, captureValue(capture, capture.method.definition.responseDeserialize(value)))
              } catch {
                // An answer that does not decode is no before/after value; the call itself is unaffected.
              }
            }
            resolve()
          })
        }),
    ),
  )
  return values
}

/** Writes the outcome events of a call; returns the answer to give instead of the backend's (fail-closed only). */
function writeOutcome(context: ProxyContext, plan: AuditPlan, result: BackendResult, before: ReadonlyMap<string, JsonValue | undefined>, after: ReadonlyMap<string, JsonValue | undefined>): grpc.ServiceError | undefined {
  let response: unknown
  if (result.response !== undefined && plan.events.some((event) => event.kind === 'rule')) {
    try {
      response = plan.method.definition.responseDeserialize(result.response)
    } catch {
      // Forwarded as is; the event just has no response fields.
    }
  }
  const facts: CallFacts = { request: plan.request, response: result.status.code === grpc.status.OK ? response : undefined, elapsedMs: performance.now() - plan.started, before, after }
  let failure: AuditrailError | undefined
  for (const event of plan.events) {
    const { status, error } = result.cancelledByClient
      ? { status: 'failed' as const, error: context.forcedShutdown ? 'cancelled: the proxy shut down' : 'cancelled by the client' }
      : outcomeOf(event.kind === 'rule' ? event.compiled.rule.status : undefined, result.status.code, result.status.details, facts.response)
    let action: string
    let details: () => JsonObject
    if (event.kind === 'rule') {
      action = event.compiled.rule.action
      let built: JsonObject
      try {
        built = buildDetails(event.compiled, facts, status)
      } catch (cause) {
        // Reported by the writer as the mapping's failure, like a throwing details function of the wrapper.
        details = () => {
          throw cause
        }
        failure = context.writer.write(plan.method.fullName, action, { status, error, response: undefined }, details, () => plan.actor, plan.request) ?? failure
        continue
      }
      if (!keepsEvent(event.compiled.rule, facts.response, built)) continue
      details = () => built
    } else {
      action = event.action
      details = () => ({ rpc: plan.method.fullName })
    }
    failure = context.writer.write(plan.method.fullName, action, { status, error, response: undefined }, details, () => plan.actor, plan.request) ?? failure
  }
  return failure !== undefined && context.failClosed ? withTrailers(auditUnavailable(plan.method.fullName, failure, true)) : undefined
}

/** The events one call writes, decoding a copy of the request only for mapped RPCs. */
function planFor(method: ProtoMethod, audit: MethodAudit | undefined, context: ProxyContext, metadata: grpc.Metadata, request: Bytes | undefined): AuditPlan | undefined {
  if (audit?.kind === 'read-only') return undefined
  const base = { method, actor: actorOf(metadata, context.actorHeader), started: performance.now() }
  if (audit === undefined) return context.unmappedMode === 'log' ? { ...base, request: undefined, events: [{ kind: 'generic', action: `rpc:${method.name}` }] } : undefined
  let decoded: unknown
  try {
    decoded = method.definition.requestDeserialize(request ?? Buffer.alloc(0))
  } catch {
    // Not a valid request: the backend answers it as it would without us; nothing was asked of it that a rule names.
    return undefined
  }
  const events = matchingRules(audit, decoded).map((compiled): PlannedEvent => ({ kind: 'rule', compiled }))
  return events.length === 0 ? undefined : { ...base, request: decoded, events }
}

/** Collects how a backend call ends: its status, after the last message it sent was handed on. */
function settle(call: ServerCall, backend: grpc.Call, readable: NodeJS.EventEmitter | undefined, last: () => Bytes | undefined): Promise<BackendResult> {
  let cancelledByClient = false
  ;(call as NodeJS.EventEmitter).on('cancelled', () => {
    cancelledByClient = true
    backend.cancel()
  })
  backend.on('metadata', (metadata: grpc.Metadata) => call.sendMetadata(metadata))
  // Failures arrive as the status; an 'error' without a listener would crash the process.
  ;(backend as NodeJS.EventEmitter).on('error', () => undefined)
  return new Promise((resolve) => {
    let status: grpc.StatusObject | undefined
    let ended = readable === undefined
    const done = (): void => {
      if (status !== undefined && ended) resolve({ status, response: last(), cancelledByClient })
    }
    backend.on('status', (received: grpc.StatusObject) => {
      status = received
      done()
    })
    readable?.on('end', () => {
      ended = true
      done()
    })
    readable?.on('close', () => {
      ended = true
      done()
    })
  })
}

/** Hands the backend's messages to the client, pausing the backend while the client's side is full. */
function pipeResponses(backend: grpc.ClientReadableStream<Bytes>, call: grpc.ServerWritableStream<Bytes, Bytes> | grpc.ServerDuplexStream<Bytes, Bytes>, keep: (message: Bytes) => void): void {
  backend.on('data', (message: Bytes) => {
    keep(message)
    if (!call.write(message)) {
      backend.pause()
      call.once('drain', () => backend.resume())
    }
  })
}

/** Hands the client's messages to the backend, pausing the client while the backend's side is full. */
function pipeRequests(call: grpc.ServerReadableStream<Bytes, Bytes> | grpc.ServerDuplexStream<Bytes, Bytes>, backend: grpc.ClientWritableStream<Bytes>): void {
  call.on('data', (message: Bytes) => {
    if (!backend.write(message)) {
      call.pause()
      backend.once('drain', () => call.resume())
    }
  })
  call.on('end', () => backend.end())
}

function answerUnary(callback: grpc.sendUnaryData<Bytes>, result: BackendResult, override: grpc.ServiceError | undefined): void {
  if (override !== undefined) callback(override)
  else if (result.status.code !== grpc.status.OK) callback(statusError(result.status))
  else if (result.response === undefined) callback(statusError({ code: grpc.status.UNIMPLEMENTED, details: 'No message received', metadata: result.status.metadata }))
  else callback(null, result.response, result.status.metadata)
}

function answerStream(call: grpc.ServerWritableStream<Bytes, Bytes> | grpc.ServerDuplexStream<Bytes, Bytes>, result: BackendResult, override: grpc.ServiceError | undefined): void {
  if (override !== undefined) call.emit('error', override)
  else if (result.status.code !== grpc.status.OK) call.emit('error', statusError(result.status))
  else call.end(result.status.metadata)
}

/**
 * Runs one call: fail-closed intent, captures before, the forwarded call, captures after, the outcome events, and only
 * then the answer, so that an answered call's events are already written.
 */
async function runAudited(
  context: ProxyContext,
  plan: AuditPlan | undefined,
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  forward: () => Promise<BackendResult>,
  answer: (result: BackendResult | undefined, override: grpc.ServiceError | undefined) => void,
  cancelled: () => boolean,
): Promise<void> {
  if (plan === undefined) {
    answer(await forward(), undefined)
    return
  }
  if (context.failClosed) {
    const refusal = writeIntent(context, plan)
    if (refusal !== undefined) {
      answer(undefined, refusal)
      return
    }
  }
  // Without a capture there is nothing to wait for: no extra turns of the event loop on the common path.
  const capturing = hasCapture(plan)
  const before = capturing ? await readCaptures(context, plan, metadata, options) : NOTHING_CAPTURED
  // A client that went away while the intent or the captures were written is not forwarded: nothing reached the backend.
  const result = cancelled() ? { status: { code: grpc.status.CANCELLED, details: 'Cancelled on client', metadata: new grpc.Metadata() }, response: undefined, cancelledByClient: true } : await forward()
  const after = capturing ? await readCaptures(context, plan, metadata, options) : NOTHING_CAPTURED
  answer(result, writeOutcome(context, plan, result, before, after))
}

const NOTHING_CAPTURED: ReadonlyMap<string, JsonValue | undefined> = new Map()

function hasCapture(plan: AuditPlan): boolean {
  return plan.events.some((event) => event.kind === 'rule' && event.compiled.capture !== undefined)
}

function failSafe(context: ProxyContext, work: Promise<void>, onCrash: (error: grpc.ServiceError) => void): void {
  context.track(
    work.catch((cause: unknown) => {
      // A bug of ours must not leave the client hanging until its deadline.
      onCrash(withTrailers(Object.assign(new Error(`auditrail proxy: ${cause instanceof Error ? cause.message : String(cause)}`), { code: grpc.status.INTERNAL, details: 'auditrail proxy: internal error' })))
    }),
  )
}

function handlerFor(method: ProtoMethod, audit: MethodAudit | undefined, context: ProxyContext): grpc.UntypedHandleCall {
  const { client } = context
  switch (method.kind) {
    case 'unary':
      return (call: grpc.ServerUnaryCall<Bytes, Bytes>, callback: grpc.sendUnaryData<Bytes>) => {
        const options = callOptions(call)
        const plan = planFor(method, audit, context, call.metadata, call.request)
        const forward = (): Promise<BackendResult> => {
          let response: Bytes | undefined
          const backend = client.makeUnaryRequest(method.path, identity, identity, call.request, call.metadata.clone(), options, (_error, value) => {
            response = value ?? undefined
          })
          return settle(call, backend, undefined, () => response)
        }
        let answered = false
        const answer = (result: BackendResult | undefined, override: grpc.ServiceError | undefined): void => {
          if (answered) return
          answered = true
          if (result === undefined) callback(override ?? null)
          else answerUnary(callback, result, override)
        }
        failSafe(context, runAudited(context, plan, call.metadata, options, forward, answer, () => call.cancelled), (error) => answer(undefined, error))
      }
    case 'server-stream':
      return (call: grpc.ServerWritableStream<Bytes, Bytes>) => {
        const options = callOptions(call)
        const plan = planFor(method, audit, context, call.metadata, call.request)
        const forward = (): Promise<BackendResult> => {
          let last: Bytes | undefined
          const backend = client.makeServerStreamRequest(method.path, identity, identity, call.request, call.metadata.clone(), options)
          pipeResponses(backend, call, (message) => (last = message))
          return settle(call, backend, backend, () => last)
        }
        const answer = (result: BackendResult | undefined, override: grpc.ServiceError | undefined): void => {
          if (result === undefined) call.emit('error', override)
          else answerStream(call, result, override)
        }
        failSafe(context, runAudited(context, plan, call.metadata, options, forward, answer, () => call.cancelled), (error) => answer(undefined, error))
      }
    case 'client-stream':
      return (call: grpc.ServerReadableStream<Bytes, Bytes>, callback: grpc.sendUnaryData<Bytes>) => {
        const options = callOptions(call)
        const plan = planFor(method, audit, context, call.metadata, undefined)
        // Messages wait in the server stream until the backend call exists (after a fail-closed intent).
        call.pause()
        const forward = (): Promise<BackendResult> => {
          let response: Bytes | undefined
          const backend = client.makeClientStreamRequest(method.path, identity, identity, call.metadata.clone(), options, (_error, value) => {
            response = value ?? undefined
          })
          pipeRequests(call, backend)
          call.resume()
          return settle(call, backend, undefined, () => response)
        }
        let answered = false
        const answer = (result: BackendResult | undefined, override: grpc.ServiceError | undefined): void => {
          if (answered) return
          answered = true
          if (result === undefined) callback(override ?? null)
          else answerUnary(callback, result, override)
        }
        failSafe(context, runAudited(context, plan, call.metadata, options, forward, answer, () => call.cancelled), (error) => answer(undefined, error))
      }
    case 'bidi':
      return (call: grpc.ServerDuplexStream<Bytes, Bytes>) => {
        const options = callOptions(call)
        const plan = planFor(method, audit, context, call.metadata, undefined)
        call.pause()
        const forward = (): Promise<BackendResult> => {
          let last: Bytes | undefined
          const backend = client.makeBidiStreamRequest(method.path, identity, identity, call.metadata.clone(), options)
          pipeResponses(backend, call, (message) => (last = message))
          pipeRequests(call, backend)
          call.resume()
          return settle(call, backend, backend, () => last)
        }
        const answer = (result: BackendResult | undefined, override: grpc.ServiceError | undefined): void => {
          if (result === undefined) call.emit('error', override)
          else answerStream(call, result, override)
        }
        failSafe(context, runAudited(context, plan, call.metadata, options, forward, answer, () => call.cancelled), (error) => answer(undefined, error))
      }
  }
}
