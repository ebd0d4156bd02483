import * as path from 'node:path'
import {
  AuditrailError,
  createLockTenure,
  ioError,
  nodeFileIo,
  statIfExists,
  summarizeEvents,
  type AuditEvent,
  type AuditSink,
  type FileIo,
  type LockTenureOptions,
  type LogSummary,
  type ReadOptions,
} from '@auditrail/core'
import { parseLine } from './json-decode.js'
import { HEAD_PATTERN } from './json-layout.js'
import { createJsonLogFile, type JsonSnapshot } from './json-log-file.js'
import { readLines } from './line-reader.js'

const COMPONENT = 'sink-json'

/** The file name the spec gives the JSON log inside `rootLogDir`. */
export const JSON_LOG_FILE = 'audit_log.json'

/** Options of {@link createJsonSink}. */
export interface JsonSinkOptions {
  /** Directory of the log; the file is `<rootLogDir>/audit_log.json`. Created (recursively) at the first event. */
  readonly rootLogDir: string
  /**
   * `'process'` (default): a returned write survives a crash of this process (it is in the OS page cache).
   * `'fsync'`: it also survives power loss: data is fdatasync'ed, and renames are made durable by fsync
   * of the directory. Costs a disk flush per event.
   */
  readonly durability?: 'process' | 'fsync'
  /** Cross-process lock: stale time, wait timeout, and how long to keep it between writes (`hold`). */
  readonly lock?: LockTenureOptions
  /** File-system calls, for fault injection in tests. Default `node:fs`. */
  readonly io?: FileIo
}

/** A JSON sink: {@link AuditSink} plus where it writes. */
export interface JsonSink extends AuditSink {
  readonly path: string
  read(options?: ReadOptions): Iterable<AuditEvent>
  prepare(): string | undefined
  flush(): void
  sync(): void
  summarize(): LogSummary
}

function validate(options: JsonSinkOptions): void {
  const fail = (field: string, message: string): never => {
    throw new AuditrailError('options', `${field}: ${message}`, { component: COMPONENT, field })
  }
  if (typeof options !== 'object' || options === null) fail('options', 'expected an object')
  if (typeof options.rootLogDir !== 'string' || options.rootLogDir.length === 0) fail('rootLogDir', 'expected a non-empty string')
  if (options.durability !== undefined && options.durability !== 'process' && options.durability !== 'fsync') {
    fail('durability', `expected "process" | "fsync", got ${JSON.stringify(options.durability)}`)
  }
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
  validate(options)
  const io = options.io ?? nodeFileIo
  const file = path.resolve(options.rootLogDir, JSON_LOG_FILE)
  const log = createJsonLogFile(io, file, options.durability === 'fsync')
  const tenure = createLockTenure(file, COMPONENT, { begin: () => log.load(true), end: () => log.tidy() }, options.lock)
  let closed = false
  let directoryMade = false

  const fail = (action: string, error: unknown): AuditrailError => (error instanceof AuditrailError ? error : ioError(COMPONENT, action, file, error))

  function ensureOpen(): void {
    if (closed) throw new AuditrailError('closed', 'use after close', { component: COMPONENT, file })
  }

  /** Takes the lock (and so re-reads the file) unless this writer holds it already. */
  function enter(): void {
    if (!directoryMade) {
      // The lock lives next to the file, so the directory must exist before the lock is taken.
      try {
        io.mkdirSync(path.dirname(file), { recursive: true })
      } catch (error) {
        throw fail('create the log directory', error)
      }
      directoryMade = true
    }
    try {
      tenure.enter()
    } catch (error) {
      log.forget()
      throw fail('open', error)
    }
  }

  // Fail early, before the first event, on a file we could never continue. Read-only: no lock needed.
  try {
    if (statIfExists(io, file) !== undefined) log.load(false)
  } catch (error) {
    throw fail('open', error)
  } finally {
    log.close()
  }

  return {
    name: COMPONENT,
    path: file,
    prepare() {
      ensureOpen()
      enter()
      return log.newest
    },
    write(event) {
      ensureOpen()
      const line = JSON.stringify(event)
      enter()
      try {
        log.append(line, event.timestamp)
      } catch (error) {
        log.forget()
        tenure.end()
        throw fail('append', error)
      }
      tenure.used()
    },
    flush() {
      tenure.end()
    },
    sync() {
      try {
        log.sync()
      } catch (error) {
        throw fail('sync', error)
      }
    },
    summarize() {
      ensureOpen()
      return summarizeEvents(readHeads())
    },
    read(readOptions = {}) {
      // Checked here, not inside the generator, so that `read()` after `close()` throws at the call.
      ensureOpen()
      return readEvents(readOptions)
    },
    close() {
      if (closed) return
      closed = true
      tenure.end()
      log.close()
    },
  }

  /** Takes the lock just long enough to pin a consistent view of the stored events. */
  function snapshotOrNothing(): JsonSnapshot | undefined {
    // No log yet: reading must create nothing, not even the lock (an empty read is a valid answer even if a
    // writer creates the file a moment later).
    if (!tenure.held && statIfExists(io, file) === undefined) return undefined
    enter()
    try {
      return log.snapshot()
    } catch (error) {
      log.forget()
      tenure.end()
      throw fail('read', error)
    } finally {
      tenure.used()
    }
  }

  /** The body of `read`: holds the lock only to snapshot the file, then streams from its own descriptor. */
  function* readEvents(readOptions: ReadOptions): Generator<AuditEvent> {
    ensureOpen()
    const order = readOptions.order ?? 'newest-first'
    const snapshot = snapshotOrNothing()
    if (snapshot === undefined) return
    if (snapshot.kind === 'lines') {
      const lines = order === 'newest-first' ? snapshot.lines : [...snapshot.lines].reverse()
      for (const [i, text] of lines.entries()) yield parseLine(text, file, `event ${i + 1}`)
      return
    }
    try {
      for (const { text, offset } of readLines(io, snapshot.fd, snapshot.start, snapshot.end, order)) {
        yield parseLine(text.endsWith(',') ? text.slice(0, -1) : text, file, `byte ${offset}`)
      }
    } finally {
      io.closeSync(snapshot.fd)
    }
  }

  /**
   * The action type and status of each stored event, for summaries: read from the start of each line our writer
   * produced (`{"timestamp":…,"action_type":…,"status":…`) without parsing the rest; any other line is decoded.
   */
  function* readHeads(): Generator<Pick<AuditEvent, 'action_type' | 'status'>> {
    const snapshot = snapshotOrNothing()
    if (snapshot === undefined) return
    if (snapshot.kind === 'lines') {
      for (const [i, text] of snapshot.lines.entries()) yield parseLine(text, file, `event ${i + 1}`)
      return
    }
    try {
      for (const { text, offset } of readLines(io, snapshot.fd, snapshot.start, snapshot.end, 'newest-first')) {
        const head = HEAD_PATTERN.exec(text)
        if (head === null || head[1] === undefined) yield parseLine(text.endsWith(',') ? text.slice(0, -1) : text, file, `byte ${offset}`)
        else yield { action_type: head[1].includes('\\') ? (JSON.parse(`"${head[1]}"`) as string) : head[1], status: head[2] as AuditEvent['status'] }
      }
    } finally {
      io.closeSync(snapshot.fd)
    }
  }
}
