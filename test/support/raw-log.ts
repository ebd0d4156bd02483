import { existsSync, readFileSync } from 'node:fs'
import type { AuditEvent } from '@auditrail/core'

/** The log formats whose files the crash and fault tests inspect. */
export type LogFormat = 'json' | 'csv'

const SPEC_HEADER = 'timestamp,action_type,status,details,error'
/** The CSV headers auditrail writes: the spec's five columns, then optionally `actor`, then optionally `seq,hash`. */
const CSV_HEADERS = [SPEC_HEADER, `${SPEC_HEADER},actor`, `${SPEC_HEADER},seq,hash`, `${SPEC_HEADER},actor,seq,hash`]

/** sink-csv's formula guard, undone: a cell of apostrophes then `=`, `+`, `-`, `@`, tab or CR loses one apostrophe. */
const unguard = (cell: string): string => (/^'+[=+\-@\t\r]/.test(cell) ? cell.slice(1) : cell)

/**
 * Reads a log file as a plain reader would, with no repair: `JSON.parse` of the whole file, or a strict RFC 4180 parse
 * of the CSV (header one of the four auditrail writes, every record that many cells and ending in a line break; an
 * empty `actor`, `seq` or `hash` cell is no field; the formula guard undone). Returns the events in the file's order
 * (newest first for JSON, oldest first for CSV), `[]` when there is no file, and throws when the file is not valid.
 * Decoding of each event is left to `checkInvariants`.
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
  const names = header?.map((c) => c.text) ?? []
  if (!CSV_HEADERS.includes(names.join(','))) throw new Error(`${file}: bad CSV header`)
  return rows.map((row, i) => {
    if (row.length !== names.length) throw new Error(`${file}: record ${i + 2} has ${row.length} cells`)
    const cell = (name: string): Cell => row[names.indexOf(name)] as Cell
    const details = cell('details')
    const error = cell('error')
    const extra: Record<string, unknown> = {}
    for (const name of ['actor', 'seq', 'hash']) {
      const text = names.includes(name) ? cell(name).text : ''
      if (text !== '') extra[name] = name === 'seq' ? Number(text) : name === 'actor' ? unguard(text) : text
    }
    return {
      timestamp: cell('timestamp').text,
      action_type: unguard(cell('action_type').text),
      status: cell('status').text,
      details: details.text === '' ? {} : (JSON.parse(details.text) as unknown),
      // An unquoted empty cell is a null error; a quoted one (`""`) the empty string, as the sink writes them.
      error: error.text === '' && !error.quoted ? null : unguard(error.text),
      ...extra,
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
