import { nodeFileIo, readAt, type ReadOrder } from '@auditrail/core'
import { CSV_COLUMNS } from '@auditrail/sink-csv'
import { parseCsvRecord, type CsvCell } from './csv-cells.js'
import { csvFraming } from './csv-framing.js'
import { decodeEntry, type LogEntry } from './log-entry.js'
import { streamRecords, type Progress } from './record-stream.js'

const HEADER = CSV_COLUMNS.join(',')

/** The events of a CSV log, oldest first being its file order. */
export interface CsvEntries {
  /** Offset of the first row, after the header (0 for an empty file). */
  readonly bodyStart: number
  /** True when `order` takes one pass: oldest first. */
  singlePass(order: ReadOrder): boolean
  /** Entries in `order`; `from` (a row start, oldest first only) skips the rows before it. */
  entries(order: ReadOrder, options?: { readonly from?: number; readonly progress?: Progress }): Iterable<LogEntry>
}

function rowEntry(bytes: Buffer, start: number, end: number): LogEntry {
  const cells = parseCsvRecord(bytes.toString('utf8').replace(/\r$/, ''))
  if (typeof cells === 'string') return { kind: 'problem', severity: 'error', at: start, message: cells }
  if (cells.length !== CSV_COLUMNS.length) return { kind: 'problem', severity: 'error', at: start, message: `expected ${CSV_COLUMNS.length} cells, got ${cells.length}` }
  const [timestamp, actionType, status, details, error] = cells as [CsvCell, CsvCell, CsvCell, CsvCell, CsvCell]
  let detailsValue: unknown = {}
  if (details.value !== '') {
    try {
      detailsValue = JSON.parse(details.value)
    } catch (cause) {
      return { kind: 'problem', severity: 'error', at: start, message: `details is not valid JSON (${(cause as Error).message})` }
    }
  }
  const value = {
    timestamp: timestamp.value,
    action_type: actionType.value,
    status: status.value,
    details: detailsValue,
    // An empty cell is no error; a quoted empty cell is the empty string, as sink-csv writes them.
    error: error.value === '' && !error.quoted ? null : error.value,
  }
  return decodeEntry(value, start, end)
}

/** Reads a CSV log from `fd` (`size` bytes): header checked once, rows streamed in either order. */
export function createCsvEntries(fd: number, size: number): CsvEntries {
  const head = readAt(nodeFileIo, fd, 0, Math.min(size, 64 * 1024))
  const bom = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0
  const newline = head.indexOf(0x0a)
  let headerProblem: LogEntry | undefined
  if (size > 0 && (newline < 0 || head.toString('utf8', bom, newline).replace(/\r$/, '') !== HEADER)) {
    const why = newline < 0 && head.toString('utf8', bom).replace(/\r$/, '') === HEADER ? 'the header is not ended by a line break' : `expected the header ${HEADER}`
    headerProblem = { kind: 'problem', severity: 'error', at: 0, message: why }
  }
  const bodyStart = size === 0 || headerProblem !== undefined ? size : newline + 1
  return {
    bodyStart,
    singlePass: (order) => order === 'oldest-first',
    *entries(order, options = {}) {
      if (headerProblem !== undefined) {
        yield headerProblem
        return
      }
      const from = options.from ?? bodyStart
      for (const item of streamRecords(fd, csvFraming, from, size, order === 'oldest-first' ? 'forward' : 'reverse', options.progress)) {
        yield item.kind === 'problem' ? item : rowEntry(item.bytes, item.start, item.end)
      }
      options.progress?.(1)
    },
  }
}
