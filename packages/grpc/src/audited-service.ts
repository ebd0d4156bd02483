import { AuditrailError } from '@auditrail/core'
import type { handleServerStreamingCall, handleUnaryCall, ServiceDefinition, UntypedServiceImplementation } from '@grpc/grpc-js'
import { auditServerStream, auditUnary } from './audited-handlers.js'
import { createAuditRecorder, type AuditErrorHandler } from './audit-recorder.js'
import { READ_ONLY, type ActorContext, type AuditEventWriter, type RpcAudit, type RpcAuditMapping } from './rpc-audit.js'

/** Options of {@link createAuditedService}. */
export interface AuditedServiceOptions {
  /** Where events go: an `AuditLogger` from `auditrail`, core's `EventLogger`, or anything with that `logEvent`. */
  readonly logger: AuditEventWriter
  /**
   * Every RPC of the service by its proto name (or grpc-js's camelCase name): how it is audited, or
   * `'read-only'`. An RPC left out, or a name the service lacks, is refused when the wrapper is created,
   * so no RPC goes unaudited by oversight.
   */
  readonly rpcs: RpcAuditMapping
  /**
   * Default `false`: when an event cannot be written the call proceeds with its own answer and the failure
   * goes to `onAuditError`. `true`: the call answers UNAVAILABLE instead, and until a write succeeds again
   * every audited call is refused before its handler runs (the trade-off: the service stops with its log).
   */
  readonly failClosed?: boolean
  /** Receives every audit failure. Default: `process.emitWarning`, so it reaches stderr without stopping the server. */
  readonly onAuditError?: AuditErrorHandler
  /**
   * Names who made each call: the event's `actor` (e.g. from an authenticated identity, or a metadata entry such as
   * `x-user` — which records what the client claims, unless your server checks it). Returning `undefined` logs no
   * actor (the logger's default `actor`, if it has one, applies). Default: none.
   */
  readonly actor?: (context: ActorContext) => string | undefined
}

function optionsError(message: string, field: string): AuditrailError {
  return new AuditrailError('options', message, { component: 'grpc', field })
}

function checkAudit(rpc: string, audit: RpcAudit): void {
  if (typeof audit !== 'object' || audit === null) throw optionsError(`rpcs.${rpc}: expected { action, details?, capture? } or '${READ_ONLY}'`, `rpcs.${rpc}`)
  const { action, details, capture } = audit
  if (!(typeof action === 'function' || (typeof action === 'string' && action.length > 0))) {
    throw optionsError(`rpcs.${rpc}.action: expected an action type or a function choosing one`, `rpcs.${rpc}.action`)
  }
  for (const [name, value] of [['details', details], ['capture', capture]] as const) {
    if (value !== undefined && typeof value !== 'function') throw optionsError(`rpcs.${rpc}.${name}: expected a function`, `rpcs.${rpc}.${name}`)
  }
}

/** Finds the mapping entry of one method under its proto name or its camelCase name, never both. */
function entryOf(rpcs: RpcAuditMapping, name: string, originalName: string | undefined): RpcAudit | typeof READ_ONLY | undefined {
  const own = Object.prototype.hasOwnProperty.call(rpcs, name) ? rpcs[name] : undefined
  const alias = originalName !== undefined && originalName !== name && Object.prototype.hasOwnProperty.call(rpcs, originalName) ? rpcs[originalName] : undefined
  if (own !== undefined && alias !== undefined) throw optionsError(`rpcs: ${name} is mapped twice (also as ${originalName})`, `rpcs.${name}`)
  return own ?? alias
}

/**
 * Wraps a grpc-js service implementation so that every audited RPC writes one event per call through
 * `options.logger`, with no logging code in the handlers. Pass the result to `server.addService`.
 * Throws an `options` AuditrailError, before any call is served, for an incomplete or invalid mapping.
 *
 * @example
 * server.addService(service, createAuditedService(service, implementation, { logger, rpcs: {
 *   ExperimentCommand: { action: (req) => req.command, capture: () => trainer.hyperparameters() },
 *   GetExperimentState: 'read-only',
 * } }))
 */
export function createAuditedService<I extends UntypedServiceImplementation>(service: ServiceDefinition, implementation: I, options: AuditedServiceOptions): I {
  const { logger, rpcs } = options
  if (typeof logger?.logEvent !== 'function') throw optionsError('logger: expected an object with a logEvent method', 'logger')
  if (typeof rpcs !== 'object' || rpcs === null) throw optionsError('rpcs: expected an object mapping every RPC of the service', 'rpcs')
  if (options.onAuditError !== undefined && typeof options.onAuditError !== 'function') throw optionsError('onAuditError: expected a function', 'onAuditError')
  if (options.actor !== undefined && typeof options.actor !== 'function') throw optionsError('actor: expected a function of the call', 'actor')

  const known = new Set<string>()
  const missing: string[] = []
  const plan: Array<{ name: string; key: string; audit: RpcAudit; stream: boolean }> = []
  for (const [name, method] of Object.entries(service)) {
    known.add(name)
    if (method.originalName !== undefined) known.add(method.originalName)
    const entry = entryOf(rpcs, name, method.originalName)
    if (entry === undefined) {
      missing.push(name)
      continue
    }
    if (entry === READ_ONLY) continue
    checkAudit(name, entry)
    if (method.requestStream) throw optionsError(`rpcs.${name}: only unary and server-streaming RPCs can be audited; mark a client-streaming RPC '${READ_ONLY}'`, `rpcs.${name}`)
    // grpc-js looks a handler up under the method's name, then under its camelCase name; so do we.
    const key = name in implementation ? name : method.originalName !== undefined && method.originalName in implementation ? method.originalName : undefined
    if (key !== undefined) plan.push({ name, key, audit: entry, stream: method.responseStream })
  }
  if (missing.length > 0) throw optionsError(`rpcs: no audit mapping for ${missing.join(', ')}; map each RPC or mark it '${READ_ONLY}'`, 'rpcs')
  const unknown = Object.keys(rpcs).filter((name) => !known.has(name))
  if (unknown.length > 0) throw optionsError(`rpcs: the service has no RPC named ${unknown.join(', ')}`, 'rpcs')

  const recorder = createAuditRecorder({
    logger,
    failClosed: options.failClosed ?? false,
    onAuditError: options.onAuditError ?? ((error) => process.emitWarning(error)),
    actor: options.actor,
  })
  const wrapped: UntypedServiceImplementation = { ...implementation }
  for (const { name, key, audit, stream } of plan) {
    const handler = implementation[key]
    if (typeof handler !== 'function') throw optionsError(`implementation.${key}: expected a handler function`, `implementation.${key}`)
    wrapped[key] = stream
      ? auditServerStream(name, audit, handler as handleServerStreamingCall<unknown, unknown>, recorder)
      : auditUnary(name, audit, handler as handleUnaryCall<unknown, unknown>, recorder)
  }
  return wrapped as I
}
