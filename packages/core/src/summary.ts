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
  let total = 0
  // Null-prototype maps: an action type named "__proto__" or "constructor" must count like any other.
  const byAction: Record<string, number> = Object.create(null) as Record<string, number>
  const byStatus: Record<string, number> = Object.create(null) as Record<string, number>
  for (const event of events) {
    total++
    byAction[event.action_type] = (byAction[event.action_type] ?? 0) + 1
    byStatus[event.status] = (byStatus[event.status] ?? 0) + 1
  }
  return { total_events: total, by_action_type: { ...byAction }, by_status: { ...byStatus } }
}
