import { AuditrailError, decodeParsedAuditEvent, type AuditEvent } from '@auditrail/core'
import { parse } from 'csv-parse/sync'
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


/**
 * Parses CSV text (header included) into events, oldest first. Every row must have the five columns;
 * `details` must be a JSON object (or empty); each event must decode. Errors name the file and the record.
 */
export function parseRows(text: string, file: string): AuditEvent[] {
  const records = parseCsv(text, file)
  const header = records[0]?.record
  if (header === undefined) return []
  if (header.join(',') !== CSV_COLUMNS.join(',')) throw corrupt(file, `line 1: expected the header ${CSV_COLUMNS.join(',')}`)
  return records.slice(1).map((row, i) => toEvent(row, file, `record ${i + 2}`))
}

/** Parses data rows only (no header); `position(i)` names the i-th row in errors. */
export function parseDataRows(text: string, file: string, position: (index: number) => string): AuditEvent[] {
  return parseCsv(text, file).map((row, i) => toEvent(row, file, position(i)))
}

function corrupt(file: string, message: string, cause?: unknown): AuditrailError {
  return new AuditrailError('corrupt', `${message}; the file is left untouched`, { component: 'sink-csv', file, cause })
}

interface ParsedRecord {
  readonly record: string[]
  readonly raw: string
}

function parseCsv(text: string, file: string): ParsedRecord[] {
  try {
    // `raw` rather than a cast callback (3× slower): it tells a quoted empty error `""` from an empty cell.
    return parse(text, { raw: true, relax_column_count: true, bom: true }) as unknown as ParsedRecord[]
  } catch (error) {
    throw corrupt(file, `not valid CSV (${(error as Error).message})`, error)
  }
}

function toEvent({ record: row, raw }: ParsedRecord, file: string, position: string): AuditEvent {
  if (row.length !== CSV_COLUMNS.length) throw corrupt(file, `${position}: expected ${CSV_COLUMNS.length} columns, got ${row.length}`)
  const [timestamp, actionType, status, details, error] = row as [string, string, string, string, string]
  let detailsValue: unknown = {}
  if (details !== '') {
    try {
      detailsValue = JSON.parse(details)
    } catch (cause) {
      throw corrupt(file, `${position}: details is not valid JSON`, cause)
    }
  }
  const quotedEmpty = error === '' && raw.trimEnd().endsWith(',""')
  const decoded = decodeParsedAuditEvent(
    { timestamp, action_type: actionType, status, details: detailsValue, error: error === '' && !quotedEmpty ? null : error },
    { component: 'sink-csv', file, position },
  )
  if (decoded._tag === 'Left') throw decoded.left
  return decoded.right
}
