import {
  BLOCK,
  decodeParsedAuditEvent,
  nodeFileIo,
  openSnapshot,
  parseJsonEntry,
  parseMicros,
  readAt,
  streamRecords,
  type AuditEvent,
  type FileIo,
  type LogEntry,
  type LogPosition,
  type ProblemEntry,
  type LogSnapshot,
  type Progress,
  type ReadOrder,
  type SinceResult,
  type SnapshotBody,
  type SnapshotEntriesOptions,
  type SnapshotOptions,
} from '@auditrail/core'
import { jsonArrayFraming } from './json-framing.js'
import { HEAD_PATTERN } from './json-layout.js'
import { readLineRuns } from './line-reader.js'

/** How a JSON log is laid out, found by looking at its first and last bytes only. */
export type JsonLayout =
  | { readonly kind: 'empty' }
  /** One compact event per line, newest first, as auditrail writes it: `[`, header and gap, `\n{…},\n…\n{…}\n]`. */
  | { readonly kind: 'lines'; readonly bodyStart: number; readonly bodyEnd: number }
  /** Any other JSON text, e.g. the Python original's indent-2 array: scanned value by value. */
  | { readonly kind: 'array'; readonly start: number }

type LinesLayout = Extract<JsonLayout, { kind: 'lines' }>

const SPACE = /[^ \t\r\n]/

/** Offset of the first byte in `[from, to)` that is not JSON whitespace, or -1. Fast over a long gap of spaces. */
function firstNonSpace(io: FileIo, fd: number, from: number, to: number): number {
  for (let pos = from; pos < to; pos += BLOCK) {
    const text = readAt(io, fd, pos, Math.min(BLOCK, to - pos)).toString('latin1')
    const found = text.search(SPACE)
    if (found >= 0) return pos + found
  }
  return -1
}

/** Offset of the last byte in `[from, to)` that is not JSON whitespace, or -1. */
function lastNonSpace(io: FileIo, fd: number, from: number, to: number): number {
  for (let end = to; end > from; end -= 4096) {
    const at = Math.max(from, end - 4096)
    const chunk = readAt(io, fd, at, end - at)
    for (let i = chunk.length - 1; i >= 0; i--) {
      const b = chunk[i]
      if (b !== 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) return at + i
    }
  }
  return -1
}

function byteAt(io: FileIo, fd: number, at: number): number | undefined {
  return at < 0 ? undefined : readAt(io, fd, at, 1)[0]
}

function detectLayout(io: FileIo, fd: number, size: number): JsonLayout {
  const bom = readAt(io, fd, 0, 3).equals(Buffer.from([0xef, 0xbb, 0xbf])) ? 3 : 0
  const open = firstNonSpace(io, fd, bom, size)
  if (open < 0) return { kind: 'empty' }
  if (byteAt(io, fd, open) !== 0x5b) return { kind: 'array', start: open }
  const first = firstNonSpace(io, fd, open + 1, size)
  // A first event at the start of its own line, and `]` alone on the last line: auditrail's one-per-line layout.
  if (first > 0 && byteAt(io, fd, first) === 0x7b && byteAt(io, fd, first - 1) === 0x0a) {
    const close = lastNonSpace(io, fd, first, size)
    if (close > first && byteAt(io, fd, close) === 0x5d && byteAt(io, fd, close - 1) === 0x0a) return { kind: 'lines', bodyStart: first, bodyEnd: close - 1 }
  }
  return { kind: 'array', start: open }
}

const COMMA = 0x2c
const CLOSE_BRACE = 0x7d

type EventEntry = Extract<LogEntry, { kind: 'event' }>

/** What a summary needs of an event. */
export type JsonHead = Pick<AuditEvent, 'action_type' | 'status'>

/**
 * What a read makes of the line `text[from, to)` at bytes `[start, end)` (its comma and write already checked): the
 * item to yield, or `undefined` for none. Problems found in the line go to `problem`, which also gives what to yield.
 */
type LineReader<T> = (text: string, from: number, to: number, start: number, end: number, problem: (entry: ProblemEntry) => T | undefined) => T | undefined

const readEntry: LineReader<LogEntry> = (text, from, to, start, end) => parseJsonEntry(text.slice(from, to), start, end)

/** The event of a line (an event is also a {@link JsonHead}), or `problem`'s answer. */
function readEvent<T>(text: string, from: number, to: number, start: number, end: number, problem: (entry: ProblemEntry) => T | undefined): AuditEvent | T | undefined {
  const entry = parseJsonEntry(text.slice(from, to), start, end)
  return entry.kind === 'event' ? entry.event : problem(entry)
}

// HEAD_PATTERN, sticky: matched at a line's start within the run, without a copy of the line.
const HEAD = new RegExp(HEAD_PATTERN.source.slice(1), 'y')

/** The action type and status from the start of a line our writer produced (`{"timestamp":…,"action_type":…,"status":…`), else from the whole event. */
const readHead: LineReader<JsonHead> = (text, from, to, start, end, problem) => {
  HEAD.lastIndex = from
  const head = HEAD.exec(text)
  if (head === null || head[1] === undefined || HEAD.lastIndex > to) return readEvent(text, from, to, start, end, problem)
  return { action_type: head[1].includes('\\') ? (JSON.parse(`"${head[1]}"`) as string) : head[1], status: head[2] as AuditEvent['status'] }
}

