import { AuditrailError, type JsonObject, type JsonValue } from '@auditrail/core'
import * as http2 from 'node:http2'
import { status as Status } from '@grpc/grpc-js'
import * as protoLoader from '@grpc/proto-loader'
import { createEventWriter, type AuditErrorHandler, type CallOutcome, type EventWriter } from './audit-recorder.js'
import { auditUnavailable } from './grpc-error.js'
import { END_STREAM_FLAG, frame, headersFrom, MessageReader, rawHeader, statusHeaders, statusOf, statusOfClosedStream, timeoutHeader, timeoutMs, type GrpcStatus, type WireHeaders } from './h2-wire.js'
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
   * each has written its events, then closes the backend session and the logger. Idempotent.
   */
  close(options?: { readonly timeoutMs?: number }): Promise<void>
}

/** The action type of the event fail-closed mode writes before forwarding a logged call. */
export const INTENT_ACTION = 'proxy_intent'

type Bytes = Buffer

/**
 * Flow-control windows of both sides: large enough that a 10 MB message does not crawl through 64 KiB windows (the
 * HTTP/2 default) across two hops, small enough to bound what one stream can make the proxy hold.
 */
const STREAM_WINDOW = 4 * 1024 * 1024
const CONNECTION_WINDOW = 16 * 1024 * 1024
/** Node's per-session memory cap (MB) counts queued outgoing data; its 10 MB default refuses streams under big messages. */
const SESSION_MEMORY_MB = 256
const SESSION_SETTINGS: http2.Settings = { initialWindowSize: STREAM_WINDOW, enablePush: false }

/** How a backend call ended. */
interface BackendResult {
  readonly status: GrpcStatus
  /** The response (unary) or last message (streams), undecoded. */
  readonly response: Bytes | undefined
  /** The proxy's client went away first. */
  readonly cancelledByClient: boolean
}

function proxyError(message: string, field: string, cause?: unknown): AuditrailError {
  return new AuditrailError('options', message, { component: 'grpc', field, cause })
}

function parseListen(listen: string): { host: string; port: number } {
  const match = /^(\[[^\]]+\]|[^:\s]+):(\d+)$/.exec(listen)
  if (match === null || match[1] === undefined || match[2] === undefined) throw proxyError(`listen: expected host:port, got ${JSON.stringify(listen)}`, 'listen')
  return { host: match[1], port: Number(match[2]) }
}

/**
 * The one long-lived HTTP/2 session to the backend, opened on first use and again after it closed, failed or was told
 * to go away (streams already on it finish there). Calls made while it connects wait in Node's queue, and fail with
 * the connection's error when it cannot be established.
 */
class BackendConnection {
  private session: http2.ClientHttp2Session | undefined
  private readonly old = new Set<http2.ClientHttp2Session>()

  constructor(private readonly url: string) {}

  /** Opens a stream to the backend; throws only when Node refuses the headers. */
  request(headers: WireHeaders): http2.ClientHttp2Stream {
    let session = this.session
    if (session === undefined || session.closed || session.destroyed) session = this.open()
    return session.request(headers)
  }

  private open(): http2.ClientHttp2Session {
    const session = http2.connect(this.url, { settings: SESSION_SETTINGS, maxSessionMemory: SESSION_MEMORY_MB })
    this.session = session
    this.old.add(session)
    const drop = (): void => {
      if (this.session === session) this.session = undefined
    }
    // Without an 'error' listener a refused connection would crash the process; the calls on it see the error.
    session.on('error', drop)
    session.on('goaway', drop)
    session.on('close', () => {
      drop()
      this.old.delete(session)
    })
    session.once('connect', () => {
      try {
        session.setLocalWindowSize(CONNECTION_WINDOW)
      } catch {
        // A session torn down right after connecting: its calls fail on their own.
      }
    })
    return session
  }

  /** Closes every session; streams still open on them are cut. */
  close(): void {
    for (const session of this.old) session.destroy()
    this.old.clear()
    this.session = undefined
  }
}

