import {
  createFileSinkFrame,
  decodeOrSkip,
  decodeParsedAuditEvent,
  statIfExists,
  summarizeEvents,
  type AuditEvent,
  type AuditSink,
  type FileSinkOptions,
  type LogSummary,
  type ReadOptions,
  type SkipInvalid,
  type SummarizeOptions,
} from '@auditrail/core'
import { parseLine } from './json-decode.js'
import { HEAD_PATTERN } from './json-layout.js'
import { createJsonLogFile, type JsonSnapshot } from './json-log-file.js'
import { readLineRuns } from './line-reader.js'
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

  /** The body of `read`: holds the lock only to snapshot the file, then streams from its own descriptor. */
  function* readEvents(readOptions: ReadOptions): Generator<AuditEvent> {
    frame.ensureOpen()
    const skip = readOptions.skipInvalid
    const order = readOptions.order ?? 'newest-first'
    const snapshot = snapshotOrNothing()
    if (snapshot === undefined) return
    if (snapshot.kind === 'lines') {
      const lines = order === 'newest-first' ? snapshot.lines : [...snapshot.lines].reverse()
      for (const [i, text] of lines.entries()) {
        const event = decodeOrSkip(skip, file, `event ${i + 1}`, () => parseLine(text, file, `event ${i + 1}`))
        if (event !== undefined) yield event
      }
      return
    }
    try {
      for (const run of readLineRuns(io, snapshot.fd, snapshot.start, snapshot.end, order)) {
        const events = parseRun(run.text)
        if (events === undefined) {
          // Something in this run does not decode: go line by line, to name the line in the error.
          const lines = [...readLinesOf(run.text, run.offset)]
          if (order === 'oldest-first') lines.reverse()
          for (const { text, offset } of lines) {
            const event = decodeOrSkip(skip, file, `byte ${offset}`, () => parseLine(withoutComma(text), file, `byte ${offset}`))
            if (event !== undefined) yield event
          }
        } else {
          if (order === 'oldest-first') events.reverse()
          yield* events
        }
      }
    } finally {
      io.closeSync(snapshot.fd)
    }
  }

  /**
   * The action type and status of each stored event, for summaries: read from the start of each line our writer
   * produced (`{"timestamp":…,"action_type":…,"status":…`) without parsing the rest; any other line is decoded.
   */
  function* readHeads(skip: SkipInvalid | undefined): Generator<Pick<AuditEvent, 'action_type' | 'status'>> {
    const snapshot = snapshotOrNothing()
    if (snapshot === undefined) return
    if (snapshot.kind === 'lines') {
      for (const [i, text] of snapshot.lines.entries()) {
        const event = decodeOrSkip(skip, file, `event ${i + 1}`, () => parseLine(text, file, `event ${i + 1}`))
        if (event !== undefined) yield event
      }
      return
    }
    try {
      for (const run of readLineRuns(io, snapshot.fd, snapshot.start, snapshot.end, 'newest-first')) {
        const lines = run.text.split('\n')
        for (const [i, text] of lines.entries()) {
          const head = HEAD_PATTERN.exec(text)
          if (head !== null && head[1] !== undefined) {
            yield { action_type: head[1].includes('\\') ? (JSON.parse(`"${head[1]}"`) as string) : head[1], status: head[2] as AuditEvent['status'] }
          } else {
            // Not a line our writer produced: decode it whole (its byte offset, for the error, only computed here).
            const offset = run.offset + Buffer.byteLength(lines.slice(0, i).join('\n')) + (i > 0 ? 1 : 0)
            const event = decodeOrSkip(skip, file, `byte ${offset}`, () => parseLine(withoutComma(text), file, `byte ${offset}`))
            if (event !== undefined) yield event
          }
        }
      }
    } finally {
      io.closeSync(snapshot.fd)
    }
  }

  return {
    name: COMPONENT,
    path: file,
    prepare: frame.prepare,
    write(event) {
      frame.ensureOpen()
      const line = JSON.stringify(event)
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
      return summarizeEvents(readHeads(summarizeOptions.skipInvalid))
    },
    read(readOptions = {}) {
      // Checked here, not inside the generator, so that `read()` after `close()` throws at the call.
      frame.ensureOpen()
      return readEvents(readOptions)
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

/** Parses a run of whole event lines as one JSON array; `undefined` if any of it is not a valid event. */
function parseRun(text: string): AuditEvent[] | undefined {
  let values: unknown
  try {
    values = JSON.parse(`[${withoutComma(text)}]`)
  } catch {
    // Not valid as a whole: the caller goes line by line to locate the problem.
    return undefined
  }
  const events = values as AuditEvent[]
  for (const value of events) if (decodeParsedAuditEvent(value)._tag === 'Left') return undefined
  return events
}

/** The lines of a run with their byte offsets in the file. */
function* readLinesOf(text: string, offset: number): Generator<{ text: string; offset: number }> {
  let at = offset
  for (const line of text.split('\n')) {
    yield { text: line, offset: at }
    at += Buffer.byteLength(line) + 1
  }
}
