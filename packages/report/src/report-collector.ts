import { AuditrailError, parseMicros, type AuditEvent } from '@auditrail/core'
import { checkpointProjection, createActivityProjection, dataProjection, hyperparametersProjection, notesProjection, trainingProjection } from '@auditrail/replay'
import { createCappedList } from './capped-list.js'
import type { EmbeddedEvent, ReportData, ReportIntegrity } from './report-data.js'
import { createStateSeries } from './state-series.js'
import { createTimeBins } from './time-bins.js'

/** Options of {@link collectReport} and {@link createReportCollector}. */
export interface ReportOptions {
  /** The log as the user named it: the page prints `auditrail query <log> …` commands with it. Default `audit_log.json`. */
  readonly log?: string
  /** The log's format, shown on the page. Default `json`. */
  readonly format?: string
  /** Page title. Default: `auditrail report: <log>`. */
  readonly title?: string
  /** Embed every event when the log has at most this many; else the state-changing and failed ones and the newest. Default 20,000 (about 6 MB). */
  readonly maxEvents?: number
  /** In a larger log, the newest events embedded whatever their type. Default 2,000. */
  readonly newestEvents?: number
  /** Points kept per hyperparameter, and for training and checkpoints (the newest). Default 5,000. */
  readonly maxSeriesPoints?: number
  /** Histogram bins at most. Default 240. */
  readonly maxBins?: number
  /** Actors counted at most (the filter's choices). Default 500. */
  readonly maxActors?: number
  /** Served by `auditrail serve`: the page listens for appended events. Default false. */
  readonly live?: boolean
  /** The generation time shown; default now. */
  readonly now?: () => Date
}

/** A report in progress: add events oldest first, then finish with the verification result. */
export interface ReportCollector {
  add(event: AuditEvent): void
  finish(integrity: ReportIntegrity): ReportData
}

/** The action types replay's projections fold: a successful event of one of them changes the state. */
const STATE_CHANGING = new Set<string>([
  ...hyperparametersProjection.actions,
  ...trainingProjection.actions,
  ...dataProjection.actions,
  ...checkpointProjection.actions,
  ...createActivityProjection('evaluation_start').actions,
  ...createActivityProjection('query_execute').actions,
  ...notesProjection.actions,
])

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new AuditrailError('options', `${name}: expected a whole number ≥ 0, got ${String(value)}`, { component: 'report', field: name })
  }
  return value
}

/** Starts a report: memory is bounded by the caps, whatever the log's length. Throws an `options` AuditrailError for a bad cap. */
export function createReportCollector(options: ReportOptions = {}): ReportCollector {
  const maxEvents = positive('maxEvents', options.maxEvents, 20_000)
  const newestEvents = Math.min(maxEvents, positive('newestEvents', options.newestEvents, 2_000))
  const maxActors = positive('maxActors', options.maxActors, 500)
  const bins = createTimeBins(Math.max(1, positive('maxBins', options.maxBins, 240)))
  const series = createStateSeries(positive('maxSeriesPoints', options.maxSeriesPoints, 5_000))
  const all = createCappedList<EmbeddedEvent>(maxEvents)
  const important = createCappedList<EmbeddedEvent>(maxEvents - newestEvents)
  const byAction = new Map<string, number>()
  const byStatus = new Map<string, number>()
  const failedByAction = new Map<string, number>()
  const actors = new Map<string, number>()
  let start: { timestamp: string; us: number } | undefined
  let end: { timestamp: string; us: number } | undefined
  let total = 0
  let importantTotal = 0
  const bump = (map: Map<string, number>, key: string): void => void map.set(key, (map.get(key) ?? 0) + 1)
  return {
    add(event) {
      const us = parseMicros(event.timestamp)
      const failed = event.status === 'failed'
      const embedded: EmbeddedEvent = { n: total++, us, event }
      bump(byAction, event.action_type)
      bump(byStatus, event.status)
      if (failed) bump(failedByAction, event.action_type)
      if (event.actor !== undefined && (actors.has(event.actor) || actors.size < maxActors)) bump(actors, event.actor)
      if (start === undefined || us < start.us) start = { timestamp: event.timestamp, us }
      if (end === undefined || us > end.us) end = { timestamp: event.timestamp, us }
      bins.add(us, event.action_type, failed)
      series.add(event, us)
      all.push(embedded)
      if (failed || STATE_CHANGING.has(event.action_type)) {
        importantTotal++
        important.push(embedded)
      }
    },
    finish(integrity) {
      let events: EmbeddedEvent[]
      if (total <= maxEvents) events = all.toArray()
      else {
        const newest = all.toArray().slice(-newestEvents)
        const firstNewest = newest[0]?.n ?? total
        events = [...important.toArray().filter((e) => e.n < firstNewest), ...newest]
      }
      const embeddedImportant = events.filter((e) => e.event.status === 'failed' || STATE_CHANGING.has(e.event.action_type)).length
      const log = options.log ?? 'audit_log.json'
      return {
        version: 1,
        title: options.title ?? `auditrail report: ${log}`,
        log,
        format: options.format ?? 'json',
        generatedAt: (options.now?.() ?? new Date()).toISOString(),
        live: options.live === true,
        integrity,
        summary: {
          total,
          byAction: Object.fromEntries(byAction),
          byStatus: Object.fromEntries(byStatus),
          failedByAction: Object.fromEntries(failedByAction),
          span: start !== undefined && end !== undefined ? { start: start.timestamp, end: end.timestamp, startUs: start.us, endUs: end.us } : null,
        },
        actors: Object.fromEntries(actors),
        bins: bins.result(),
        events,
        omitted: { events: total - events.length, important: importantTotal - embeddedImportant },
        ...series.result(),
      }
    },
  }
}

/** Collects a report from events read oldest first (an iterable or an async iterable) and the log's verification result. */
export async function collectReport(
  events: Iterable<AuditEvent> | AsyncIterable<AuditEvent>,
  integrity: ReportIntegrity,
  options: ReportOptions = {},
): Promise<ReportData> {
  const collector = createReportCollector(options)
  if (Symbol.asyncIterator in events) for await (const event of events) collector.add(event)
  else for (const event of events) collector.add(event)
  return collector.finish(integrity)
}