/** Starts an auditing gRPC proxy in front of `target`. Resolves once it listens; rejects with an AuditrailError naming the option or address. */
export async function startAuditProxy(options: AuditProxyOptions): Promise<AuditProxy> {
  const { logger } = options
  if (typeof logger?.logEvent !== 'function') throw proxyError('logger: expected an object with a logEvent method', 'logger')
  if (typeof options.target !== 'string' || !/^.+:\d+$/.test(options.target)) throw proxyError(`target: expected host:port, got ${JSON.stringify(options.target)}`, 'target')
  const listen = options.listen ?? '127.0.0.1:0'
  const { host: listenHost, port: listenPort } = parseListen(listen)
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

  // `dns:///host:port` is grpc-js's spelling of the default resolver; HTTP/2 wants the host and port alone.
  const authority = options.target.replace(/^dns:\/\/\//, '')
  const context: ProxyContext = {
    backend: new BackendConnection(`http://${authority}`),
    authority,
    writer: createEventWriter({ logger, onAuditError: options.onAuditError ?? ((error) => process.emitWarning(error)) }),
    failClosed,
    actorHeader,
    unmappedMode,
    calls: new Set(),
    onIdle: undefined,
    forcedShutdown: false,
  }
  const routes = new Map<string, Route>()
  for (const method of methods) routes.set(method.path, { method, audit: compiled.audits.get(method.fullName) })

  const server = http2.createServer({ settings: SESSION_SETTINGS, maxSessionMemory: SESSION_MEMORY_MB })
  const sessions = new Set<http2.ServerHttp2Session>()
  server.on('session', (session: http2.ServerHttp2Session) => {
    sessions.add(session)
    session.on('close', () => sessions.delete(session))
    // A client that drops its connection must not crash the proxy; its calls see their streams close.
    session.on('error', () => undefined)
    try {
      session.setLocalWindowSize(CONNECTION_WINDOW)
    } catch {
      // Not ready yet or already gone: the default window only slows big messages down.
    }
  })
  server.on('stream', (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, _flags: number, rawHeaders: string[]) => {
    onStream(context, routes, stream, headers, rawHeaders)
  })

  const port = await new Promise<number>((resolve, reject) => {
    const onError = (error: Error): void => {
      // Nothing is served: let go of the server, and leave the logger to the caller.
      context.backend.close()
      server.close()
      reject(new AuditrailError('options', `listen: cannot listen on ${listen}: ${error.message}`, { component: 'grpc', field: 'listen', cause: error }))
    }
    server.once('error', onError)
    server.listen(listenPort, listenHost.replace(/^\[(.*)\]$/, '$1'), () => {
      server.off('error', onError)
      resolve((server.address() as { port: number }).port)
    })
  })
  // After start-up, a server error (there is none documented for a listening server) must not crash the process.
  server.on('error', () => undefined)

  let closing: Promise<void> | undefined
  return {
    address: `${listenHost}:${port}`,
    port,
    unmapped: compiled.unmapped.map((method) => method.fullName),
    get inFlight() {
      return context.calls.size
    },
    close({ timeoutMs: timeout = options.shutdownTimeoutMs ?? 10_000 } = {}) {
      closing ??= (async () => {
        const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()))
        // GOAWAY: each client's connection takes no new calls and its running ones go on.
        for (const session of sessions) session.close()
        if (context.calls.size > 0) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(() => {
              // Cancelled calls still write their outcome (failed, cancelled) before they count as done.
              context.forcedShutdown = true
              for (const call of context.calls) call.cancel()
            }, timeout)
            context.onIdle = () => {
              clearTimeout(timer)
              resolve()
            }
          })
        }
        for (const session of sessions) session.destroy()
        context.backend.close()
        await serverClosed
        // Last: every event of every answered call was written before its answer went out.
        if (options.closeLogger ?? true) logger.close?.()
      })()
      return closing
    },
  }
}

/** A method of the proto and how it is audited. */
interface Route {
  readonly method: ProtoMethod
  readonly audit: MethodAudit | undefined
}

