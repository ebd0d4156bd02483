import * as fs from 'node:fs'
import * as path from 'node:path'
import lockfile from 'proper-lockfile'
import { AuditrailError, errnoCode, ioError, unsafePathError } from './errors.js'
import { DEFAULT_FILE_MODE, DIRECTORY_MODE, NOFOLLOW_FLAGS, sleepSync } from './file-io.js'
import { withGetters } from './fast-object.js'

/** Options of {@link createFileLock}. */
export interface FileLockOptions {
  /**
   * A lock whose holder has not refreshed it for this long is taken over (its holder is presumed dead).
   * Default 10 000 ms; proper-lockfile's floor is 2 000. Shorter recovers faster from a killed writer,
   * but a synchronous critical section longer than a third of it ends the tenure early (see lock-tenure).
   */
  readonly staleMs?: number
  /** How long `acquire` waits for a lock held by someone else before throwing a `locked` error. Default 15 000 ms. */
  readonly timeoutMs?: number
}

/** A cross-process lock on one file (a `<file>.lock` directory, as proper-lockfile makes it). */
export interface FileLock {
  /**
   * Blocks until the lock is held or the timeout passes (then throws a `locked` AuditrailError).
   * Returns `'took-over'` when it replaced a dead holder's stale lock (that holder may have left a torn write),
   * else `'acquired'`; `'held'` when it was already held.
   */
  acquire(): 'acquired' | 'took-over' | 'held'
  /** Releases the lock if held. Throws a `locked` error if it was compromised while held. */
  release(): void
  /** True between `acquire` and `release`. */
  readonly held: boolean
  /** True when another writer has been waiting for the lock since `sinceMs` (wall-clock ms). */
  isWanted(sinceMs: number): boolean
  /** The error proper-lockfile reported when the lock was taken from us, if it was, since the last acquire. */
  readonly compromised: Error | undefined
}

/** A waiting writer polls at most this far apart, so a released lock is handed over quickly. */
const MAX_POLL_MS = 2
/**
 * Passed to proper-lockfile as its stale time, so that it never takes a lock over itself: its takeover removes
 * whatever lock is there by the time it acts, which lets two contenders in at once (its issue #121).
 */
const NEVER_STALE_MS = 2 ** 31

/**
 * The `fs` proper-lockfile works through (its `fs` option; its sync API calls the `…Sync` members): the lock
 * directory is made with mode 0700, and the lock is stat'ed and touched without following a symbolic link, so a
 * link swapped in for a held lock reads as a foreign mtime (a compromise) and its target is never touched.
 */
const lockFs = {
  ...fs,
  mkdirSync: (path: string, options?: fs.MakeDirectoryOptions) => fs.mkdirSync(path, { mode: DIRECTORY_MODE, ...options }),
  statSync: (path: string) => fs.lstatSync(path),
  utimesSync: (path: string, atime: Date, mtime: Date) => fs.lutimesSync(path, atime, mtime),
}

/** A lock directory as seen by one stat: its mtime, and what tells it from a later directory at the same path. */
interface LockSighting {
  readonly mtimeMs: number
  readonly identity: string
}

/** Looks at a lock directory without following a symbolic link; one planted there is refused (`unsafe`). */
function sight(lockPath: string, component: string): LockSighting | undefined {
  let stat: fs.BigIntStats
  try {
    stat = fs.lstatSync(lockPath, { bigint: true })
  } catch {
    // Gone: released or removed, nothing to take over.
    return undefined
  }
  if (stat.isSymbolicLink()) throw unsafePathError(component, lockPath)
  return { mtimeMs: Number(stat.mtimeMs), identity: `${stat.ino}:${stat.ctimeNs}` }
}

/**
 * Creates a lock on `file` with proper-lockfile's synchronous API, minding its sharp edges:
 * `lockSync` takes no retries, so this loops with a blocking sleep; `realpath: false` because the file may
 * not exist yet; `onCompromised` records the loss instead of throwing from a timer; and a stale lock is removed
 * by this module, one contender at a time and only if it is still the lock judged stale, because proper-lockfile's
 * own takeover can let two contenders in at once (its issue #121).
 * Waiting writers touch `<file>.lock-wanted` (created with `fileMode`), so a holder that keeps the lock across writes
 * can yield it. No path of the lock is followed if it is a symbolic link: one at `<file>.lock`, `<file>.lock-wanted`
 * or `<file>.lock-takeover` fails `acquire` with an `unsafe` error.
 */
