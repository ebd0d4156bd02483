import { isFailureStatus, parseMicros, type AuditEvent, type AuditStatus } from '@auditrail/core'

/** What `auditrail query` selects on; every given criterion must hold. */
export interface EventFilterOptions {
  /** Any of these action types. */
  readonly actions?: readonly string[]
  /** Any of these actors (an event without an actor never matches). */
  readonly actors?: readonly string[]
  /** `failed` matches every failure, WeightsLab's `error` included; `success` and `error` match only themselves. */
  readonly status?: AuditStatus
  /** At or after, in microseconds since the epoch. */
  readonly since?: number
  /** At or before, in microseconds since the epoch. */
  readonly until?: number
  /** Text in the details (as compact JSON) or the error, ignoring case. */
  readonly grep?: string
}

/** Builds the predicate of a query. */
export function createEventFilter(options: EventFilterOptions): (event: AuditEvent) => boolean {
  const actions = options.actions !== undefined && options.actions.length > 0 ? new Set(options.actions) : undefined
  const actors = options.actors !== undefined && options.actors.length > 0 ? new Set(options.actors) : undefined
  const needle = options.grep?.toLowerCase()
  return (event) => {
    if (actions !== undefined && !actions.has(event.action_type)) return false
    if (actors !== undefined && (event.actor === undefined || !actors.has(event.actor))) return false
    if (options.status !== undefined && event.status !== options.status && !(options.status === 'failed' && isFailureStatus(event.status))) return false
    if (options.since !== undefined || options.until !== undefined) {
      const micros = parseMicros(event.timestamp)
      if (options.since !== undefined && micros < options.since) return false
      if (options.until !== undefined && micros > options.until) return false
    }
    if (needle !== undefined) {
      const haystack = `${JSON.stringify(event.details)}\n${event.error ?? ''}`.toLowerCase()
      if (!haystack.includes(needle)) return false
    }
    return true
  }
}
