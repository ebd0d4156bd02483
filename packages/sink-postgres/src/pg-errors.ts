import { AuditrailError, type AuditrailErrorCode } from '@auditrail/core'
import { withoutSecret } from './connection-target.js'

/** The package's name in error messages. */
export const COMPONENT = 'sink-postgres'

/** The SQLSTATE of a PostgreSQL error, if the server sent one. */
export function sqlState(error: unknown): string | undefined {
  const code = typeof error === 'object' && error !== null && 'code' in error ? (error as { code: unknown }).code : undefined
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined
}

/**
 * The auditrail code for a failure: a lock not obtained in time is `locked`; data the server refuses (bad encoding,
 * U+0000 in a jsonb string) is `invalid`; everything else — the server down or restarting, a statement timeout,
 * a permission or constraint refusal — is `io`, with the server's SQLSTATE in the message.
 */
function codeFor(state: string | undefined): AuditrailErrorCode {
  if (state === '55P03') return 'locked'
  if (state !== undefined && (state.startsWith('22') || state === '42804')) return 'invalid'
  return 'io'
}

/** A short, password-free account of what went wrong: the SQLSTATE and the server's message, or the socket error. */
function describe(error: unknown, secret: string | undefined): string {
  const state = sqlState(error)
  const message = error instanceof Error ? error.message : String(error)
  const errno = typeof error === 'object' && error !== null && 'code' in error && state === undefined ? String((error as { code: unknown }).code) : undefined
  const text = state !== undefined ? `${state} ${message}` : errno !== undefined && !message.includes(errno) ? `${errno} ${message}` : message
  return withoutSecret(text, secret)
}

/**
 * Wraps a failure of `action` against `display` (the address without its password) in an {@link AuditrailError}. The
 * original error is the `cause` only when it cannot carry the password (node-postgres errors hold the message and
 * the SQLSTATE, not the configuration); its message is scrubbed of `secret` all the same.
 */
export function postgresError(action: string, display: string, cause: unknown, secret?: string): AuditrailError {
  if (cause instanceof AuditrailError) return cause
  const safeCause = cause instanceof Error ? Object.assign(new Error(withoutSecret(cause.message, secret)), { code: sqlState(cause) ?? (cause as { code?: unknown }).code }) : undefined
  // A missing table is what a newcomer meets first, reading a database nothing has been shipped to yet.
  const hint = sqlState(cause) === '42P01' ? ' (no auditrail trail in this database yet: `auditrail ship <log> --to <url>` creates it; a sink with migrate: false needs printMigration() run first)' : ''
  return new AuditrailError(codeFor(sqlState(cause)), `cannot ${action}: ${describe(cause, secret)}${hint}`, { component: COMPONENT, file: display, cause: safeCause })
}