/**
 * What `read` makes of each line of auditrail's one-per-line layout, in `order`: the line reader's runs of whole lines in
 * one reused window, their lines found with `indexOf`, the comma and the write of each checked on its last character
 * before any copy of it is made (a generator and a trimmed copy per line had cost a fifth of the time).
 */
function* lineItems<T>(
  io: FileIo,
  fd: number,
  layout: LinesLayout,
  order: ReadOrder,
  progress: Progress | undefined,
  size: number,
  read: LineReader<T>,
  problem: (entry: ProblemEntry) => T | undefined,
  wrap: ((event: AuditEvent, start: number, end: number) => T) | undefined,
): Generator<T> {
  const newestFirst = order === 'newest-first'
  // Each line's first character and byte in the run; index n is one past the last line. Kept across runs.
  const chars: number[] = []
  const bytes: number[] = []
  for (const run of readLineRuns(io, fd, layout.bodyStart, layout.bodyEnd, order)) {
    const text = run.text
    let n = 0
    for (let from = 0, at = run.offset; ; ) {
      chars[n] = from
      bytes[n] = at
      n++
      const nl = text.indexOf('\n', from)
      const to = nl === -1 ? text.length : nl
      // Byte offsets are character offsets in an ASCII run (the usual case), else counted per line.
      at += (run.ascii ? to - from : Buffer.byteLength(text.slice(from, to))) + 1
      from = to + 1
      if (nl === -1) {
        chars[n] = from
        bytes[n] = at
        break
      }
    }
    const events = wrap === undefined || !run.ascii ? undefined : parseRun(text, n, chars, run.offset === layout.bodyStart, (bytes[n] as number) - 1 === layout.bodyEnd)
    if (events !== undefined && wrap !== undefined) {
      for (let k = 0; k < n; k++) {
        const i = newestFirst ? k : n - 1 - k
        yield wrap(events[i] as AuditEvent, bytes[i] as number, (bytes[i + 1] as number) - 1)
        if (progress !== undefined) progress(newestFirst ? ((bytes[i + 1] as number) - 1 - layout.bodyStart) / size : (size - (bytes[i] as number)) / size)
      }
      continue
    }
    for (let k = 0; k < n; k++) {
      const i = newestFirst ? k : n - 1 - k
      const from = chars[i] as number
      const to = (chars[i + 1] as number) - 1
      const start = bytes[i] as number
      const end = (bytes[i + 1] as number) - 1
      const last = text.charCodeAt(to - 1)
      let item: T | undefined
      if (last === COMMA && end !== layout.bodyEnd) item = read(text, from, to - 1, start, end, problem)
      else if (last === CLOSE_BRACE && end === layout.bodyEnd) item = read(text, from, to, start, end, problem)
      else {
        const line = text.slice(from, to)
        const found = lineProblem(line, start, end, layout)
        const warned = found === undefined ? undefined : problem(found)
        if (warned !== undefined) yield warned
        if (found?.severity !== 'warning') {
          const trimmed = line.trimEnd()
          item = read(trimmed, 0, trimmed.endsWith(',') ? trimmed.length - 1 : trimmed.length, start, end, problem)
        }
      }
      if (item !== undefined) yield item
      if (progress !== undefined) progress(newestFirst ? (end - layout.bodyStart) / size : (size - start) / size)
    }
  }
  progress?.(1)
}

/**
 * The events of a run of `n` lines (starting at `chars`), parsed as one JSON array: `undefined` unless every line is
 * shaped as our writer leaves it (a comma after each but the body's last, no unfinished write before the newest) and
 * every element decodes, the per-line path then naming the problem. One parse per megabyte took a fifth less time
 * than one per line with its copy; it accepts only text the per-line path accepts, with one element per line.
 */
function parseRun(text: string, n: number, chars: readonly number[], first: boolean, last: boolean): AuditEvent[] | undefined {
  if (first) {
    const end = text.charCodeAt((chars[1] as number) - 2)
    if (end === 0x20 || end === 0x09) return undefined
  }
  for (let i = 1; i < n; i++) if (text.charCodeAt((chars[i] as number) - 2) !== COMMA) return undefined
  const tail = text.charCodeAt(text.length - 1)
  if (tail !== (last ? CLOSE_BRACE : COMMA)) return undefined
  let values: unknown
  try {
    values = JSON.parse(`[${last ? text : text.slice(0, -1)}]`)
  } catch {
    return undefined
  }
  if (!Array.isArray(values) || values.length !== n) return undefined
  // The decoded events, not the parsed values: a value off the fast path is decoded afresh by the full codec.
  const events: AuditEvent[] = new Array<AuditEvent>(n)
  for (let i = 0; i < n; i++) {
    const decoded = decodeParsedAuditEvent(values[i])
    if (decoded._tag === 'Left') return undefined
    events[i] = decoded.right
  }
  return events
}

