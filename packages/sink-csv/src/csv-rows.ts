import { AuditrailError, decodeOrSkip, decodeParsedAuditEvent, type AuditEvent, type SkipInvalid } from '@auditrail/core'
import { parse } from 'csv-parse/sync'
import { EXPECTED_HEADER, parseHeader, type CsvColumns } from './csv-columns.js'
import { cellQuoted, rowFields } from './csv-row-fields.js'

/**
 * Parses CSV text (header included) into events, oldest first. The header decides the columns (one of the four
 * {@link CsvColumns}); every row must have exactly that many cells and decode. Errors name the file and the record.
 */
export function parseRows(text: string, file: string): AuditEvent[] {
  const records = parseCsv(text, file)
  const header = records[0]?.record
  if (header === undefined) return []
  const columns = parseHeader(header.join(','))
  if (columns === undefined) throw corrupt(file, `line 1: expected the header ${EXPECTED_HEADER}`)
  return records.slice(1).map((row, i) => toEvent(row, columns, file, `record ${i + 2}`))
}

/**
 * Parses data rows only (no header) of a file with `columns`; `position(i)` names the i-th row in errors. With
 * `skipInvalid`, a row that does not decode is reported and left out (text that is not CSV at all still throws).
 */
export function parseDataRows(text: string, columns: CsvColumns, file: string, position: (index: number) => string, skipInvalid?: SkipInvalid): AuditEvent[] {
  const rows = parseCsv(text, file)
  if (skipInvalid === undefined) return rows.map((row, i) => toEvent(row, columns, file, position(i)))
  const events: AuditEvent[] = []
  for (const [i, row] of rows.entries()) {
    const event = decodeOrSkip(skipInvalid, file, position(i), () => toEvent(row, columns, file, position(i)))
    if (event !== undefined) events.push(event)
  }
  return events
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

function toEvent({ record: row, raw }: ParsedRecord, columns: CsvColumns, file: string, position: string): AuditEvent {
  // Only an empty error cell needs its raw text: as the last cell (the spec's five columns), a look at the row's end.
  const errorQuoted = row[4] === '' && (columns.names.length === 5 ? raw.trimEnd().endsWith(',""') : cellQuoted(raw, 4))
  const fields = rowFields(row, columns, errorQuoted)
  if (typeof fields === 'string') throw corrupt(file, `${position}: ${fields}`)
  const decoded = decodeParsedAuditEvent(fields, { component: 'sink-csv', file, position })
  if (decoded._tag === 'Left') throw decoded.left
  return decoded.right
}
