import * as path from 'node:path'
import { accessDeniedError, isAccessDenied } from './access-denied.js'
import { AuditrailError, ioError, unsafePathError } from './errors.js'
import { DEFAULT_FILE_MODE, DIRECTORY_MODE, nodeFileIo, statIfExists, type FileIo } from './file-io.js'
import { createLockTenure, type LockTenure, type LockTenureOptions } from './lock-tenure.js'
import { withGetters } from './fast-object.js'

/** The options every file sink takes. */
export interface FileSinkOptions {
  /** Directory of the log file. Created (recursively, mode 0700) at the first event; an existing one keeps its mode. */
  readonly rootLogDir: string
  /**
   * `'process'` (default): a returned write survives a crash of this process (it is in the OS page cache).
   * `'fsync'`: it also survives power loss: data is fdatasync'ed, and renames are made durable by fsync of the
   * directory. Costs a disk flush per event.
   */
  readonly durability?: 'process' | 'fsync'
  /** Cross-process lock: stale time, wait timeout, and how long to keep it between writes (`hold`). */
  readonly lock?: LockTenureOptions
  /**
   * Permission bits of the files the sink creates (the log, its temporary files, the lock's marker), further
   * narrowed by the process umask. Default `0o600`: audit records often hold paths, parameters or user names, so
   * only the owner reads them. Widen it (e.g. `0o640`, or `0o660` for writers of one group) to share the log; the
   * world-write bit (`0o002`) is always refused. A whole-file rewrite gives the log this mode again.
   */
  readonly fileMode?: number
  /** File-system calls, for fault injection in tests. Default `node:fs`. */
  readonly io?: FileIo
}

/** What a file sink's format-specific handler does; every call but `load(false, …)` is made holding the lock. */
export interface LogFileHandler {
  /** Re-reads (and with `repair`, repairs) the file; `tookOver` when a dead writer's stale lock was taken over. */
  load(repair: boolean, tookOver: boolean): void
  /** The newest stored event's timestamp, if any. */
  readonly newest: string | undefined
  /** Before the lock is released: leaves the file tidy. Must not throw. */
  tidy(): void
  /** After a failure: forgets what it knew, so the next tenure re-reads the file. */
  forget(): void
  /** Makes every write so far durable. */
  sync(): void
  close(): void
}

/** The parts every file sink shares: options, the lock tenure, the lifecycle, and error wrapping. */
export interface FileSinkFrame<H extends LogFileHandler> {
  readonly file: string
  readonly io: FileIo
  readonly log: H
  /** True while this writer holds the lock. */
  readonly held: boolean
  /** Throws a `closed` error after `close()`. */
  ensureOpen(): void
  /** Takes the lock (re-reading the file) unless held; creates the directory the first time. */
  enter(): void
  /** Runs `body` holding the lock; on failure forgets the file state, releases the lock and throws an AuditrailError. */
  locked<T>(action: string, body: () => T): T
  /** `locked` for a write's hot path: calls `body(a, b)`, so that a write allocates no closure. */
  lockedCall<A, B>(action: string, body: (a: A, b: B) => void, a: A, b: B): void
  /**
   * Like `locked`, for reads (a snapshot, the newest event): when the lock is already held it does not count as a use,
   * which could hand the lock to a waiter between a `prepare` and the `write` it prepares (core reads the newest event
   * there for the hash chain, and counts the stored events when a chain starts on an existing log).
   */
  peek<T>(action: string, body: () => T): T
  /** Wraps an error as an AuditrailError of this sink, naming the file. */
  fail(action: string, error: unknown): AuditrailError
  /** The shared AuditSink members. */
  prepare(): string | undefined
  flush(): void
  sync(): void
  close(): void
}

/**
 * Validates the options (before any I/O), builds the format's handler and the lock tenure around it, and checks an
 * existing file read-only, so a file that can never be continued fails the factory, not the first event.
 */