/** The problem with a stored line at `[start, end)` not shaped as our writer leaves it: its comma, or its write (a warning: no event there). */
function lineProblem(line: string, start: number, end: number, layout: LinesLayout): ProblemEntry | undefined {
  const last = line.charCodeAt(line.length - 1)
  if (start === layout.bodyStart && (last === 0x20 || last === 0x09)) {
    // A line running into the gap's spaces is a write not yet complete (a writer is in the middle of it) or
    // torn by a crash (the next writer blanks it). Either way it was never acknowledged: not an event.
    return { kind: 'problem', severity: 'warning', at: start, message: 'an unfinished write before the newest event (in progress, or torn by a crash); skipped' }
  }
  const comma = line.trimEnd().endsWith(',')
  const isLast = end === layout.bodyEnd
  if (comma && isLast) return { kind: 'problem', severity: 'error', at: start, message: 'a comma after the oldest event' }
  if (!comma && !isLast) return { kind: 'problem', severity: 'error', at: start, message: 'missing comma after this event' }
  return undefined
}

function* arrayEntries(io: FileIo, fd: number, start: number, size: number, order: ReadOrder, progress?: Progress): Generator<LogEntry> {
  for (const item of streamRecords(fd, jsonArrayFraming, start, size, order === 'newest-first' ? 'forward' : 'reverse', progress, io)) {
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
  /**
   * What a summary counts, as {@link SnapshotBody.events} gives events: the action type and status read from the start
   * of each line our writer produced, without parsing the rest (several times faster); any other record decoded whole.
   */
  heads(order: ReadOrder, problem: (entry: ProblemEntry) => void, options?: SnapshotEntriesOptions): Iterable<JsonHead>
}

/** Options of {@link createJsonEntries}. */
export interface JsonEntriesOptions extends SnapshotOptions {
  /** The layout, when the caller already knows it (the sink, from the header it read under the lock). Default: detected. */
  readonly layout?: JsonLayout
}

/** A lock-free snapshot of a JSON log (see {@link openJsonSnapshot}). */
export type JsonSnapshot = LogSnapshot & Pick<JsonEntries, 'layout' | 'heads'> & { readonly format: 'json' }

/**
 * Opens a JSON log of any layout (auditrail's gap layout, the Python original's indent-2 array, one line) for a
 * lock-free snapshot read, streaming in both orders in constant memory; problems name their byte, `describe` its line.
 * Throws an `io` AuditrailError naming the file when it cannot be read.
 */
export function openJsonSnapshot(file: string, options: SnapshotOptions = {}): JsonSnapshot {
  return { ...openSnapshot(file, 'sink-json', (fd, size) => createJsonEntries(fd, size, options), options.io), format: 'json' }
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

/** Reads a JSON log of any layout from `fd` (`size` bytes) through `options.io`, streaming in both orders. */
export function createJsonEntries(fd: number, size: number, options: JsonEntriesOptions = {}): JsonEntries {
  const io = options.io ?? nodeFileIo
  const layout = options.layout ?? detectLayout(io, fd, size)
  /**
   * What `read` makes of each record in `order` (`fromEntry` of each event another layout's scanner found), with
   * `problem`'s answer for each problem.
   */
  function itemsOf<T>(
    order: ReadOrder,
    progress: Progress | undefined,
    read: LineReader<T>,
    fromEntry: (entry: EventEntry) => T,
    problem: (entry: ProblemEntry) => T | undefined,
    wrap?: (event: AuditEvent, start: number, end: number) => T,
  ): Iterable<T> {
    // The line reader's generator itself, not one delegating to it: a generator layer per event costs some 4%.
    if (layout.kind === 'lines') return lineItems(io, fd, layout, order, progress, size, read, problem, wrap)
    return otherItems(order, progress, fromEntry, problem)
  }
  function* otherItems<T>(order: ReadOrder, progress: Progress | undefined, fromEntry: (entry: EventEntry) => T, problem: (entry: ProblemEntry) => T | undefined): Generator<T> {
    if (layout.kind === 'array') {
      for (const entry of arrayEntries(io, fd, layout.start, size, order, progress)) {
        const item = entry.kind === 'problem' ? problem(entry) : fromEntry(entry)
        if (item !== undefined) yield item
      }
    }
    progress?.(1)
  }
  const eventOf = (entry: EventEntry): AuditEvent => entry.event
  const body: JsonEntries = {
    bodyStart: 0,
    layout,
    singlePass: (order) => layout.kind !== 'array' || order === 'newest-first',
    entries: (order, options = {}) => itemsOf<LogEntry>(order, options.progress, readEntry, (entry) => entry, (entry) => entry, (event, start, end) => ({ kind: 'event', event, start, end })),
    events: (order, problem, options = {}) => itemsOf<AuditEvent>(order, options.progress, readEvent, eventOf, (entry) => void problem(entry), (event) => event),
    heads: (order, problem, options = {}) => itemsOf<JsonHead>(order, options.progress, readHead, eventOf, (entry) => void problem(entry)),
    since: (position) => jsonSince(body.entries('newest-first'), position),
  }
  return body
}
