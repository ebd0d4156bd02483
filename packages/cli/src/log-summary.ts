import { isFailureStatus, parseMicros, summarizeEvents, type AuditEvent, type LogSummary } from '@auditrail/core'

/** The first and last timestamps of a log (by time, whatever the file's order). */
export interface TimeSpan {
  readonly start: string
  readonly end: string
}

/** `getLogSummary()`'s object plus the time span: what `auditrail summary --json` prints. */
export interface LogSummaryWithSpan extends LogSummary {
  readonly time_span: TimeSpan | null
}

/** The summary, and failed events per action type for the human report. */
export interface SummaryResult {
  readonly summary: LogSummaryWithSpan
  readonly failedByAction: ReadonlyMap<string, number>
}

/** Summarizes a stream of events in one pass, holding only the counts. */
export function summarizeLog(events: Iterable<AuditEvent>): SummaryResult {
  let start: { timestamp: string; micros: number } | undefined
  let end: { timestamp: string; micros: number } | undefined
  const failedByAction = new Map<string, number>()
  function* tracked(): Generator<AuditEvent> {
    for (const event of events) {
      const micros = parseMicros(event.timestamp)
      if (start === undefined || micros < start.micros) start = { timestamp: event.timestamp, micros }
      if (end === undefined || micros > end.micros) end = { timestamp: event.timestamp, micros }
      if (isFailureStatus(event.status)) failedByAction.set(event.action_type, (failedByAction.get(event.action_type) ?? 0) + 1)
      yield event
    }
  }
  const counts = summarizeEvents(tracked())
  const span = start !== undefined && end !== undefined ? { start: start.timestamp, end: end.timestamp } : null
  return { summary: { ...counts, time_span: span }, failedByAction }
}
