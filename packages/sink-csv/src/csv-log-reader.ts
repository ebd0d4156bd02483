import {
  decodeEntry,
  eventsOf,
  nodeFileIo,
  type FileIo,
  openSnapshot,
  parseMicros,
  readAt,
  type ProblemEntry,
  streamRecords,
  type LogEntry,
  type LogPosition,
  type LogSnapshot,
  type ReadOrder,
  type SinceResult,
  type SnapshotBody,
  type SnapshotEntriesOptions,
  type SnapshotOptions,
} from '@auditrail/core'
import { parseCsvRecord } from './csv-cells.js'
import { EXPECTED_HEADER, parseHeader, SPEC_COLUMNS, type CsvColumns } from './csv-columns.js'
import { csvFraming } from './csv-framing.js'
import { csvHeads, type CsvHead } from './csv-heads.js'
import { rowFields } from './csv-row-fields.js'

/**
 * The events of a CSV log, oldest first being its file order: one pass oldest first, two newest first; `bodyStart`
 * is the first row's offset (after the header; 0 for an empty file), `entries`' `from` a row start to resume at.
 */
export interface CsvEntries extends SnapshotBody {
  /** The columns its header names (the spec's five for an empty file or a bad header). */
  readonly columns: CsvColumns
  /**
   * What a summary counts, as {@link SnapshotBody.events} gives events: the action type and status read from the first
   * three cells of each row our writer produced, the rest only skipped (several times faster); any other row decoded whole.
   */
  heads(order: ReadOrder, problem: (entry: ProblemEntry) => void, options?: SnapshotEntriesOptions): Iterable<CsvHead>
}

/** Options of {@link createCsvEntries}. */
export interface CsvEntriesOptions extends SnapshotOptions {
  /** Where the rows start and the header's columns, when the caller already read the header (the sink, under its lock). Default: read from the file. */
  readonly header?: { readonly bodyStart: number; readonly columns: CsvColumns }
}

/** A lock-free snapshot of a CSV log (see {@link openCsvSnapshot}). */
export type CsvSnapshot = LogSnapshot & Pick<CsvEntries, 'columns' | 'heads'> & { readonly format: 'csv' }

/**
 * Opens a CSV log for a lock-free snapshot read: the header checked once, rows streamed in either order in constant
 * memory, resumable at a row (`from`: the `end + 1` of the last row read; `since`); problems name their byte,
 * `describe` its line. Throws an `io` AuditrailError naming the file when it cannot be read.
 */
export function openCsvSnapshot(file: string, options: SnapshotOptions = {}): CsvSnapshot {
  return { ...openSnapshot(file, 'sink-csv', (fd, size, ino) => createCsvEntries(fd, size, ino, options), options.io), format: 'csv' }
}

/** The rows after `position` of the file at `ino` (see {@link SnapshotBody.since}). */
function csvSince(body: Pick<CsvEntries, 'bodyStart' | 'entries'>, size: number, ino: number, position: LogPosition): SinceResult {
  const known = position.file
  const resume = known !== undefined && known.ino === ino && known.next <= size ? known.next : body.bodyStart
  const entries: LogEntry[] = []
  let newest = position.newest
  let next = resume
  for (const entry of body.entries('oldest-first', { from: resume })) {
    if (entry.kind === 'event') {
      next = entry.end + 1
      const micros = parseMicros(entry.event.timestamp)
      // Rows after the resume point are new; from the start of a replaced file, only those after the newest seen.
      if (resume === body.bodyStart && micros <= position.newest) continue
      newest = Math.max(newest, micros)
    }
    entries.push(entry)
  }
  return { entries, position: { newest, file: { ino, next } } }
}

function rowEntry(bytes: Buffer, start: number, end: number, columns: CsvColumns): LogEntry {
  const cells = parseCsvRecord(bytes.toString('utf8').replace(/\r$/, ''))
  if (typeof cells === 'string') return { kind: 'problem', severity: 'error', at: start, message: cells }
  // sink-csv's rules: the header's cell count, empty extra cells absent, the formula guard undone, `""` the empty error.
  const fields = rowFields(cells.map((cell) => cell.value), columns, cells[4]?.quoted === true)
  if (typeof fields === 'string') return { kind: 'problem', severity: 'error', at: start, message: fields }
  return decodeEntry(fields, start, end)
}

/**
 * Reads a CSV log from `fd` (`size` bytes, inode `ino`, which `since` compares with a position's) through `options.io`:
 * header checked once (or taken from `options.header`), rows streamed in either order.
 */
export function createCsvEntries(fd: number, size: number, ino = 0, options: CsvEntriesOptions = {}): CsvEntries {
  const io = options.io ?? nodeFileIo
  if (options.header !== undefined) return csvBody(io, fd, size, ino, options.header.bodyStart, options.header.columns, undefined)
  const head = readAt(io, fd, 0, Math.min(size, 64 * 1024))
  const bom = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0
  const newline = head.indexOf(0x0a)
  let headerProblem: LogEntry | undefined
  const columns = newline < 0 ? undefined : parseHeader(head.toString('utf8', bom, newline).replace(/\r$/, ''))
  if (size > 0 && columns === undefined) {
    const why = newline < 0 && parseHeader(head.toString('utf8', bom).replace(/\r$/, '')) !== undefined ? 'the header is not ended by a line break' : `expected the header ${EXPECTED_HEADER}`
    headerProblem = { kind: 'problem', severity: 'error', at: 0, message: why }
  }
  const bodyStart = size === 0 || headerProblem !== undefined ? size : newline + 1
  return csvBody(io, fd, size, ino, bodyStart, columns ?? SPEC_COLUMNS, headerProblem)
}

/** The rows of `[bodyStart, size)` of `fd` under a header of `rowColumns`, or only `headerProblem` when it is bad. */
function csvBody(io: FileIo, fd: number, size: number, ino: number, bodyStart: number, rowColumns: CsvColumns, headerProblem: LogEntry | undefined): CsvEntries {
  const body: CsvEntries = {
    bodyStart,
    columns: rowColumns,
    singlePass: (order) => order === 'oldest-first',
    *entries(order, options = {}) {
      if (headerProblem !== undefined) {
        yield headerProblem
        return
      }
      const from = options.from ?? bodyStart
      for (const item of streamRecords(fd, csvFraming, from, size, order === 'oldest-first' ? 'forward' : 'reverse', options.progress, io)) {
        yield item.kind === 'problem' ? item : rowEntry(item.bytes, item.start, item.end, rowColumns)
      }
      options.progress?.(1)
    },
    events: (order, problem, options) => eventsOf(body.entries(order, options), problem),
    heads(order, problem, options = {}) {
      // A summary's counts do not depend on the order: only the fast path's file order is taken, unless asked otherwise.
      if (headerProblem !== undefined || order === 'newest-first') return body.events(order, problem, options)
      return csvHeads(io, fd, options.from ?? bodyStart, size, rowColumns, (bytes, start, end) => rowEntry(bytes, start, end, rowColumns), problem, options.progress)
    },
    since: (position) => csvSince(body, size, ino, position),
  }
  return body
}
