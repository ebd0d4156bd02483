import * as path from 'node:path'
import {
  AuditrailError,
  createLockTenure,
  ioError,
  nodeFileIo,
  statIfExists,
  type AuditEvent,
  type AuditSink,
  type FileIo,
  type LockTenureOptions,
  type ReadOptions,
} from '@auditrail/core'
import { createCsvLogFile } from './csv-log-file.js'
import { parseDataRows } from './csv-row.js'
import { recordChunks } from './csv-scan.js'

const COMPONENT = 'sink-csv'

/** The file name the spec gives the CSV log inside `rootLogDir`. */
export const CSV_LOG_FILE = 'audit_log.csv'

/** Options of {@link createCsvSink}. */
export interface CsvSinkOptions {
  /** Directory of the log; the file is `<rootLogDir>/audit_log.csv`. Created (recursively) at the first event. */
  readonly rootLogDir: string
  /**
   * `'process'` (default): a returned write survives a crash of this process. `'fsync'`: it also survives
   * power loss (fdatasync per event, fsync of the directory when the file is created).
   */
  readonly durability?: 'process' | 'fsync'
  /** Cross-process lock: stale time, wait timeout, and how long to keep it between writes (`hold`). */
  readonly lock?: LockTenureOptions
  /** File-system calls, for fault injection in tests. Default `node:fs`. */
  readonly io?: FileIo
}

/** A CSV sink: {@link AuditSink} plus where it writes. */
export interface CsvSink extends AuditSink {
  readonly path: string
  read(options?: ReadOptions): Iterable<AuditEvent>
  prepare(): string | undefined
  flush(): void
  sync(): void
}

function validate(options: CsvSinkOptions): void {
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
 * Creates the CSV sink: `<rootLogDir>/audit_log.csv`, RFC 4180 with the header
 * `timestamp,action_type,status,details,error`, oldest row first, one positioned append per event.
 * Rows end in CRLF (RFC 4180, and what Python's csv module writes); a file whose header ends in LF is
 * continued with LF. A last row torn by a crash is repaired when a writer next takes the lock. An existing
 * file with another header throws a `corrupt` error and is never modified.
 */
export function createCsvSink(options: CsvSinkOptions): CsvSink {
  validate(options)
  const io = options.io ?? nodeFileIo
  const file = path.resolve(options.rootLogDir, CSV_LOG_FILE)
  const log = createCsvLogFile(io, file, options.durability === 'fsync')
  const tenure = createLockTenure(file, COMPONENT, { begin: (tookOver) => log.load(true, tookOver), end: () => undefined }, options.lock)
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
        throw fail('create the directory', error)
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
    if (statIfExists(io, file) !== undefined) log.load(false, false)
  } catch (error) {
    throw fail('open', error)
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
      enter()
      try {
        log.append(event)
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
    read(readOptions = {}) {
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

  /** Streams the rows: holds the lock only to snapshot the file's extent, then parses record chunks. */
  function* readEvents(readOptions: ReadOptions): Generator<AuditEvent> {
    ensureOpen()
    if (!tenure.held && statIfExists(io, file) === undefined) return
    enter()
    let snapshot
    try {
      snapshot = log.snapshot()
    } catch (error) {
      log.forget()
      tenure.end()
      throw fail('read', error)
    }
    tenure.used()
    if (snapshot === undefined) return
    const backward = readOptions.order === 'newest-first'
    // Records are numbered from the header (record 1) when reading forward; backward, by the chunk's byte offset.
    let record = 2
    try {
      for (const chunk of recordChunks(io, snapshot.fd, snapshot.start, snapshot.end, backward)) {
        const first = record
        const events = parseDataRows(chunk.text, file, (i) => (backward ? `record ${i + 1} of the rows from byte ${chunk.offset}` : `record ${first + i}`))
        record += events.length
        if (backward) events.reverse()
        yield* events
      }
    } finally {
      io.closeSync(snapshot.fd)
    }
  }
}
