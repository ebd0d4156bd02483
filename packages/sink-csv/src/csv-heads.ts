import { isAscii } from 'node:buffer'
import { BLOCK, readAt, type AuditEvent, type FileIo, type LogEntry, type ProblemEntry, type Progress } from '@auditrail/core'
import type { CsvColumns } from './csv-columns.js'
import { unguardFormula } from './csv-formula-guard.js'
import { tornRowWarning } from './csv-framing.js'

/** What a summary needs of an event. */
export type CsvHead = Pick<AuditEvent, 'action_type' | 'status'>

/**
 * The first three cells of a row our writer produced, at the start of a record: the timestamp (always six fraction
 * digits, never quoted), the action type (plain, or quoted when it holds a comma or a quote) and the status.
 */
const HEAD = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z,(?:([^",\r\n]+)|"((?:[^"]|"")+)"),(success|failed),/y
/** An unquoted cell: RFC 4180 allows no quote, comma or line break in it. */
const PLAIN_CELL = /[^",\r\n]*/y
const NOT_ASCII = /[^\x00-\x7f]/

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
 * The action type and status of the record starting at `at` of `text` (bytes decoded as latin1, so offsets are byte
 * offsets; `ascii` when they all are) and the offset after its line feed, read from the record's start and skipping
 * the rest cell by cell (`columns`' count): `undefined` unless the record is whole and shaped as our writer writes rows.
 */
export function headAt(text: string, at: number, columns: CsvColumns, ascii: boolean): { head: CsvHead; next: number } | undefined {
  HEAD.lastIndex = at
  const head = HEAD.exec(text)
  if (head === null) return undefined
  let cell = head[1] ?? (head[2] as string).replaceAll('""', '"')
  // A quote, comma or line break is never part of a UTF-8 sequence: only the cell's own text needs decoding again.
  if (!ascii && NOT_ASCII.test(cell)) cell = Buffer.from(cell, 'latin1').toString('utf8')
  let next = HEAD.lastIndex
  // Cells after the status: details and error, then actor, seq and hash when the file has them.
  const rest = columns.names.length - 3
  for (let i = 0; i < rest; i++) {
    if (i > 0) {
      if (text.charCodeAt(next) !== COMMA) return undefined
      next++
    }
    next = skipCell(text, next)
    if (next === -1) return undefined
  }
  if (text.charCodeAt(next) === CR) next++
  if (text.charCodeAt(next) !== LF) return undefined
  return { head: { action_type: unguardFormula(cell), status: head[3] as AuditEvent['status'] }, next: next + 1 }
}

/** The offset after the line feed ending the record at `at` (by quote parity, as the framing finds it), or -1 if `text` ends first. */
function recordEnd(text: string, at: number): number {
  for (let i = at; ; ) {
    const lf = text.indexOf('\n', i)
    const quote = text.indexOf('"', i)
    if (lf !== -1 && (quote === -1 || lf < quote)) return lf + 1
    if (quote === -1) return -1
    const closing = text.indexOf('"', quote + 1)
    if (closing === -1) return -1
    i = closing + 1
  }
}

/**
 * The heads of the rows in `[from, to)` of `fd`, in file order: read by {@link headAt} from each row our writer
 * produced, any other row decoded whole by `decode` (an event's head, or a problem passed to `problem`); what a summary
 * counts, without parsing details or building events. A last row without its line break is a warning, as the framing says.
 */
export function* csvHeads(
  io: FileIo,
  fd: number,
  from: number,
  to: number,
  columns: CsvColumns,
  decode: (bytes: Buffer, start: number, end: number) => LogEntry,
  problem: (entry: ProblemEntry) => void,
  progress?: Progress,
): Generator<CsvHead> {
  // `carry` holds a record the previous block cut, from file offset `base`.
  let carry: Buffer | undefined
  let base = from
  for (let pos = from; pos < to; ) {
    const block = readAt(io, fd, pos, Math.min(BLOCK, to - pos))
    if (block.length === 0) break
    pos += block.length
    const bytes = carry === undefined ? block : Buffer.concat([carry, block])
    const ascii = isAscii(bytes)
    const text = bytes.toString('latin1')
    let at = 0
    while (at < text.length) {
      const head = headAt(text, at, columns, ascii)
      if (head !== undefined) {
        yield head.head
        at = head.next
        continue
      }
      const end = recordEnd(text, at)
      if (end === -1) {
        if (pos < to) break
        const quotes = text.slice(at).split('"').length - 1
        problem(tornRowWarning(base + at, quotes % 2 === 1))
        at = text.length
        break
      }
      const entry = decode(bytes.subarray(at, end - 1), base + at, base + end - 1)
      if (entry.kind === 'event') yield entry.event
      else problem(entry)
      at = end
    }
    carry = at < bytes.length ? bytes.subarray(at) : undefined
    base += at
    progress?.((pos - from) / Math.max(1, to - from))
  }
  progress?.(1)
}
