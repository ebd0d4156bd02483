import { existsSync, readFileSync } from 'node:fs'
import type { AuditEvent } from '@auditrail/core'

/** The log formats whose files the crash and fault tests inspect. */
export type LogFormat = 'json' | 'csv'

const CSV_HEADER = ['timestamp', 'action_type', 'status', 'details', 'error']

/**
 * Reads a log file as a plain reader would, with no repair: `JSON.parse` of the whole file, or a strict RFC 4180 parse
 * of the CSV (header exactly the spec's, every record five cells and ending in a line break). Returns the events in
 * the file's order (newest first for JSON, oldest first for CSV), `[]` when there is no file, and throws when the file
 * is not valid. Decoding of each event is left to `checkInvariants`.
 */
export function readRawLog(format: LogFormat, file: string): AuditEvent[] {
  if (!existsSync(file)) return []
  const text = readFileSync(file, 'utf8')
  if (format === 'json') {
    const value: unknown = JSON.parse(text)
    if (!Array.isArray(value)) throw new Error(`${file}: not a JSON array`)
    return value as AuditEvent[]
  }
  const [header, ...rows] = parseCsvRecords(text, file)
  if (header === undefined || header.map((c) => c.text).join(',') !== CSV_HEADER.join(',')) throw new Error(`${file}: bad CSV header`)
  return rows.map((row, i) => {
    if (row.length !== 5) throw new Error(`${file}: record ${i + 2} has ${row.length} cells`)
    const [timestamp, action_type, status, details, error] = row as [Cell, Cell, Cell, Cell, Cell]
    const parsedDetails: unknown = details.text === '' ? {} : JSON.parse(details.text)
    return {
      timestamp: timestamp.text,
      action_type: action_type.text,
      status: status.text,
      details: parsedDetails,
      // An unquoted empty cell is a null error; a quoted one (`""`) the empty string, as the sink writes them.
      error: error.text === '' && !error.quoted ? null : error.text,
    } as AuditEvent
  })
}

interface Cell {
  readonly text: string
  readonly quoted: boolean
}

/** Strict RFC 4180: records end in CRLF or LF (a file ends with one); quotes only around whole cells, doubled inside. */
function parseCsvRecords(text: string, file: string): Cell[][] {
  const records: Cell[][] = []
  let record: Cell[] = []
  let i = 0
  const fail = (why: string): never => {
    throw new Error(`${file}: invalid CSV at byte ${i}: ${why}`)
  }
  while (i < text.length) {
    let cell = ''
    let quoted = false
    if (text[i] === '"') {
      quoted = true
      i++
      for (;;) {
        if (i >= text.length) fail('unterminated quoted cell')
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            cell += '"'
            i += 2
            continue
          }
          i++
          break
        }
        cell += text[i++]
      }
    } else {
      while (i < text.length && text[i] !== ',' && text[i] !== '\r' && text[i] !== '\n') {
        if (text[i] === '"') fail('quote inside an unquoted cell')
        cell += text[i++]
      }
    }
    record.push({ text: cell, quoted })
    if (text[i] === ',') {
      i++
      continue
    }
    if (text.startsWith('\r\n', i)) i += 2
    else if (text[i] === '\n') i += 1
    else fail(i >= text.length ? 'last record has no line break' : 'stray character after a cell')
    records.push(record)
    record = []
  }
  return records
}
