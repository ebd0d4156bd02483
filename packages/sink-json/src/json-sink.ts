import {
  AuditrailError,
  createFileSinkFrame,
  decodeOrSkip,
  eventJson,
  readAt,
  statIfExists,
  summarizeEvents,
  type AuditEvent,
  type FileIo,
  type ProblemEntry,
  type AuditSink,
  type FileSinkOptions,
  type LogSummary,
  type ReadOptions,
  type SkipInvalid,
  type SummarizeOptions,
} from '@auditrail/core'
import { parseLine } from './json-decode.js'
import { createJsonLogFile, type JsonSnapshot } from './json-log-file.js'
import { createJsonEntries, type JsonEntries, type JsonLayout } from './json-log-reader.js'
import { createRegrower, type RegrowthOptions } from './regrow-job.js'

const COMPONENT = 'sink-json'

/** The file name the spec gives the JSON log inside `rootLogDir`. */
export const JSON_LOG_FILE = 'audit_log.json'

/** Options of {@link createJsonSink}: the file is `<rootLogDir>/audit_log.json`. */
export interface JsonSinkOptions extends FileSinkOptions {
  /**
   * How the gap before the newest event is regrown when it runs low. Default: in a worker thread, for logs whose body
   * exceeds 1 MiB (`{ mode: 'worker', minBodyBytes: 1 << 20 }`), so a burst of events never waits for the copy of a
   * large log; `'sync'` with a custom `io`. See {@link RegrowthOptions}.
   */
  readonly regrowth?: RegrowthOptions
}

/** A JSON sink: {@link AuditSink} plus where it writes. */
export interface JsonSink extends AuditSink {
  readonly path: string
  read(options?: ReadOptions): Iterable<AuditEvent>
  prepare(): string | undefined
  head(): AuditEvent | undefined
  flush(): void
  sync(): void
  summarize(options?: SummarizeOptions): LogSummary
}

/**
 * Creates the JSON sink: `<rootLogDir>/audit_log.json`, a valid newest-first JSON array at every instant,
 * appended in O(event size), shared safely by several processes through a lock next to it, which a writer
 * keeps across a burst of events (see `lock.hold`).
 * An existing file in another layout (e.g. the Python original's indent-2 array) is continued: at the first
 * event it is rewritten atomically into this layout with every earlier event kept, in order.
 * An existing file that is not a JSON array of events throws a `corrupt` error here and is never modified.
 */
export function createJsonSink(options: JsonSinkOptions): JsonSink {
  const frame = createFileSinkFrame(COMPONENT, JSON_LOG_FILE, options, (io, file, fsync, fileMode, othersWaiting) =>
    createJsonLogFile(io, file, fsync, fileMode, createRegrower(options.regrowth, { io, customIo: options.io !== undefined, file, fileMode, fsync, othersWaiting })),
  )
  const { file, io, log } = frame

  /** Takes the lock just long enough to pin a consistent view of the stored events. */
  function snapshotOrNothing(): JsonSnapshot | undefined {
    // No log yet: reading must create nothing, not even the lock (an empty read is a valid answer even if a
    // writer creates the file a moment later).
    if (!frame.held && statIfExists(io, file) === undefined) return undefined
    return frame.peek('read', () => log.snapshot())
  }

  /**
   * Holds the lock only to snapshot the file, then streams `items` of the format's reader from its own descriptor (our
   * layout's range as the header gave it, another layout as the reader finds it). A problem the reader reports throws the
   * error reading its record gives (see `recordError`), or is skipped with `skipInvalid`; a warning (an unfinished write) is passed over.
   */
  function* readWith<T>(skip: SkipInvalid | undefined, items: (entries: JsonEntries, problem: (entry: ProblemEntry) => void) => Iterable<T>): Generator<T> {
    // Again at the first step: an iteration begun before close() must not read after it.
    frame.ensureOpen()
    const snapshot = snapshotOrNothing()
    if (snapshot === undefined) return
    try {
      const layout: JsonLayout | undefined =
        snapshot.kind === 'file' ? undefined : snapshot.start > snapshot.end ? { kind: 'empty' } : { kind: 'lines', bodyStart: snapshot.start, bodyEnd: snapshot.end }
      const entries = createJsonEntries(snapshot.fd, snapshot.kind === 'file' ? snapshot.size : snapshot.end, { io, layout })
      const problem = (entry: ProblemEntry): void => {
        if (entry.severity === 'warning') return
        decodeOrSkip(skip, file, `byte ${entry.at}`, () => {
          throw snapshot.kind === 'range' ? recordError(snapshot.fd, entry) : readerError(entry)
        })
      }
      yield* items(entries, problem)
    } finally {
      io.closeSync(snapshot.fd)
    }
  }

  /**
   * The error for a problem the reader found at a line of our layout: the one decoding the line gives, as the sink always
   * named its records (`byte N: not valid JSON`, a `decode` error listing the bad fields), else the reader's own (a comma).
   */
  function recordError(fd: number, entry: ProblemEntry): AuditrailError {
    const position = `byte ${entry.at}`
    try {
      parseLine(withoutComma(lineAt(io, fd, entry.at)), file, position)
    } catch (error) {
      if (error instanceof AuditrailError) return error
      throw error
    }
    return readerError(entry)
  }

  /** The reader's own account of a problem (its records in another layout need not start a line). */
  function readerError(entry: ProblemEntry): AuditrailError {
    return new AuditrailError('corrupt', `byte ${entry.at}: ${entry.message}; the file is left untouched`, { component: COMPONENT, file })
  }

  return {
    name: COMPONENT,
    path: file,
    prepare: frame.prepare,
    write(event) {
      frame.ensureOpen()
      const line = eventJson(event)
      frame.lockedCall('append', log.append, line, event)
    },
    head() {
      frame.ensureOpen()
      return frame.peek('read the newest event', () => log.newestEvent())
    },
    flush: frame.flush,
    sync: frame.sync,
    summarize(summarizeOptions = {}) {
      frame.ensureOpen()
      // The reader's summary path: the action type and status from the start of each of our lines, nothing else parsed.
      return summarizeEvents(readWith(summarizeOptions.skipInvalid, (entries, problem) => entries.heads('newest-first', problem)))
    },
    read(readOptions = {}) {
      // Checked here, not inside the generator, so that `read()` after `close()` throws at the call.
      frame.ensureOpen()
      const order = readOptions.order ?? 'newest-first'
      return readWith(readOptions.skipInvalid, (entries, problem) => entries.events(order, problem))
    },
    close: frame.close,
  }
}

/** A stored line without the comma that separates it from the next (older) one. Whitespace a power cut left after
 * an event (its neighbour's lost chunk reads as gap spaces) is not part of the event either. */
function withoutComma(text: string): string {
  const trimmed = text.trimEnd()
  return trimmed.endsWith(',') ? trimmed.slice(0, -1) : trimmed
}

/** The line starting at byte `at` of `fd`, without its line break: read in growing blocks, for an error's message only. */
function lineAt(io: FileIo, fd: number, at: number): string {
  for (let length = 4096; ; length *= 4) {
    const block = readAt(io, fd, at, length)
    const end = block.indexOf(0x0a)
    if (end !== -1 || block.length < length) return block.toString('utf8', 0, end === -1 ? block.length : end)
  }
}
