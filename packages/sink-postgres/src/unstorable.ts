import { AuditrailError, childPath, type JsonValue, type PendingEvent } from '@auditrail/core'
import { COMPONENT } from './pg-errors.js'

/** The path below `path` of the first string (or key) in `value` holding U+0000, or undefined. */
function nulPath(value: JsonValue, path: string): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? path : undefined
  if (value === null || typeof value !== 'object') return undefined
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = nulPath(value[i] as JsonValue, `${path}[${i}]`)
      if (found !== undefined) return found
    }
    return undefined
  }
  for (const key in value as { readonly [key: string]: JsonValue }) {
    const at = childPath(path, key)
    if (key.includes('\u0000')) return at
    const found = nulPath((value as { readonly [key: string]: JsonValue })[key] as JsonValue, at)
    if (found !== undefined) return found
  }
  return undefined
}

/**
 * Where an event holds what PostgreSQL can never store: U+0000 in a string or key of `details`, or in `error`
 * (`text` and `jsonb` refuse it, SQLSTATE 22P05 / 22021). A path such as `details.note_text`, or undefined.
 */
export function unstorableField(event: Pick<PendingEvent, 'details' | 'error'>): string | undefined {
  if (event.error !== null && event.error.includes('\u0000')) return 'error'
  return nulPath(event.details, 'details')
}

/** The `invalid` error for `subject` (the event, in words) holding U+0000 at `field`, and what `then` adds. */
export function unstorableError(field: string, subject: string, file: string, then = ''): AuditrailError {
  return new AuditrailError('invalid', `${subject} holds U+0000 in ${field}, which PostgreSQL's text and jsonb cannot store; refused every time, so not retried${then}`, {
    component: COMPONENT,
    field,
    file,
  })
}
