import { AuditrailError, ioError } from './errors.js'
import { nodeFileIo, readAt, type FileIo } from './file-io.js'
import type { AuditEvent } from './codecs.js'
import type { LogEntry, ProblemEntry } from './log-entry.js'
import { BLOCK, type Progress } from './record-stream.js'
import type { ReadOrder } from './sink.js'

/** Options of {@link LogSnapshot.entries}. */
export interface SnapshotEntriesOptions {
  /**
   * Resume point, oldest first only: a record start, as the `end + 1` of the last entry read earlier (the CSV reader
   * honours it; a JSON log grows at its head, so a follower resumes there by the newest timestamp it has seen).
   */
  readonly from?: number
  /** Called with the fraction of the file read. */
  readonly progress?: Progress
}

/**
 * Where a follower of a log is (`tail -f`, shipping to another store), to read only what was written since: the newest
 * timestamp read and, for a format that appends after its records (CSV), the file read and the offset to resume at.
 */
export interface LogPosition {
  /** The newest timestamp read, in microseconds since the epoch (`-Infinity` before any). */
  readonly newest: number
  /** CSV: the inode of the file read (a rewrite renames another over it) and the offset after its last complete row. */
  readonly file?: { readonly ino: number; readonly next: number }
}

/** The position before anything was read: {@link LogSnapshot.since} it gives every event. */
export const START_POSITION: LogPosition = { newest: Number.NEGATIVE_INFINITY }

/** What {@link LogSnapshot.since} found: the entries written after a position, oldest first, and the position after them. */
export interface SinceResult {
  readonly entries: readonly LogEntry[]
  readonly position: LogPosition
}

/** What a format reader provides over an open file: where its records start and how to stream them. */
export interface SnapshotBody {
  /** Offset of the first record (CSV: after the header; JSON: 0). */
  readonly bodyStart: number
  /** True when reading in `order` takes a single pass over the file (else two). */
  singlePass(order: ReadOrder): boolean
  /** Every event and every problem, in `order` (problems a reverse read finds come first). */
  entries(order: ReadOrder, options?: SnapshotEntriesOptions): Iterable<LogEntry>
  /**
   * The events of {@link entries}, `problem` called with each problem in its place (it may throw, to stop the read):
   * one generator step per event, where filtering `entries` took two (a fifth more time for a million events).
   */
  events(order: ReadOrder, problem: (entry: ProblemEntry) => void, options?: SnapshotEntriesOptions): Iterable<AuditEvent>
  /**
   * The entries written after `position`, oldest first, and the position after them: each format resumes where its
   * files grow (JSON at its head, newest first down to the newest timestamp seen; CSV at the row after the last one
   * read in the same file, or by timestamp in a file renamed over it).
   */
  since(position: LogPosition): SinceResult
}

/**
 * A read-only view of one log file, streaming, in memory bounded by a block and the longest record. It takes no lock
 * and never writes: the bytes it reads are a consistent snapshot, because auditrail's writers never change committed
 * bytes in place (JSON grows into a gap before them, CSV appends after them, rewrites rename a new file over the old).
 */
export interface LogSnapshot extends SnapshotBody {
  readonly file: string
  /** The file's size when opened: later appends are not read. */
  readonly size: number
  /** The inode of the file opened (of what is read, even if another file is renamed over the path meanwhile). */
  readonly ino: number
  /** The 1-based line holding byte `at`: counted on demand, fast for increasing `at`. */
  lineOf(at: number): number
  /** `line 12 (byte 3456)`, for messages. */
  describe(at: number): string
  close(): void
}

/** Options of the formats' snapshot readers. */
export interface SnapshotOptions {
  /** The file-system calls made, for tests that inject faults. Default `node:fs`. */
  readonly io?: FileIo
}

/**
 * Opens `file` for a snapshot read through `io`, the format's `body` reading its records (given the descriptor, the
 * size and the inode of what was opened). Throws an `io` AuditrailError from `component` naming the file when it cannot be read.
 */
export function openSnapshot<B extends SnapshotBody>(
  file: string,
  component: string,
  body: (fd: number, size: number, ino: number) => B,
  io: FileIo = nodeFileIo,
): LogSnapshot & Omit<B, keyof SnapshotBody> {
  let fd: number
  let size: number
  let ino: number
  try {
    fd = io.openSync(file, 'r')
    ;({ size, ino } = io.fstatSync(fd))
  } catch (error) {
    throw ioError(component, 'read the log', file, error)
  }
  let records: B
  try {
    records = body(fd, size, ino)
  } catch (error) {
    io.closeSync(fd)
    throw error
  }
  // Line numbers are counted only for messages; a cursor makes a forward run of them (verify) linear.
  let counted = { at: 0, line: 1 }
  const lineOf = (at: number): number => {
    if (at < counted.at) counted = { at: 0, line: 1 }
    let line = counted.line
    for (let pos = counted.at; pos < at; pos += BLOCK) {
      const block = readAt(io, fd, pos, Math.min(BLOCK, at - pos))
      for (let nl = block.indexOf(0x0a); nl !== -1; nl = block.indexOf(0x0a, nl + 1)) line++
    }
    counted = { at, line }
    return line
  }
  return {
    ...records,
    file,
    size,
    ino,
    bodyStart: records.bodyStart,
    singlePass: (order: ReadOrder) => records.singlePass(order),
    entries: (order: ReadOrder, options?: SnapshotEntriesOptions) => records.entries(order, options),
    events: (order: ReadOrder, problem: (entry: ProblemEntry) => void, options?: SnapshotEntriesOptions) => records.events(order, problem, options),
    since: (position: LogPosition) => records.since(position),
    lineOf,
    describe: (at: number) => `line ${lineOf(at)} (byte ${at})`,
    close() {
      io.closeSync(fd)
    },
  }
}

function corruptAt(snapshot: LogSnapshot, at: number, message: string, component: string): AuditrailError {
  return new AuditrailError('corrupt', `${snapshot.describe(at)}: ${message}`, { component, file: snapshot.file })
}

/** The event entries of `entries`, skipping warnings; throws a `corrupt` AuditrailError from `component` naming the file and line at the first error. */
export function* checkedEntries(snapshot: LogSnapshot, entries: Iterable<LogEntry>, component: string): Generator<Extract<LogEntry, { kind: 'event' }>> {
  for (const entry of entries) {
    if (entry.kind === 'event') yield entry
    else if (entry.severity === 'error') {
      throw corruptAt(snapshot, entry.at, entry.message, component)
    }
  }
}

/** The events of `snapshot` in `order`, skipping warnings, throwing at the first error (see {@link checkedEntries}). */
export function snapshotEvents(snapshot: LogSnapshot, order: ReadOrder, component: string, options: SnapshotEntriesOptions = {}): Iterable<AuditEvent> {
  return snapshot.events(
    order,
    (entry) => {
      if (entry.severity === 'error') throw corruptAt(snapshot, entry.at, entry.message, component)
    },
    options,
  )
}

/** The events of `entries`, `problem` called with each problem (for a format whose reader yields entries one by one). */
export function* eventsOf(entries: Iterable<LogEntry>, problem: (entry: ProblemEntry) => void): Generator<AuditEvent> {
  for (const entry of entries) {
    if (entry.kind === 'event') yield entry.event
    else problem(entry)
  }
}