interface ProxyContext {
  readonly backend: BackendConnection
  /** The backend's `host:port`, the `:authority` of every forwarded call (as grpc-js's channel to it sent). */
  readonly authority: string
  readonly writer: EventWriter
  readonly failClosed: boolean
  readonly actorHeader: string
  readonly unmappedMode: 'pass' | 'log'
  /** Calls being handled: from their arrival until their client stream closed and their events are written. */
  readonly calls: Set<ProxiedCall>
  /** Called when the last call of `calls` is done (set by `close()`). */
  onIdle: (() => void) | undefined
  /** Set when `close()` cancels the calls still running, so that their events say who cancelled them. */
  forcedShutdown: boolean
}

/** Answers a stream at once with a trailers-only status (the stream may already be gone). */
function refuse(stream: http2.ServerHttp2Stream, status: GrpcStatus): void {
  try {
    stream.respond(statusHeaders(status, true), { endStream: true })
  } catch {
    // The client reset the stream first.
  }
}

function onStream(context: ProxyContext, routes: ReadonlyMap<string, Route>, stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, rawHeaders: string[]): void {
  // A stream reset by the client emits 'error' in some Node versions; its 'close' is what the call acts on.
  stream.on('error', () => undefined)
  const path = headers[':path'] ?? ''
  const route = routes.get(path)
  if (route === undefined || headers[':method'] !== 'POST') {
    refuse(stream, { code: Status.UNIMPLEMENTED, details: `The server does not implement the method ${path}` })
    return
  }
  const contentType = headers['content-type']
  if (typeof contentType !== 'string' || !contentType.startsWith('application/grpc')) {
    // What a gRPC server answers a request that is not gRPC (grpc-js does the same).
    try {
      stream.respond({ ':status': 415 }, { endStream: true })
    } catch {
      // Already gone.
    }
    return
  }
  const call = new ProxiedCall(context, stream, route, headers, rawHeaders)
  context.calls.add(call)
  call.start()
}

