import { AuditrailError, decodeOrSkip, decodeParsedAuditEvent, type AuditEvent, type SkipInvalid } from '@auditrail/core'
import { parseCsvRecordAt, type CsvCell } from './csv-cells.js'
import { EXPECTED_HEADER, parseHeader, type CsvColumns } from './csv-columns.js'
import { rowFields } from './csv-row-fields.js'

/**
 * Parses CSV text (header included) into events, oldest first. The header decides the columns (one of the four
 * {@link CsvColumns}); every row must have that many cells (or the spec's five) and decode. Errors name the file and the record.
 */
export function parseRows(text: string, file: string): AuditEvent[] {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text
  const records = parseRecords(body, file, (i) => `record ${i + 1}`)
  const header = records[0]
  if (header === undefined) return []
  const columns = parseHeader(header.map((cell) => cell.value).join(','))
  if (columns === undefined) throw corrupt(file, `line 1: expected the header ${EXPECTED_HEADER}`)
  return records.slice(1).map((row, i) => toEvent(row, columns, file, `record ${i + 2}`))
}

/**
 * Parses data rows only (no header) of a file with `columns`; `position(i)` names the i-th row in errors. With
 * `skipInvalid`, a row that does not decode is reported and left out (text that is not CSV at all still throws).
 */
export function parseDataRows(text: string, columns: CsvColumns, file: string, position: (index: number) => string, skipInvalid?: SkipInvalid): AuditEvent[] {
  const rows = parseRecords(text, file, position)
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

/** Every record of `text` (whole records, as `recordChunks` yields them), with the cell parser the snapshot reader uses. */
function parseRecords(text: string, file: string, position: (index: number) => string): CsvCell[][] {
  const records: CsvCell[][] = []
  for (let at = 0; at < text.length; ) {
    const record = parseCsvRecordAt(text, at)
    if ('error' in record) throw corrupt(file, `${position(records.length)}: not valid CSV (${record.error})`)
    records.push(record.cells)
    at = record.next
  }
  return records
}

function toEvent(row: readonly CsvCell[], columns: CsvColumns, file: string, position: string): AuditEvent {
  const fields = rowFields(row.map((cell) => cell.value), columns, row[4]?.quoted === true)
  if (typeof fields === 'string') throw corrupt(file, `${position}: ${fields}`)
  const decoded = decodeParsedAuditEvent(fields, { component: 'sink-csv', file, position })
  if (decoded._tag === 'Left') throw decoded.left
  return decoded.right
}
