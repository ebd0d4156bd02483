import { AuditrailError, isAuditrailError, type AuditStatus, type DetailsInput } from '@auditrail/core'
import type { Metadata } from '@grpc/grpc-js'
import { auditUnavailable, grpcErrorMessage, type GrpcStatusError } from './grpc-error.js'
import type { ActorContext, AuditEventWriter, RpcAudit, RpcAuditContext } from './rpc-audit.js'

/** Which call an audit failure concerns. */
export interface AuditErrorContext {
  /** The RPC's name as in the proto. */
  readonly rpc: string
  /** The action type, once chosen (`undefined` when choosing it failed). */
  readonly actionType: string | undefined
  readonly request: unknown
}

/** Receives every audit failure: a mapping that threw, or an event the logger could not persist. */
export type AuditErrorHandler = (error: AuditrailError, context: AuditErrorContext) => void

/** How a handler answered. */
export interface CallOutcome {
  readonly status: AuditStatus
  readonly error: string | null
  readonly response: unknown
}

/** The part of a grpc-js server call the recorder reads. */
export interface AuditedCall {
  readonly request: unknown
  readonly metadata: Metadata
  getPeer(): string
}

/** One admitted call, waiting for its handler's answer. */
export interface CallRecord {
  /** Logs the outcome. Returns the error to answer with instead of the handler's (fail-closed only). */
  finish(outcome: CallOutcome): GrpcStatusError | undefined
}

/** The recorder's verdict on a call before its handler runs. */
export type Admission = { readonly refusal: GrpcStatusError } | { readonly refusal?: undefined; readonly record: CallRecord }

/** Builds and writes one event per call, and keeps fail-closed mode's gate. */
export interface AuditRecorder {
  admit(rpc: string, audit: RpcAudit, call: AuditedCall): Admission
}

/** Options of {@link createAuditRecorder}. */
export interface AuditRecorderOptions {
  readonly logger: AuditEventWriter
  readonly failClosed: boolean
  readonly onAuditError: AuditErrorHandler
  /** Names who made a call (the event's `actor`); `undefined`: no actor. */
  readonly actor?: ((context: ActorContext) => string | undefined) | undefined
}

const REFUSED = 'refused: the audit log could not be written (fail-closed)'

/** Success outcome of a handler that answered `response`. */
export function succeeded(response: unknown): CallOutcome {
  return { status: 'success', error: null, response }
}

/** Failure outcome of a handler that answered, threw or rejected with `error`. */
export function failedWith(error: unknown): CallOutcome {
  return { status: 'failed', error: grpcErrorMessage(error), response: undefined }
}

function mappingError(rpc: string, part: string, cause: unknown): AuditrailError {
  if (isAuditrailError(cause)) return cause
  return new AuditrailError('invalid', `${rpc}: the audit mapping's ${part} threw: ${grpcErrorMessage(cause)}`, { component: 'grpc', field: rpc, cause })
}

function writeError(rpc: string, cause: unknown): AuditrailError {
  if (isAuditrailError(cause)) return cause
  return new AuditrailError('io', `${rpc}: the audit event could not be written: ${grpcErrorMessage(cause)}`, { component: 'grpc', field: rpc, cause })
}

function peerOf(call: AuditedCall): string {
  try {
    return call.getPeer()
  } catch {
    // The peer is context for the details function only; a call torn down early must still be audited.
    return 'unknown'
  }
}

/** Options of {@link createEventWriter}. */
export interface EventWriterOptions {
  readonly logger: AuditEventWriter
  readonly onAuditError: AuditErrorHandler
}

/** Writes events through a logger, reports every failure once, and remembers whether the last write failed. */
export interface EventWriter {
  /**
   * Builds (`details`, `actor`) and writes one event; returns the failure, if any, after reporting it. Only logger
   * failures (not bad details) count as `lastFailure`.
   */
  write(rpc: string, actionType: string, outcome: CallOutcome, details: () => DetailsInput, actor: () => string | undefined, request: unknown): AuditrailError | undefined
  /** Reports a failure that happened outside `write` (a mapping that threw). */
  report(error: AuditrailError, context: AuditErrorContext): void
  /** The failure of the last logger write, `undefined` once one succeeded. */
  readonly lastFailure: AuditrailError | undefined
}

