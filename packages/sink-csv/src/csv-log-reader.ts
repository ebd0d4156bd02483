import {
  decodeEntry,
  nodeFileIo,
  openSnapshot,
  parseMicros,
  readAt,
  streamRecords,
  type LogEntry,
  type LogPosition,
  type LogSnapshot,
  type SinceResult,
  type SnapshotBody,
} from '@auditrail/core'
import { parseCsvRecord } from './csv-cells.js'
import { EXPECTED_HEADER, parseHeader, SPEC_COLUMNS, type CsvColumns } from './csv-columns.js'
import { csvFraming } from './csv-framing.js'
import { rowFields } from './csv-row-fields.js'

/**
 * The events of a CSV log, oldest first being its file order: one pass oldest first, two newest first; `bodyStart`
 * is the first row's offset (after the header; 0 for an empty file), `entries`' `from` a row start to resume at.
 */
export interface CsvEntries extends SnapshotBody {
  /** The columns its header names (the spec's five for an empty file or a bad header). */
  readonly columns: CsvColumns
}

/** A lock-free snapshot of a CSV log (see {@link openCsvSnapshot}). */
export type CsvSnapshot = LogSnapshot & {
  readonly format: 'csv'
  readonly columns: CsvColumns
  /**
   * The entries written after `position`, oldest first, and the position after them: from the offset after the last
   * row read when this is the same file, not shrunk; otherwise (another file renamed over it) every row newer than
   * `position`'s newest timestamp.
   */
  since(position: LogPosition): SinceResult
}

/**
 * Opens a CSV log for a lock-free snapshot read: the header checked once, rows streamed in either order in constant
 * memory, resumable at a row (`from`: the `end + 1` of the last row read); problems name their byte, `describe` its
 * line. Throws an `io` AuditrailError naming the file when it cannot be read.
 */
export function openCsvSnapshot(file: string): CsvSnapshot {
  const snapshot = openSnapshot(file, 'sink-csv', createCsvEntries)
  return {
    ...snapshot,
    format: 'csv',
    since(position) {
      const known = position.file
      const resume = known !== undefined && known.ino === snapshot.ino && known.next <= snapshot.size ? known.next : snapshot.bodyStart
      const entries: LogEntry[] = []
      let newest = position.newest
      let next = resume
      for (const entry of snapshot.entries('oldest-first', { from: resume })) {
        if (entry.kind === 'event') {
          next = entry.end + 1
          const micros = parseMicros(entry.event.timestamp)
          // Rows after the resume point are new; from the start of a replaced file, only those after the newest seen.
          if (resume === snapshot.bodyStart && micros <= position.newest) continue
          newest = Math.max(newest, micros)
        }
        entries.push(entry)
      }
      return { entries, position: { newest, file: { ino: snapshot.ino, next } } }
    },
  }
}

function rowEntry(bytes: Buffer, start: number, end: number, columns: CsvColumns): LogEntry {
  const cells = parseCsvRecord(bytes.toString('utf8').replace(/\r$/, ''))
  if (typeof cells === 'string') return { kind: 'problem', severity: 'error', at: start, message: cells }
  // sink-csv's rules: the header's cell count, empty extra cells absent, the formula guard undone, `""` the empty error.
  const fields = rowFields(cells.map((cell) => cell.value), columns, cells[4]?.quoted === true)
  if (typeof fields === 'string') return { kind: 'problem', severity: 'error', at: start, message: fields }
  return decodeEntry(fields, start, end)
}

/** Reads a CSV log from `fd` (`size` bytes): header checked once, rows streamed in either order. */
export function createCsvEntries(fd: number, size: number): CsvEntries {
  const head = readAt(nodeFileIo, fd, 0, Math.min(size, 64 * 1024))
  const bom = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0
  const newline = head.indexOf(0x0a)
  let headerProblem: LogEntry | undefined
  const columns = newline < 0 ? undefined : parseHeader(head.toString('utf8', bom, newline).replace(/\r$/, ''))
  if (size > 0 && columns === undefined) {
    const why = newline < 0 && parseHeader(head.toString('utf8', bom).replace(/\r$/, '')) !== undefined ? 'the header is not ended by a line break' : `expected the header ${EXPECTED_HEADER}`
    headerProblem = { kind: 'problem', severity: 'error', at: 0, message: why }
  }
  const bodyStart = size === 0 || headerProblem !== undefined ? size : newline + 1
  const rowColumns = columns ?? SPEC_COLUMNS
  return {
    bodyStart,
    columns: rowColumns,
    singlePass: (order) => order === 'oldest-first',
    *entries(order, options = {}) {
      if (headerProblem !== undefined) {
        yield headerProblem
        return
      }
      const from = options.from ?? bodyStart
      for (const item of streamRecords(fd, csvFraming, from, size, order === 'oldest-first' ? 'forward' : 'reverse', options.progress)) {
        yield item.kind === 'problem' ? item : rowEntry(item.bytes, item.start, item.end, rowColumns)
      }
      options.progress?.(1)
    },
  }
}
