import type { DecodeIssue } from './path-reporter.js'

/**
 * The closed set of failure kinds. Callers branch on `code`, never on message text.
 * - `options`: a factory or constructor was given an invalid option.
 * - `invalid`: `logEvent` was given bad input (named in `field`); nothing was written.
 * - `decode`: stored or external data does not decode as an audit event.
 * - `corrupt`: an existing log file is not in a shape we can continue; it is left untouched.
 * - `locked`: the cross-process lock was not obtained in time.
 * - `io`: a file-system call failed (the `cause` carries the errno).
 * - `closed`: the logger or sink was used after `close()`.
 * - `unsafe`: a path we write or lock is a symbolic link; it is refused, never followed, and nothing is written.
 */
export type AuditrailErrorCode = 'options' | 'invalid' | 'decode' | 'corrupt' | 'locked' | 'io' | 'closed' | 'unsafe'

/** Where an {@link AuditrailError} came from and what it concerns. */
export interface AuditrailErrorContext {
  /** The package or component that raised it, e.g. `core` or `sink-json`. */
  readonly component: string
  /** The file concerned, when there is one. */
  readonly file?: string
  /** The input field concerned (`status`, `details.sample_ids[2]`), when there is one. */
  readonly field?: string
  /** The underlying error, such as a Node `ErrnoException`. */
  readonly cause?: unknown
  /** For `decode` and `invalid` errors: every problem found, as data. */
  readonly issues?: readonly DecodeIssue[]
}

/** The one error class auditrail throws; `code` is one of a closed set. */
export class AuditrailError extends Error {
  override readonly name = 'AuditrailError'
  readonly code: AuditrailErrorCode
  readonly component: string
  readonly file: string | undefined
  readonly field: string | undefined
  readonly issues: readonly DecodeIssue[]

  constructor(code: AuditrailErrorCode, message: string, context: AuditrailErrorContext) {
    const where = context.file === undefined ? '' : ` (${context.file})`
    super(`[auditrail] [${context.component}] ${message}${where}`, { cause: context.cause })
    this.code = code
    this.component = context.component
    this.file = context.file
    this.field = context.field
    this.issues = context.issues ?? []
  }
}

/** True when `error` is an {@link AuditrailError}, optionally of the given code. */
export function isAuditrailError(error: unknown, code?: AuditrailErrorCode): error is AuditrailError {
  return error instanceof AuditrailError && (code === undefined || error.code === code)
}

/** The errno code of a Node system error (`ENOENT`, `ENOSPC`, …), if it has one. */
export function errnoCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const code = (error as { code: unknown }).code
    return typeof code === 'string' ? code : undefined
  }
  return undefined
}

/**
 * Wraps a failed file-system call in an `io` {@link AuditrailError} that names the call and the file; ELOOP (what an
 * `O_NOFOLLOW` open of a symbolic link fails with) becomes an `unsafe` error naming the link.
 */
export function ioError(component: string, action: string, file: string, cause: unknown): AuditrailError {
  if (cause instanceof AuditrailError) return cause
  if (errnoCode(cause) === 'ELOOP') return unsafePathError(component, errnoPath(cause) ?? file, cause)
  const code = errnoCode(cause) ?? (cause instanceof Error ? cause.message : String(cause))
  return new AuditrailError('io', `cannot ${action}: ${code}`, { component, file, cause })
}

/**
 * What a sink threw, as the {@link AuditrailError} every caller is promised: an AuditrailError passes unchanged; anything
 * else (a custom sink's plain `Error`, a thrown string) becomes an `io` error whose `component` is the sink's name, whose
 * message says what the sink was doing and what it said, and whose `cause` is the original.
 */
export function sinkError(sinkName: string, action: string, cause: unknown): AuditrailError {
  if (cause instanceof AuditrailError) return cause
  const said = cause instanceof Error ? cause.message : String(cause)
  return new AuditrailError('io', `sink "${sinkName}" failed to ${action}: ${said}`, { component: sinkName, cause })
}

/**
 * The `unsafe` {@link AuditrailError} for a symbolic link found where we write or lock; the message ends with the
 * link's path, as every error naming a file does: `[auditrail] [sink-json] refusing to follow a symbolic link (…/audit_log.json)`.
 */
export function unsafePathError(component: string, path: string, cause?: unknown): AuditrailError {
  return new AuditrailError('unsafe', 'refusing to follow a symbolic link', { component, file: path, cause })
}

function errnoPath(error: unknown): string | undefined {
  const at = typeof error === 'object' && error !== null && 'path' in error ? (error as { path: unknown }).path : undefined
  return typeof at === 'string' ? at : undefined
}

/**
 * Emits a process warning for a failure nobody can be thrown to. Node ignores `type` and `code` when handed an
 * Error, so the warning is its own Error: name `AuditrailWarning`, a stable `code`, and the failure as `cause`.
 */
export function emitAuditrailWarning(code: 'AUDITRAIL_NOT_PERSISTED' | 'AUDITRAIL_LOCK_COMPROMISED' | 'AUDITRAIL_RECORD_SKIPPED', failure: unknown): void {
  const message = failure instanceof Error ? failure.message : String(failure)
  process.emitWarning(Object.assign(new Error(message, { cause: failure }), { name: 'AuditrailWarning', code }))
}
