import type { AuditEvent } from './codecs.js'

/** The spec's `get_log_summary()` result. */
export interface LogSummary {
  readonly total_events: number
  /** Count per action type, in order of first appearance. */
  readonly by_action_type: Readonly<Record<string, number>>
  /** Count per status present. */
  readonly by_status: Readonly<Record<string, number>>
}

/** Counts events by action type and status, streaming over any iterable. */
export function summarizeEvents(events: Iterable<Pick<AuditEvent, 'action_type' | 'status'>>): LogSummary {
  // Maps, not objects: an action type named "__proto__" or "constructor" must count like any other.
  const byAction = new Map<string, number>()
  const byStatus = new Map<string, number>()
  let total = 0
  for (const event of events) {
    total++
    byAction.set(event.action_type, (byAction.get(event.action_type) ?? 0) + 1)
    byStatus.set(event.status, (byStatus.get(event.status) ?? 0) + 1)
  }
  // Object.fromEntries defines own properties, so "__proto__" becomes a key, not the prototype.
  return { total_events: total, by_action_type: Object.fromEntries(byAction), by_status: Object.fromEntries(byStatus) }
}
