import type { AuditrailError } from '@auditrail/core'
import { status } from '@grpc/grpc-js'

/** An error grpc-js turns into a status: an `Error` with the gRPC `code` and `details`. */
export type GrpcStatusError = Error & { readonly code: number; readonly details: string }

/**
 * The message a handler's error carries, as grpc-js reads it: `details` when the error has an integer
 * `code`, else `message`. Used for the event's `error` field.
 */
export function grpcErrorMessage(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const { code, details, message } = error as { code?: unknown; details?: unknown; message?: unknown }
    if (Number.isInteger(code) && typeof details === 'string' && details.length > 0) return details
    if (typeof message === 'string' && message.length > 0) return message
  }
  if (typeof error === 'string' && error.length > 0) return error
  return 'Unknown error'
}

/** Turns whatever a promise rejected with into something grpc-js can answer with (it reads `error.message`). */
export function toAnswerableError(reason: unknown): Error {
  if (reason instanceof Error) return reason
  if (typeof reason === 'object' && reason !== null) return Object.assign(new Error(grpcErrorMessage(reason)), reason)
  return new Error(grpcErrorMessage(reason))
}

/**
 * The UNAVAILABLE answer of fail-closed mode. The text names the RPC and the failure's code, not its
 * message: that message may hold server paths the caller has no business seeing.
 */
export function auditUnavailable(rpc: string, cause: AuditrailError, handlerRan: boolean): GrpcStatusError {
  const what = handlerRan ? `${rpc} ran but could not be audited` : `${rpc} was not performed`
  const details = `audit log unavailable (${cause.code}): ${what}`
  return Object.assign(new Error(details), { code: status.UNAVAILABLE, details })
}

/** True for objects with a callable `then`: what an `async` handler returns. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function'
}
