import {
  BLOCK,
  nodeFileIo,
  openSnapshot,
  parseJsonEntry,
  parseMicros,
  readAt,
  streamRecords,
  type LogEntry,
  type LogPosition,
  type LogSnapshot,
  type Progress,
  type ReadOrder,
  type SinceResult,
  type SnapshotBody,
} from '@auditrail/core'
import { jsonArrayFraming } from './json-framing.js'
import { readLineRuns } from './line-reader.js'

/** How a JSON log is laid out, found by looking at its first and last bytes only. */
export type JsonLayout =
  | { readonly kind: 'empty' }
  /** One compact event per line, newest first, as auditrail writes it: `[`, header and gap, `\n{…},\n…\n{…}\n]`. */
  | { readonly kind: 'lines'; readonly bodyStart: number; readonly bodyEnd: number }
  /** Any other JSON text, e.g. the Python original's indent-2 array: scanned value by value. */
  | { readonly kind: 'array'; readonly start: number }

const SPACE = /[^ \t\r\n]/

/** Offset of the first byte in `[from, to)` that is not JSON whitespace, or -1. Fast over a long gap of spaces. */
function firstNonSpace(fd: number, from: number, to: number): number {
  for (let pos = from; pos < to; pos += BLOCK) {
    const text = readAt(nodeFileIo, fd, pos, Math.min(BLOCK, to - pos)).toString('latin1')
    const found = text.search(SPACE)
    if (found >= 0) return pos + found
  }
  return -1
}

/** Offset of the last byte in `[from, to)` that is not JSON whitespace, or -1. */
function lastNonSpace(fd: number, from: number, to: number): number {
  for (let end = to; end > from; end -= 4096) {
    const at = Math.max(from, end - 4096)
    const chunk = readAt(nodeFileIo, fd, at, end - at)
    for (let i = chunk.length - 1; i >= 0; i--) {
      const b = chunk[i]
      if (b !== 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) return at + i
    }
  }
  return -1
}

function byteAt(fd: number, at: number): number | undefined {
  return at < 0 ? undefined : readAt(nodeFileIo, fd, at, 1)[0]
}

function detectLayout(fd: number, size: number): JsonLayout {
  const bom = readAt(nodeFileIo, fd, 0, 3).equals(Buffer.from([0xef, 0xbb, 0xbf])) ? 3 : 0
  const open = firstNonSpace(fd, bom, size)
  if (open < 0) return { kind: 'empty' }
  if (byteAt(fd, open) !== 0x5b) return { kind: 'array', start: open }
  const first = firstNonSpace(fd, open + 1, size)
  // A first event at the start of its own line, and `]` alone on the last line: auditrail's one-per-line layout.
  if (first > 0 && byteAt(fd, first) === 0x7b && byteAt(fd, first - 1) === 0x0a) {
    const close = lastNonSpace(fd, first, size)
    if (close > first && byteAt(fd, close) === 0x5d && byteAt(fd, close - 1) === 0x0a) return { kind: 'lines', bodyStart: first, bodyEnd: close - 1 }
  }
  return { kind: 'array', start: open }
}

function* lineEntries(fd: number, layout: { bodyStart: number; bodyEnd: number }, order: ReadOrder): Generator<LogEntry> {
  // The sink's own line reader: runs of whole lines in one reused window, decoded a megabyte at a time.
  for (const run of readLineRuns(nodeFileIo, fd, layout.bodyStart, layout.bodyEnd, order)) {
    const lines = run.text.split('\n')
    // Byte offsets of the lines: character offsets when the run is ASCII (the usual case), else counted per line.
    const ascii = Buffer.byteLength(run.text) === run.text.length
    const starts = new Array<number>(lines.length)
    let at = run.offset
    for (let i = 0; i < lines.length; i++) {
      starts[i] = at
      at += (ascii ? (lines[i] as string).length : Buffer.byteLength(lines[i] as string)) + 1
    }
    const newestFirst = order === 'newest-first'
    for (let k = 0; k < lines.length; k++) {
      const i = newestFirst ? k : lines.length - 1 - k
      const start = starts[i] as number
      const end = i + 1 < lines.length ? (starts[i + 1] as number) - 1 : at - 1
      yield* lineEntry(lines[i] as string, start, end, layout)
    }
  }
}

