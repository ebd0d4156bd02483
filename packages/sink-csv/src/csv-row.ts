import { AuditrailError, decodeAuditEvent, type AuditEvent } from '@auditrail/core'
import { parse, type CastingContext } from 'csv-parse/sync'
import { stringify } from 'csv-stringify/sync'

/** The header the spec gives, exactly. */
export const CSV_COLUMNS = ['timestamp', 'action_type', 'status', 'details', 'error'] as const

/**
 * Encodes one event as an RFC 4180 row. Empty details (`{}`) and a `null` error are empty cells; an
 * empty-string error is a quoted empty cell (`""`), so our reader tells the two apart.
 */
export function encodeRow(event: AuditEvent, recordDelimiter: string): string {
  const details = Object.keys(event.details).length === 0 ? null : JSON.stringify(event.details)
  return stringify([[event.timestamp, event.action_type, event.status, details, event.error]], {
    record_delimiter: recordDelimiter,
    // With an explicit record_delimiter, csv-stringify would quote only cells containing that exact
    // delimiter: a lone "\n" or "\r" in an error would then split the row. Quote every CR and LF.
    quote_record_delimiter: true,
    // Quote the empty string only. `quoted_empty: true` would also quote `null`, making a null error `""`.
    quoted_match: [/^$/],
  })
}

/** Encodes the header line. */
export function encodeHeader(recordDelimiter: string): string {
  return `${CSV_COLUMNS.join(',')}${recordDelimiter}`
}

// Keep each cell a string, but mark quoted empty cells so that `""` (empty error) differs from `` (no error).
const QUOTED_EMPTY = Symbol('quoted-empty')
function keepQuotedEmpty(value: string, context: CastingContext): string | symbol {
  return value === '' && context.quoting ? QUOTED_EMPTY : value
}

/**
 * Parses CSV text (header included) into events, oldest first. Every row must have the five columns;
 * `details` must be a JSON object (or empty); each event must decode. Errors name the file and the line.
 */
export function parseRows(text: string, file: string): AuditEvent[] {
  const fail = (message: string, cause?: unknown): AuditrailError =>
    new AuditrailError('corrupt', `${message}; the file is left untouched`, { component: 'sink-csv', file, cause })
  let records: (string | symbol)[][]
  try {
    records = parse(text, { cast: keepQuotedEmpty, relax_column_count: true, info: false, bom: true }) as (string | symbol)[][]
  } catch (error) {
    throw fail(`not valid CSV (${(error as Error).message})`, error)
  }
  const header = records[0]
  if (header === undefined) return []
  if (header.join(',') !== CSV_COLUMNS.join(',')) throw fail(`line 1: expected the header ${CSV_COLUMNS.join(',')}`)
  const events: AuditEvent[] = []
  for (let i = 1; i < records.length; i++) {
    const row = records[i] as (string | symbol)[]
    const position = `record ${i + 1}`
    if (row.length !== CSV_COLUMNS.length) throw fail(`${position}: expected ${CSV_COLUMNS.length} columns, got ${row.length}`)
    const [timestamp, actionType, status, details, error] = row.map((cell) => (cell === QUOTED_EMPTY ? '' : cell)) as string[]
    let detailsValue: unknown = {}
    if (details !== '') {
      try {
        detailsValue = JSON.parse(details as string)
      } catch (cause) {
        throw fail(`${position}: details is not valid JSON`, cause)
      }
    }
    const decoded = decodeAuditEvent(
      { timestamp, action_type: actionType, status, details: detailsValue, error: row[4] === '' ? null : error },
      { component: 'sink-csv', file, position },
    )
    if (decoded._tag === 'Left') throw decoded.left
    events.push(decoded.right)
  }
  return events
}
