import { readAt, type FileIo } from '@auditrail/core'
import type { CsvColumns } from './csv-columns.js'

const BLOCK = 1 << 20
const QUOTE = 0x22
const COMMA = 0x2c
const CR = 0x0d
const LF = 0x0a
/** Cells of a row of the spec's five columns, as the Python original writes every row. */
const SPEC_CELLS = 5

/**
 * For each cell position of a `from` row (0 … cells, the last meaning the row's end), how many empty cells go
 * there so the row has the columns of `to`: `to` lists `from`'s columns in the same order, with others between.
 */
function insertions(from: CsvColumns, to: CsvColumns): number[] {
  const counts = new Array<number>(from.names.length + 1).fill(0)
  let j = 0
  for (const name of to.names) {
    if (from.names[j] === name) j++
    else counts[j] = (counts[j] as number) + 1
  }
  if (j !== from.names.length) throw new Error(`widenRows: ${to.names.join(',')} does not contain ${from.names.join(',')}`)
  return counts
}

/**
 * Copies the rows in `[start, end)` of `fd` (from a record boundary to one) as rows of the wider `to`: each gets an
 * empty cell for every column of `to` that `from` lacks, at that column's place, and is otherwise byte for byte
 * what it was (its own CRLF or LF ending included). Works on bytes, so no UTF-8 is decoded or re-encoded; finds
 * cells by quote parity (in RFC 4180 a `"` only opens, closes or doubles inside a quoted cell). `write` is called
 * with the output in pieces of about a megabyte. A row with other than `from`'s number of cells (or the spec's five)
 * gets `refuse`d with its record number (the header is record 1); what was written by then is the caller's to discard.
 */
export function widenRows(
  io: FileIo,
  fd: number,
  range: { readonly start: number; readonly end: number },
  from: CsvColumns,
  to: CsvColumns,
  write: (bytes: Buffer) => void,
  refuse: (message: string) => Error,
): void {
  const inserts = insertions(from, to)
  const commas = inserts.map((n) => Buffer.from(','.repeat(n)))
  const cellCount = from.names.length
  const shortTail = Buffer.from(','.repeat(to.names.length - SPEC_CELLS))
  let pieces: Buffer[] = []
  let pending = 0
  const emit = (bytes: Buffer): void => {
    pieces.push(bytes)
    pending += bytes.length
    if (pending >= BLOCK) {
      write(Buffer.concat(pieces))
      pieces = []
      pending = 0
    }
  }
  let inQuotes = false
  let cell = 0
  let record = 2
  let last = LF
  for (let at = range.start; at < range.end; ) {
    let block = readAt(io, fd, at, Math.min(BLOCK, range.end - at))
    if (block.length === 0) throw refuse(`record ${record}: the file ended early`)
    // A CR ending a block may be the first half of a CRLF: leave it to the next block, so the row's end is found whole.
    if (block[block.length - 1] === CR && at + block.length < range.end) block = block.subarray(0, block.length - 1)
    let copied = 0
    for (let i = 0; i < block.length; i++) {
      const byte = block[i]
      if (byte === QUOTE) inQuotes = !inQuotes
      else if (inQuotes) continue
      else if (byte === COMMA) {
        cell++
        // Empty cells that go before cell `cell` go right before the comma that ends the cell before it.
        if (cell < cellCount && (inserts[cell] as number) > 0) {
          emit(block.subarray(copied, i))
          emit(commas[cell] as Buffer)
          copied = i
        }
      } else if (byte === LF) {
        // A row of the spec's five under a wider header (the Python original appended it) reads with the others
        // empty, so it widens to all of `to`'s cells: its first five have no insertions before them.
        const pythonRow = cell + 1 === SPEC_CELLS && cellCount > SPEC_CELLS
        if (cell + 1 !== cellCount && !pythonRow) throw refuse(`record ${record}: expected ${cellCount} cells, got ${cell + 1} (the header's columns: ${from.names.join(',')})`)
        const rowEnd = i > 0 && block[i - 1] === CR ? i - 1 : i
        emit(block.subarray(copied, rowEnd))
        emit(pythonRow ? shortTail : (commas[cellCount] as Buffer))
        copied = rowEnd
        cell = 0
        record++
      }
    }
    emit(block.subarray(copied))
    last = block[block.length - 1] as number
    at += block.length
  }
  if (last !== LF || inQuotes) throw refuse(`record ${record}: the last row is not ended by a line break`)
  if (pending > 0) write(Buffer.concat(pieces))
}