/** The entries of one stored line at `[start, end)`: the event, after any problem with its comma or its write. */
function* lineEntry(line: string, start: number, end: number, layout: { bodyStart: number; bodyEnd: number }): Generator<LogEntry> {
  const last = line.charCodeAt(line.length - 1)
  if (start === layout.bodyStart && (last === 0x20 || last === 0x09)) {
    // A line running into the gap's spaces is a write not yet complete (a writer is in the middle of it) or
    // torn by a crash (the next writer blanks it). Either way it was never acknowledged: not an event.
    yield { kind: 'problem', severity: 'warning', at: start, message: 'an unfinished write before the newest event (in progress, or torn by a crash); skipped' }
    return
  }
  let text = line.trimEnd()
  const isLast = end === layout.bodyEnd
  if (text.endsWith(',')) {
    text = text.slice(0, -1)
    if (isLast) yield { kind: 'problem', severity: 'error', at: start, message: 'a comma after the oldest event' }
  } else if (!isLast) yield { kind: 'problem', severity: 'error', at: start, message: 'missing comma after this event' }
  yield parseJsonEntry(text, start, end)
}

function* arrayEntries(fd: number, start: number, size: number, order: ReadOrder, progress?: Progress): Generator<LogEntry> {
  for (const item of streamRecords(fd, jsonArrayFraming, start, size, order === 'newest-first' ? 'forward' : 'reverse', progress)) {
    if (item.kind === 'problem') yield item
    else yield parseJsonEntry(item.bytes.toString('utf8'), item.start, item.end)
  }
}

/**
 * The events of a JSON log, newest first being its file order, as a lazy function of the order wanted: one pass either
 * way for auditrail's layout, newest first only for others; `bodyStart` is always 0 (records are found by scanning).
 */
export interface JsonEntries extends SnapshotBody {
  /** The file's layout: auditrail's one event per line (single pass in both orders), another array, or empty. */
  readonly layout: JsonLayout
}

/** A lock-free snapshot of a JSON log (see {@link openJsonSnapshot}). */
export type JsonSnapshot = LogSnapshot & { readonly format: 'json'; readonly layout: JsonLayout }

/**
 * Opens a JSON log of any layout (auditrail's gap layout, the Python original's indent-2 array, one line) for a
 * lock-free snapshot read, streaming in both orders in constant memory; problems name their byte, `describe` its line.
 * Throws an `io` AuditrailError naming the file when it cannot be read.
 */
export function openJsonSnapshot(file: string): JsonSnapshot {
  return { ...openSnapshot(file, 'sink-json', createJsonEntries), format: 'json' }
}

/** The events after `position`: the file grows at its head and timestamps strictly increase, so newest first down to it. */
function jsonSince(entries: Iterable<LogEntry>, position: LogPosition): SinceResult {
  const fresh: LogEntry[] = []
  let newest = position.newest
  for (const entry of entries) {
    if (entry.kind === 'event') {
      const micros = parseMicros(entry.event.timestamp)
      if (micros <= position.newest) break
      newest = Math.max(newest, micros)
    }
    fresh.push(entry)
  }
  return { entries: fresh.reverse(), position: { newest } }
}

/** Reads a JSON log of any layout from `fd` (`size` bytes), streaming in both orders. */
export function createJsonEntries(fd: number, size: number): JsonEntries {
  const layout = detectLayout(fd, size)
  const body: JsonEntries = {
    bodyStart: 0,
    layout,
    singlePass: (order) => layout.kind !== 'array' || order === 'newest-first',
    *entries(order, options = {}) {
      const progress = options.progress
      if (layout.kind === 'lines') {
        for (const entry of lineEntries(fd, layout, order)) {
          yield entry
          if (entry.kind === 'event') progress?.(order === 'newest-first' ? (entry.end - layout.bodyStart) / size : (size - entry.start) / size)
        }
      } else if (layout.kind === 'array') yield* arrayEntries(fd, layout.start, size, order, progress)
      progress?.(1)
    },
    since: (position) => jsonSince(body.entries('newest-first'), position),
  }
  return body
}
