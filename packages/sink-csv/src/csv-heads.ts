import type { AuditEvent } from '@auditrail/core'
import type { CsvColumns } from './csv-columns.js'
import { unguardFormula } from './csv-formula-guard.js'

/** What a summary needs of an event. */
export type CsvHead = Pick<AuditEvent, 'action_type' | 'status'>

/**
 * The first three cells of a row our writer produced, at the start of a record: the timestamp (always six fraction
 * digits, never quoted), the action type (plain, or quoted when it holds a comma or a quote) and the status.
 */
const HEAD = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z,(?:([^",\r\n]+)|"((?:[^"]|"")+)"),(success|failed),/y
/** An unquoted cell: RFC 4180 allows no quote, comma or line break in it. */
const PLAIN_CELL = /[^",\r\n]*/y

const QUOTE = 0x22
const COMMA = 0x2c
const CR = 0x0d
const LF = 0x0a

/** The offset after the cell at `at` (quoted or not), or -1 when no well-formed cell starts there. */
function skipCell(text: string, at: number): number {
  if (text.charCodeAt(at) === QUOTE) {
    // A quoted cell ends at a quote not doubled.
    let quote = text.indexOf('"', at + 1)
    while (quote !== -1 && text.charCodeAt(quote + 1) === QUOTE) quote = text.indexOf('"', quote + 2)
    return quote === -1 ? -1 : quote + 1
  }
  PLAIN_CELL.lastIndex = at
  PLAIN_CELL.test(text)
  return text.charCodeAt(PLAIN_CELL.lastIndex) === QUOTE ? -1 : PLAIN_CELL.lastIndex
}

/**
 * The action type and status of each record of `text` (whole data records, as `recordChunks` yields them), in file
 * order, read from the start of each record and skipping the rest cell by cell: what `summarize` counts, without
 * parsing details or building events (as the JSON sink reads the start of each line). `undefined` when any record is
 * not shaped as our writer writes rows with `columns`: the caller then parses the text in full, which says what is wrong.
 */
export function readRecordHeads(text: string, columns: CsvColumns): CsvHead[] | undefined {
  const heads: CsvHead[] = []
  // Cells after the status: details and error, then actor, seq and hash when the file has them.
  const rest = columns.names.length - 3
  let at = 0
  while (at < text.length) {
    HEAD.lastIndex = at
    const head = HEAD.exec(text)
    if (head === null) return undefined
    const cell = head[1] ?? (head[2] as string).replaceAll('""', '"')
    heads.push({ action_type: unguardFormula(cell), status: head[3] as AuditEvent['status'] })
    at = HEAD.lastIndex
    for (let i = 0; i < rest; i++) {
      if (i > 0) {
        if (text.charCodeAt(at) !== COMMA) return undefined
        at++
      }
      at = skipCell(text, at)
      if (at === -1) return undefined
    }
    if (text.charCodeAt(at) === CR) at++
    if (text.charCodeAt(at) !== LF) return undefined
    at++
  }
  return heads
}