/** The first value of the actor header, when it is a usable actor (a non-empty string without control characters). */
function actorOf(headers: http2.IncomingHttpHeaders, header: string): string | undefined {
  if (header === '') return undefined
  const value = headers[header]
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

function unavailable(error: { readonly code: number; readonly details: string }): GrpcStatus {
  return { code: error.code, details: error.details }
}

/** Writes the intent event of fail-closed mode; returns the refusal to answer with when it could not be written. */
function writeIntent(context: ProxyContext, plan: AuditPlan): GrpcStatus | undefined {
  const actions = plan.events.map((event) => (event.kind === 'rule' ? event.compiled.rule.action : event.action))
  const failure = context.writer.write(plan.method.fullName, INTENT_ACTION, success, () => ({ rpc: plan.method.fullName, actions }), () => plan.actor, plan.request)
  return failure === undefined ? undefined : unavailable(auditUnavailable(plan.method.fullName, failure, false))
}

/** One unary call to the backend over the proxy's session: the response message, `undefined` on any failure. */
function callUnary(context: ProxyContext, headers: WireHeaders, body: Bytes): Promise<Bytes | undefined> {
  return new Promise((resolve) => {
    let stream: http2.ClientHttp2Stream
    try {
      stream = context.backend.request(headers)
    } catch {
      return resolve(undefined)
    }
    const reader = new MessageReader()
    let status: GrpcStatus | undefined
    stream.on('response', (_headers: http2.IncomingHttpHeaders, flags: number, raw: string[]) => {
      if ((flags & END_STREAM_FLAG) !== 0) status = statusOf(raw)
    })
    stream.on('trailers', (_trailers: http2.IncomingHttpHeaders, _flags: number, raw: string[]) => (status = statusOf(raw)))
    stream.on('data', (chunk: Bytes) => reader.push(chunk))
    stream.on('error', () => undefined)
    stream.on('close', () => resolve(status?.code === Status.OK ? reader.message() : undefined))
    stream.end(frame(body))
  })
}

/** Reads every distinct capture of the plan from the backend; a capture that fails reads as nothing. */
async function readCaptures(context: ProxyContext, plan: AuditPlan, headersFor: (path: string) => WireHeaders): Promise<Map<string, JsonValue | undefined>> {
  const captures = new Map<string, CompiledCapture>()
  for (const event of plan.events) if (event.kind === 'rule' && event.compiled.capture !== undefined) captures.set(event.compiled.capture.key, event.compiled.capture)
  const values = new Map<string, JsonValue | undefined>()
  await Promise.all(
    [...captures.values()].map(async (capture) => {
      const value = await callUnary(context, headersFor(capture.method.path), capture.requestBytes)
      if (value === undefined) return
      try {
        values.set(capture.key, captureValue(capture, capture.method.definition.responseDeserialize(value)))
      } catch {
        // An answer that does not decode is no before/after value; the call itself is unaffected.
      }
    }),
  )
  return values
}

/** Writes the outcome events of a call; returns the answer to give instead of the backend's (fail-closed only). */
function writeOutcome(context: ProxyContext, plan: AuditPlan, result: BackendResult, before: ReadonlyMap<string, JsonValue | undefined>, after: ReadonlyMap<string, JsonValue | undefined>): GrpcStatus | undefined {
  let response: unknown
  if (result.response !== undefined && plan.events.some((event) => event.kind === 'rule')) {
    try {
      response = plan.method.definition.responseDeserialize(result.response)
    } catch {
      // Forwarded as is; the event just has no response fields.
    }
  }
  const facts: CallFacts = { request: plan.request, response: result.status.code === Status.OK ? response : undefined, elapsedMs: performance.now() - plan.started, before, after }
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
  return failure !== undefined && context.failClosed ? unavailable(auditUnavailable(plan.method.fullName, failure, true)) : undefined
}

/** The events a call of a mapped RPC writes, from a copy of its one request message. */
function planFor(method: ProtoMethod, audit: MethodAudit, actor: string | undefined, started: number, request: Bytes | undefined): AuditPlan | undefined {
  if (request === undefined) return undefined
  let decoded: unknown
  try {
    decoded = method.definition.requestDeserialize(request)
  } catch {
    // Not a valid request: the backend answers it as it would without us; nothing was asked of it that a rule names.
    return undefined
  }
  const events = matchingRules(audit, decoded).map((compiled): PlannedEvent => ({ kind: 'rule', compiled }))
  return events.length === 0 ? undefined : { method, actor, started, request: decoded, events }
}

const NOTHING_CAPTURED: ReadonlyMap<string, JsonValue | undefined> = new Map()

function hasCapture(plan: AuditPlan): boolean {
  return plan.events.some((event) => event.kind === 'rule' && event.compiled.capture !== undefined)
}

/** Request headers a planned call does not forward: without them the backend answers uncompressed, which the events need. */
const PLANNED_SKIP: ReadonlySet<string> = new Set(['grpc-accept-encoding'])
/** Request headers a capture does not take from its call: its own body is uncompressed. */
const CAPTURE_SKIP: ReadonlySet<string> = new Set(['grpc-accept-encoding', 'grpc-encoding', 'content-length'])

const INTERNAL_ERROR: GrpcStatus = { code: Status.INTERNAL, details: 'auditrail proxy: internal error' }
const NO_STATUS: GrpcStatus = { code: Status.INTERNAL, details: 'auditrail proxy: the backend ended the call without a gRPC status' }

/**
 * One call from a client, forwarded on its own backend stream. DATA goes both ways as it arrives (with back-pressure);
 * the backend's headers go back at once, its trailers only once the call's events are written. A call with rules
 * waits for its one request message (decoded from a copy) before anything goes to the backend, so that fail-closed
 * mode's intent and the captures come first.
 */
class ProxiedCall {
  private readonly started = performance.now()
  /** Absolute deadline (performance.now() ms) from `grpc-timeout`, for calls forwarded later than they arrived. */
  private readonly deadline: number | undefined
  private backendStream: http2.ClientHttp2Stream | undefined
  /** Client DATA received before the backend stream exists. */
  private pending: Bytes[] = []
  private clientEnded = false
  private clientClosed = false
  /** The client went away before its answer was complete. */
  private clientGone = false
  /** The final status (trailers, or a trailers-only answer) was handed to the client stream. */
  private answered = false
  /** Response headers were sent; the answer then ends with trailers. */
  private responded = false
  private finalTrailers: WireHeaders | undefined
  private backendTrailersOnly: string[] | undefined
  private backendTrailers: string[] | undefined
  private backendEnded = false
  private backendError: Error | undefined
  private completed = false
  private auditDone = true
  private released = false
  private plan: AuditPlan | undefined
  private before: ReadonlyMap<string, JsonValue | undefined> = NOTHING_CAPTURED
  /** Reads the request of a call with rules until its first message; `undefined` once decided. */
  private requestReader: MessageReader | undefined
  /** Keeps the last response message of a call with rules. */
  private responseReader: MessageReader | undefined

  constructor(
    private readonly context: ProxyContext,
    private readonly stream: http2.ServerHttp2Stream,
    private readonly route: Route,
    private readonly headers: http2.IncomingHttpHeaders,
    private readonly rawHeaders: readonly string[],
  ) {
    const timeout = route.audit === undefined && context.unmappedMode === 'pass' ? undefined : timeoutMs(rawHeader(rawHeaders, 'grpc-timeout'))
    this.deadline = timeout === undefined ? undefined : this.started + timeout
  }

  start(): void {
    const { stream, route, context } = this
    stream.on('data', (chunk: Bytes) => this.onClientData(chunk))
    stream.on('end', () => this.onClientEnd())
    stream.on('close', () => this.onClientClose())
    const audit = route.audit
    if (audit?.kind === 'rules') {
      this.requestReader = new MessageReader()
      return
    }
    if (audit === undefined && context.unmappedMode === 'log') {
      this.plan = { method: route.method, events: [{ kind: 'generic', action: `rpc:${route.method.name}` }], request: undefined, actor: actorOf(this.headers, context.actorHeader), started: this.started }
    }
    this.proceed()
  }

  /** Cancels the call (shutdown): the client's stream is reset, which cancels the backend's. */
  cancel(): void {
    if (this.clientClosed || this.answered) return
    try {
      this.stream.close(http2.constants.NGHTTP2_CANCEL)
    } catch {
      // Already closing.
    }
  }

  private onClientData(chunk: Bytes): void {
    const backend = this.backendStream
    if (backend !== undefined) {
      if (!backend.write(chunk)) {
        this.stream.pause()
        backend.once('drain', () => this.stream.resume())
      }
      return
    }
    this.pending.push(chunk)
    if (this.requestReader?.push(chunk) === true) this.decide()
  }

  private onClientEnd(): void {
    this.clientEnded = true
    if (this.backendStream !== undefined) this.backendStream.end()
    else if (this.requestReader !== undefined) this.decide()
  }

  private onClientClose(): void {
    this.clientClosed = true
    if (!this.answered) this.clientGone = true
    const backend = this.backendStream
    if (backend !== undefined && !backend.closed && !backend.destroyed) backend.close(http2.constants.NGHTTP2_CANCEL)
    // Still waiting for the request: nothing was decided, nothing is logged (the backend never heard of the call).
    if (this.requestReader !== undefined) this.requestReader = undefined
    this.release()
  }

  /** The request message of a call with rules is in (or the client ended without one): plan its events. */
  private decide(): void {
    const reader = this.requestReader
    if (reader === undefined) return
    this.requestReader = undefined
    const { route, context } = this
    if (reader.compressedSeen) {
      const error = new AuditrailError('invalid', `${route.method.fullName}: the request is compressed (grpc-encoding ${String(this.headers['grpc-encoding'])}); the proxy does not decode compressed messages, so the call is ${context.failClosed ? 'refused' : 'forwarded unaudited'}`, { component: 'grpc', field: route.method.fullName })
      context.writer.report(error, { rpc: route.method.fullName, actionType: undefined, request: undefined })
      if (context.failClosed) {
        this.answerStatus({ code: Status.UNIMPLEMENTED, details: `auditrail proxy: a compressed request of an audited RPC cannot be audited; ${route.method.fullName} was not performed` })
        return
      }
    } else if (route.audit !== undefined) {
      this.plan = planFor(route.method, route.audit, actorOf(this.headers, context.actorHeader), this.started, reader.message())
    }
    this.proceed()
  }

  /** Fail-closed intent and captures before, then the backend stream. */
  private proceed(): void {
    const plan = this.plan
    if (plan !== undefined) {
      this.auditDone = false
      if (plan.events.some((event) => event.kind === 'rule')) this.responseReader = new MessageReader()
      if (this.context.failClosed) {
        const refusal = writeIntent(this.context, plan)
        if (refusal !== undefined) {
          this.auditDone = true
          this.answerStatus(refusal)
          return
        }
      }
      // Without a capture there is nothing to wait for: no extra turns of the event loop on the common path.
      if (hasCapture(plan)) {
        this.stream.pause()
        readCaptures(this.context, plan, (path) => this.captureHeaders(path)).then(
          (before) => {
            this.before = before
            this.open()
          },
          (cause: unknown) => this.crash(cause),
        )
        return
      }
    }
    this.open()
  }

  /** `grpc-timeout` of a call forwarded now: what remains of the client's deadline. */
  private remaining(): WireHeaders {
    return this.deadline === undefined ? {} : { 'grpc-timeout': timeoutHeader(this.deadline - performance.now()) }
  }

  private captureHeaders(path: string): WireHeaders {
    return headersFrom(this.rawHeaders, { ':method': 'POST', ':scheme': 'http', ':authority': this.context.authority, ':path': path, ...this.remaining() }, CAPTURE_SKIP)
  }

  private open(): void {
    if (this.clientGone) {
      // The client went away while the intent or the captures were written: nothing reached the backend.
      this.complete({ code: Status.CANCELLED, details: 'Cancelled on client' }, false)
      return
    }
    const planned = this.plan !== undefined
    const pseudo: WireHeaders = { ':method': 'POST', ':scheme': 'http', ':authority': this.context.authority, ':path': this.route.method.path }
    // Forwarded at once, the client's own grpc-timeout is exact; later (intent, captures), what remains of it.
    const headers = headersFrom(this.rawHeaders, planned ? { ...pseudo, ...this.remaining() } : pseudo, this.responseReader === undefined ? undefined : PLANNED_SKIP)
    let backend: http2.ClientHttp2Stream
    try {
      backend = this.context.backend.request(headers)
    } catch (cause) {
      this.backendError = cause instanceof Error ? cause : new Error(String(cause))
      this.complete(statusOfClosedStream(undefined, this.backendError), false)
      return
    }
    this.backendStream = backend
    backend.on('response', (headers: http2.IncomingHttpHeaders, flags: number, raw: string[]) => this.onBackendResponse(headers, flags, raw))
    backend.on('data', (chunk: Bytes) => this.onBackendData(chunk, backend))
    backend.on('trailers', (_trailers: http2.IncomingHttpHeaders, _flags: number, raw: string[]) => (this.backendTrailers = raw))
    backend.on('end', () => {
      this.backendEnded = true
      if (this.backendTrailers !== undefined || this.backendTrailersOnly !== undefined) this.onBackendDone()
    })
    backend.on('error', (error: Error) => (this.backendError ??= error))
    backend.on('close', () => this.onBackendDone())
    for (const chunk of this.pending) backend.write(chunk)
    this.pending = []
    if (this.clientEnded) backend.end()
    this.stream.resume()
  }

  private onBackendResponse(headers: http2.IncomingHttpHeaders, flags: number, raw: string[]): void {
    if ((flags & END_STREAM_FLAG) !== 0) {
      // Trailers-only: the whole answer, held (like trailers) until the events are written.
      this.backendTrailersOnly = raw
      return
    }
    if (this.clientGone) return
    this.respondWith(headersFrom(raw, { ':status': headers[':status'] ?? 200 }))
  }

  private onBackendData(chunk: Bytes, backend: http2.ClientHttp2Stream): void {
    this.responseReader?.push(chunk)
    if (this.clientGone || !this.responded) return
    if (!this.stream.write(chunk)) {
      backend.pause()
      this.stream.once('drain', () => backend.resume())
    }
  }

  /** Sends response headers that are not the end of the answer; the trailers follow once `finalTrailers` is set and the stream ended. */
  private respondWith(headers: WireHeaders): void {
    try {
      this.stream.respond(headers, { waitForTrailers: true })
    } catch {
      // The client is gone: its 'close' cancels the backend stream.
      return
    }
    this.responded = true
    this.stream.once('wantTrailers', () => {
      try {
        this.stream.sendTrailers(this.finalTrailers ?? statusHeaders(NO_STATUS, false))
      } catch {
        // Reset by the client meanwhile.
      }
    })
  }

  private onBackendDone(): void {
    if (this.completed) return
    const raw = this.backendTrailersOnly ?? (this.backendEnded ? this.backendTrailers : undefined)
    const status = raw === undefined ? undefined : statusOf(raw)
    if (status !== undefined) return this.complete(status, true)
    if (raw !== undefined) return this.complete(NO_STATUS, true)
    this.complete(this.clientGone ? { code: Status.CANCELLED, details: 'Cancelled on client' } : statusOfClosedStream(this.backendStream?.rstCode, this.backendError), false)
  }

  /** The backend call is over (or never happened): captures after, events, then the answer. */
  private complete(status: GrpcStatus, fromBackend: boolean): void {
    if (this.completed) return
    this.completed = true
    const plan = this.plan
    if (plan === undefined) {
      this.answer(status, fromBackend)
      this.release()
      return
    }
    const result: BackendResult = { status, response: this.responseReader?.message(), cancelledByClient: this.clientGone }
    if (this.responseReader?.compressedSeen === true) {
      const rpc = plan.method.fullName
      this.context.writer.report(new AuditrailError('invalid', `${rpc}: the response is compressed; the proxy does not decode compressed messages, so its events have no response fields`, { component: 'grpc', field: rpc }), { rpc, actionType: undefined, request: plan.request })
    }
    if (!hasCapture(plan)) return this.finishAudit(plan, result, status, fromBackend, NOTHING_CAPTURED)
    readCaptures(this.context, plan, (path) => this.captureHeaders(path)).then(
      (after) => this.finishAudit(plan, result, status, fromBackend, after),
      (cause: unknown) => this.crash(cause),
    )
  }

  private finishAudit(plan: AuditPlan, result: BackendResult, status: GrpcStatus, fromBackend: boolean, after: ReadonlyMap<string, JsonValue | undefined>): void {
    let override: GrpcStatus | undefined
    try {
      override = writeOutcome(this.context, plan, result, this.before, after)
    } catch (cause) {
      return this.crash(cause)
    }
    this.auditDone = true
    if (override !== undefined) this.answerStatus(override)
    else this.answer(status, fromBackend)
    this.release()
  }

  /** Ends the client's call as the backend ended it: its own trailers (or trailers-only answer) when it sent them. */
  private answer(status: GrpcStatus, fromBackend: boolean): void {
    if (this.clientGone || this.answered) return
    if (fromBackend && this.backendTrailersOnly !== undefined && !this.responded) {
      this.answered = true
      const raw = this.backendTrailersOnly
      try {
        this.stream.respond(headersFrom(raw, { ':status': Number(raw[raw.indexOf(':status') + 1] ?? 200) }), { endStream: true })
      } catch {
        // The client is gone.
      }
      return
    }
    if (fromBackend && this.backendTrailers !== undefined && this.responded) {
      this.answered = true
      this.finalTrailers = headersFrom(this.backendTrailers, {})
      this.stream.end()
      return
    }
    this.answerStatus(status)
  }

  /** Ends the client's call with this status alone. */
  private answerStatus(status: GrpcStatus): void {
    if (this.clientGone || this.answered) return
    this.answered = true
    if (this.responded) {
      this.finalTrailers = statusHeaders(status, false)
      this.stream.end()
    } else {
      refuse(this.stream, status)
    }
  }

  /** A bug of ours must not leave the client hanging until its deadline, nor `close()` waiting. */
  private crash(cause: unknown): void {
    // The client gets a generic INTERNAL (as before this engine): the cause may name files and hosts it must not see.
    void cause
    this.auditDone = true
    this.completed = true
    const backend = this.backendStream
    if (backend !== undefined && !backend.closed && !backend.destroyed) backend.close(http2.constants.NGHTTP2_CANCEL)
    this.answerStatus(INTERNAL_ERROR)
    this.release()
  }

  /** Done once the client's stream is closed and the events are written. */
  private release(): void {
    if (this.released || !this.clientClosed || !this.auditDone) return
    this.released = true
    const { calls } = this.context
    calls.delete(this)
    if (calls.size === 0) this.context.onIdle?.()
  }
}