export function createFileLock(file: string, component: string, options: FileLockOptions = {}, fileMode = DEFAULT_FILE_MODE): FileLock {
  const staleMs = options.staleMs ?? 10_000
  const timeoutMs = options.timeoutMs ?? 15_000
  const lockPath = `${file}.lock`
  const wantedPath = `${file}.lock-wanted`
  const takeoverPath = `${file}.lock-takeover`
  let release: (() => void) | undefined
  let compromised: Error | undefined
  // Each lockSync call gets its own compromise handler; only the current attempt's may report.
  let attempt = 0

  function signalWaiting(): void {
    const now = new Date()
    let fd: number
    try {
      fd = fs.openSync(wantedPath, NOFOLLOW_FLAGS.append, fileMode)
    } catch (error) {
      if (errnoCode(error) === 'ELOOP') throw unsafePathError(component, wantedPath, error)
      // Only a fairness hint: without it the holder releases at its idle or maximum hold time anyway.
      return
    }
    try {
      fs.futimesSync(fd, now, now)
    } catch {
      // As above: only a hint.
    }
    try {
      fs.closeSync(fd)
    } catch {
      // Nothing was written through it, so nothing can be lost.
    }
  }

  function tryLock(): boolean {
    const mine = ++attempt
    try {
      release = lockfile.lockSync(file, {
        realpath: false,
        fs: lockFs,
        stale: NEVER_STALE_MS,
        update: staleMs / 2,
        onCompromised: (error) => {
          if (mine === attempt) compromised = error
        },
      })
      return true
    } catch (error) {
      const code = errnoCode(error)
      if (code === 'ELOCKED') return false
      // ENOENT while our directory exists: a contender that had judged the previous, stale lock removed the lock we had
      // just made before proper-lockfile's mtime probe could touch it (proper-lockfile #121). A lost race: wait again.
      if (code === 'ENOENT' && fs.existsSync(path.dirname(lockPath))) return false
      throw ioError(component, 'take the lock', lockPath, error)
    }
  }

  /**
   * Takes the lock over from a dead holder: holding the `<file>.lock-takeover` directory, so one contender at a
   * time, removes the lock seen stale if it is still that very lock, then tries to take it. No contender can thus
   * remove a lock another has just made in its place.
   */
  function takeOver(seen: LockSighting): boolean {
    try {
      fs.mkdirSync(takeoverPath, { mode: DIRECTORY_MODE })
    } catch (error) {
      if (errnoCode(error) !== 'EEXIST') throw ioError(component, 'take over the stale lock', takeoverPath, error)
      // Another contender is at it. A guard older than the stale time was left by one killed in that instant.
      const guard = sight(takeoverPath, component)
      if (guard !== undefined && guard.mtimeMs < Date.now() - staleMs) removeQuietly(takeoverPath)
      return false
    }
    try {
      const now = sight(lockPath, component)
      if (now !== undefined && now.identity === seen.identity && now.mtimeMs < Date.now() - staleMs) removeQuietly(lockPath)
      return tryLock()
    } finally {
      removeQuietly(takeoverPath)
    }
  }

  const methods: Omit<FileLock, 'held' | 'compromised'> = {
    acquire() {
      if (release !== undefined) return 'held'
      compromised = undefined
      const deadline = Date.now() + timeoutMs
      let pause = 0.25
      let signalled: string | undefined
      for (;;) {
        const seen = sight(lockPath, component)
        const stale = seen !== undefined && seen.mtimeMs < Date.now() - staleMs
        // A lock just seen live is not tried: the attempt (mkdir, a stat, an ELOCKED error with its stack) would fail,
        // and with several writers waiting those attempts took CPU from the one holding the lock.
        if (stale ? takeOver(seen) : seen === undefined && tryLock()) {
          // Also after a dead holder: got in between another contender's removal of its lock and that contender's own try.
          return stale || fs.existsSync(takeoverPath) ? 'took-over' : 'acquired'
        }
        if (Date.now() >= deadline) {
          throw new AuditrailError('locked', `lock not obtained within ${timeoutMs} ms; another writer holds it`, { component, file: lockPath })
        }
        // Once per holder is enough: the holder only asks whether someone waited since its tenure began.
        if (seen?.identity !== signalled) {
          signalWaiting()
          signalled = seen?.identity
        }
        sleepSync(pause)
        pause = Math.min(pause * 2, MAX_POLL_MS)
      }
    },
    release() {
      const held = release
      if (held === undefined) return
      release = undefined
      try {
        held()
      } catch (error) {
        // ERELEASED/ENOENT here means the lock directory was taken from us; that is reported below.
        if (compromised === undefined) throw ioError(component, 'release the lock', lockPath, error)
      }
      if (compromised !== undefined) {
        throw new AuditrailError('locked', `lock was compromised while held: ${compromised.message}`, { component, file: lockPath, cause: compromised })
      }
    },
    isWanted(sinceMs) {
      // Asked about once a millisecond by a busy holder, and usually answered "no marker": without an ENOENT error to
      // build and throw each time, which cost a burst about 0.1 µs per event.
      try {
        const marker = fs.lstatSync(wantedPath, { throwIfNoEntry: false })
        return marker !== undefined && marker.mtimeMs >= sinceMs
      } catch {
        // Not readable (e.g. its directory removed meanwhile): as if nobody had waited.
        return false
      }
    },
  }
  return withGetters(methods, { held: () => release !== undefined, compromised: () => compromised })
}

function removeQuietly(directory: string): void {
  try {
    fs.rmdirSync(directory)
  } catch {
    // Already removed by the contender that raced us to it: the outcome we wanted.
  }
}