/** Creates the event writer shared by the in-process wrapper and the proxy. */
export function createEventWriter({ logger, onAuditError }: EventWriterOptions): EventWriter {
  let lastFailure: AuditrailError | undefined

  function report(error: AuditrailError, context: AuditErrorContext): void {
    try {
      onAuditError(error, context)
    } catch {
      // A reporter that throws must not turn into a second, unaudited outcome of the RPC.
    }
  }

  return {
    report,
    get lastFailure() {
      return lastFailure
    },
    write(rpc, actionType, outcome, details, actor, request) {
      let built: DetailsInput
      let who: string | undefined
      let part = 'details'
      try {
        built = details()
        part = 'actor'
        who = actor()
      } catch (cause) {
        const error = mappingError(rpc, part, cause)
        report(error, { rpc, actionType, request })
        return error
      }
      try {
        if (who === undefined) logger.logEvent(actionType, outcome.status, built, outcome.error)
        else logger.logEvent(actionType, outcome.status, built, outcome.error, { actor: who })
        lastFailure = undefined
        return undefined
      } catch (cause) {
        const error = writeError(rpc, cause)
        if (error.code !== 'invalid') lastFailure = error
        report(error, { rpc, actionType, request })
        return error
      }
    },
  }
}

/**
 * Creates the recorder. In fail-closed mode its gate shuts when the logger reports `closed` or a write
 * failed; while shut, each call is refused without running its handler and tries to record its refusal,
 * and the first write that succeeds opens the gate again.
 */
export function createAuditRecorder({ logger, failClosed, onAuditError, actor }: AuditRecorderOptions): AuditRecorder {
  const writer = createEventWriter({ logger, onAuditError })
  const report = writer.report

  /** Writes one event; returns the failure, if any. Only logger failures (not bad details) shut the gate. */
  function write(rpc: string, actionType: string, outcome: CallOutcome, details: () => DetailsInput, call: AuditedCall): AuditrailError | undefined {
    return writer.write(rpc, actionType, outcome, details, () => actor?.({ rpc, request: call.request, metadata: call.metadata, peer: peerOf(call) }), call.request)
  }

  return {
    admit(rpc, audit, call) {
      const { request, metadata } = call
      let actionType: string | undefined
      let before: unknown
      try {
        const chosen: unknown = typeof audit.action === 'function' ? audit.action(request) : audit.action
        if (typeof chosen !== 'string' || chosen.length === 0) throw new TypeError(`expected a non-empty action type, got ${JSON.stringify(chosen) ?? 'undefined'}`)
        actionType = chosen
        before = audit.capture?.(request, actionType)
      } catch (cause) {
        const error = mappingError(rpc, actionType === undefined ? 'action' : 'capture', cause)
        report(error, { rpc, actionType, request })
        // Without an action type there is nothing to log: fail-closed refuses, fail-open lets the call through unaudited.
        return failClosed ? { refusal: auditUnavailable(rpc, error, false) } : { record: { finish: () => undefined } }
      }
      const chosen = actionType
      const detailsOf = (outcome: CallOutcome, after: unknown) => (): DetailsInput => {
        const context: RpcAuditContext = { rpc, actionType: chosen, request, ...outcome, before, after, metadata, peer: peerOf(call) }
        const own = audit.details?.(context) ?? {}
        if (audit.capture === undefined) return own
        // The mapping's own fields first (as the spec's examples read), then the captured values unless it set them.
        return { ...own, ...('before' in own ? {} : { before }), ...('after' in own ? {} : { after }) }
      }

      if (failClosed && (logger.closed === true || writer.lastFailure !== undefined)) {
        const cause = writer.lastFailure ?? new AuditrailError('closed', `${rpc}: the audit logger is closed`, { component: 'grpc', field: rpc })
        if (logger.closed !== true) {
          const refused: CallOutcome = { status: 'failed', error: REFUSED, response: undefined }
          write(rpc, chosen, refused, detailsOf(refused, before), call)
        }
        return { refusal: auditUnavailable(rpc, cause, false) }
      }

      return {
        record: {
          finish(outcome) {
            let after: unknown
            try {
              after = audit.capture?.(request, chosen)
            } catch (cause) {
              const error = mappingError(rpc, 'capture', cause)
              report(error, { rpc, actionType: chosen, request })
              return failClosed ? auditUnavailable(rpc, error, true) : undefined
            }
            const error = write(rpc, chosen, outcome, detailsOf(outcome, after), call)
            return error !== undefined && failClosed ? auditUnavailable(rpc, error, true) : undefined
          },
        },
      }
    },
  }
}
