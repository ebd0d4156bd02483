import * as path from 'node:path'
import {
  AuditrailError,
  createFileLock,
  ioError,
  nodeFileIo,
  readAt,
  replaceFile,
  statIfExists,
  writeFully,
  type AuditEvent,
  type AuditSink,
  type FileIo,
  type FileLockOptions,
  type ReadOptions,
} from '@auditrail/core'
import { CSV_COLUMNS, encodeHeader, encodeRow, parseRows } from './csv-row.js'

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
  /** Cross-process lock timing. */
  readonly lock?: FileLockOptions
  /** File-system calls, for fault injection in tests. Default `node:fs`. */
  readonly io?: FileIo
}

/** A CSV sink: {@link AuditSink} plus where it writes. */
export interface CsvSink extends AuditSink {
  readonly path: string
  read(options?: ReadOptions): Iterable<AuditEvent>
}

const HEADER_CRLF = encodeHeader('\r\n')
const HEADER_LF = encodeHeader('\n')
/** Bytes read at a time when checking that the file does not end inside a quoted cell. */
const SCAN_CHUNK = 64 * 1024

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
 * continued with LF. An existing file with another header, or with a last row not ended by a line break,
 * throws a `corrupt` error and is never modified.
 */
export function createCsvSink(options: CsvSinkOptions): CsvSink {
  validate(options)
  const io = options.io ?? nodeFileIo
  const fsync = options.durability === 'fsync'
  const file = path.resolve(options.rootLogDir, CSV_LOG_FILE)
  const lock = createFileLock(file, COMPONENT, options.lock)
  let closed = false

  const corrupt = (message: string): AuditrailError =>
    new AuditrailError('corrupt', `${message}; the file is left untouched`, { component: COMPONENT, file })

  // The first `size` bytes of the file with inode `ino` are known to end at a record boundary, so a later
  // check scans only what was appended since: O(row) per write instead of O(file).
  let checked = { ino: -1, size: 0 }

  /**
   * True when the file ends outside a quoted cell. In RFC 4180 a `"` appears only in quoted cells (opening,
   * closing, or doubled), so an odd count means a row torn inside a quoted cell, possibly right after a
   * line break that belongs to the cell.
   */
  function endsOutsideQuotes(fd: number, stats: { ino: number; size: number }): boolean {
    const from = stats.ino === checked.ino && stats.size >= checked.size ? checked.size : 0
    let quotes = 0
    for (let at = from; at < stats.size; at += SCAN_CHUNK) {
      for (const byte of readAt(io, fd, at, Math.min(SCAN_CHUNK, stats.size - at))) if (byte === 0x22) quotes++
    }
    if (quotes % 2 !== 0) return false
    checked = { ino: stats.ino, size: stats.size }
    return true
  }

  /** Opens the existing file and checks its header and last line break; returns the record delimiter. */
  function inspect(fd: number, stats: { ino: number; size: number }): string {
    const head = readAt(io, fd, 0, HEADER_CRLF.length).toString('utf8')
    const delimiter = head === HEADER_CRLF ? '\r\n' : head.startsWith(HEADER_LF) ? '\n' : undefined
    if (delimiter === undefined) throw corrupt(`line 1: expected the header ${CSV_COLUMNS.join(',')}`)
    if (readAt(io, fd, stats.size - 1, 1)[0] !== 0x0a || !endsOutsideQuotes(fd, stats)) {
      throw corrupt('the last row is not ended by a line break (a torn write?)')
    }
    return delimiter
  }

  function withFile<T>(mode: 'r' | 'r+', use: (fd: number, size: number, delimiter: string) => T, missing: () => T): T {
    if (statIfExists(io, file) === undefined) return missing()
    const fd = io.openSync(file, mode)
    try {
      const stats = io.fstatSync(fd)
      return use(fd, stats.size, inspect(fd, stats))
    } finally {
      io.closeSync(fd)
    }
  }

  function ensureOpen(): void {
    if (closed) throw new AuditrailError('closed', 'use after close', { component: COMPONENT, file })
  }

  function locked<T>(action: string, body: () => T): T {
    lock.acquire()
    try {
      return body()
    } catch (error) {
      throw error instanceof AuditrailError ? error : ioError(COMPONENT, action, file, error)
    } finally {
      lock.release()
    }
  }

  // Fail early, before the first event, on a file we could never continue. Read-only: no lock needed.
  withFile('r', () => undefined, () => undefined)

  return {
    name: COMPONENT,
    path: file,
    write(event) {
      ensureOpen()
      // Before the lock: the lock is a directory next to the file, which needs its parent.
      try {
        io.mkdirSync(path.dirname(file), { recursive: true })
      } catch (error) {
        throw ioError(COMPONENT, 'create the directory', file, error)
      }
      locked('append', () =>
        withFile(
          'r+',
          (fd, size, delimiter) => {
            try {
              writeFully(io, fd, Buffer.from(encodeRow(event, delimiter)), size)
              if (fsync) io.fdatasyncSync(fd)
            } catch (error) {
              // Take back a partial row (a short write before ENOSPC), so the file still ends at a record boundary.
              try {
                io.ftruncateSync(fd, size)
              } catch {
                // Ignored: the write's own error is the one to report, and a torn tail left here is refused
                // as `corrupt` by the next write or reader instead of being appended to.
              }
              throw error
            }
          },
          () => {
            // Header and first row appear together, by rename: no reader ever sees a file without its header.
            replaceFile(io, file, fsync, (fd) => writeFully(io, fd, Buffer.from(HEADER_CRLF + encodeRow(event, '\r\n')), 0))
          },
        ),
      )
    },
    read(readOptions = {}) {
      ensureOpen()
      const events = locked('read', () => withFile('r', (fd, size) => parseRows(readAt(io, fd, 0, size).toString('utf8'), file), () => []))
      return readOptions.order === 'newest-first' ? events.reverse() : events
    },
    close() {
      if (closed) return
      closed = true
      lock.release()
    },
  }
}