export function createFileSinkFrame<H extends LogFileHandler>(
  component: string,
  fileName: string,
  options: FileSinkOptions,
  makeHandler: (io: FileIo, file: string, fsync: boolean, fileMode: number, othersWaiting: () => boolean) => H,
): FileSinkFrame<H> {
  validateFileSinkOptions(component, options)
  const io = options.io ?? nodeFileIo
  const file = path.resolve(options.rootLogDir, fileName)
  const fileMode = options.fileMode ?? DEFAULT_FILE_MODE
  // The handler may ask whether other writers are waiting for the lock (the tenure is made after it, around it).
  let tenureRef: LockTenure | undefined
  const log = makeHandler(io, file, options.durability === 'fsync', fileMode, () => tenureRef?.othersWaiting() ?? false)
  const hooks = { begin: (tookOver: boolean) => log.load(true, tookOver), end: () => log.tidy() }
  const tenure = createLockTenure(file, component, hooks, options.lock, fileMode)
  tenureRef = tenure
  let closed = false
  let directoryMade = false

  // A permission refusal names who owns the directory or file: usually another user's 0700 log directory.
  const fail = (action: string, error: unknown): AuditrailError =>
    error instanceof AuditrailError ? error : isAccessDenied(error) ? accessDeniedError(component, action, file, error) : ioError(component, action, file, error)
  // After a failure holding the lock: what this writer knew of the file may be wrong; the next tenure re-reads it.
  const abandon = (action: string, error: unknown): AuditrailError => {
    log.forget()
    tenure.end()
    return fail(action, error)
  }

  const methods: Omit<FileSinkFrame<H>, 'held'> = {
    file,
    io,
    log,
    fail,
    ensureOpen() {
      if (closed) throw new AuditrailError('closed', 'use after close', { component, file })
    },
    enter() {
      if (!directoryMade) {
        // The lock lives next to the file, so the directory must exist before the lock is taken.
        try {
          io.mkdirSync(path.dirname(file), { recursive: true, mode: DIRECTORY_MODE })
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
    },
    locked(action, body) {
      frame.enter()
      let result
      try {
        result = body()
      } catch (error) {
        throw abandon(action, error)
      }
      tenure.used()
      return result
    },
    lockedCall(action, body, a, b) {
      if (!tenure.held) frame.enter()
      try {
        body(a, b)
      } catch (error) {
        throw abandon(action, error)
      }
      tenure.used()
    },
    peek(action, body) {
      if (!tenure.held) return frame.locked(action, body)
      try {
        return body()
      } catch (error) {
        throw abandon(action, error)
      }
    },
    prepare() {
      frame.ensureOpen()
      if (!tenure.held) frame.enter()
      return log.newest
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
    close() {
      if (closed) return
      closed = true
      tenure.end()
      log.close()
    },
  }
  const frame: FileSinkFrame<H> = withGetters(methods, { held: () => tenure.held })

  // Fail early, before the first event, on a file we could never continue or a symbolic link planted at the log or
  // its lock (the lock's own check refuses one planted later). Read-only: no lock needed.
  try {
    if (statIfExists(io, `${file}.lock`)?.isSymbolicLink() === true) throw unsafePathError(component, `${file}.lock`)
    const stat = statIfExists(io, file)
    if (stat?.isSymbolicLink() === true) throw unsafePathError(component, file)
    if (stat !== undefined) log.load(false, false)
  } catch (error) {
    throw fail('open', error)
  } finally {
    log.close()
  }
  return frame
}

function validateFileSinkOptions(component: string, options: FileSinkOptions): void {
  const fail = (field: string, message: string): never => {
    throw new AuditrailError('options', `${field}: ${message}`, { component, field })
  }
  if (typeof options !== 'object' || options === null) fail('options', 'expected an object')
  if (typeof options.rootLogDir !== 'string' || options.rootLogDir.length === 0) fail('rootLogDir', 'expected a non-empty string')
  if (options.durability !== undefined && options.durability !== 'process' && options.durability !== 'fsync') {
    fail('durability', `expected "process" | "fsync", got ${JSON.stringify(options.durability)}`)
  }
  const mode: unknown = options.fileMode
  if (mode !== undefined && (typeof mode !== 'number' || !Number.isInteger(mode) || mode < 0 || mode > 0o777 || (mode & 0o002) !== 0)) {
    const shown = typeof mode !== 'number' ? (JSON.stringify(mode) ?? String(mode)) : Number.isInteger(mode) && mode >= 0 ? `0o${mode.toString(8)}` : String(mode)
    fail('fileMode', `expected permission bits within 0o000..0o777 without world-write (0o002), got ${shown}`)
  }
}
