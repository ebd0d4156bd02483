import * as fs from 'node:fs'
import * as path from 'node:path'
import lockfile from 'proper-lockfile'
import { AuditrailError, errnoCode, ioError } from './errors.js'
import { sleepSync } from './file-io.js'

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

/** After taking over a stale lock, wait this long and check that no second contender replaced it (proper-lockfile #121). */
const TAKEOVER_SETTLE_MS = 25
/** A waiting writer polls at most this far apart, so a released lock is handed over quickly. */
const MAX_POLL_MS = 2

function lockIdentity(lockPath: string): string | undefined {
  try {
    const stat = fs.statSync(lockPath, { bigint: true })
    return `${stat.ino}:${stat.ctimeNs}`
  } catch {
    // Gone: someone released or removed it, which the caller treats as "not ours".
    return undefined
  }
}

/**
 * Creates a lock on `file` with proper-lockfile's synchronous API, minding its sharp edges:
 * `lockSync` takes no retries, so this loops with a blocking sleep; `realpath: false` because the file may
 * not exist yet; `onCompromised` records the loss instead of throwing from a timer; and a stale takeover
 * is confirmed after a pause, because two contenders can both "take over" the same stale lock.
 * Waiting writers touch `<file>.lock-wanted`, so a holder that keeps the lock across writes can yield it.
 */
export function createFileLock(file: string, component: string, options: FileLockOptions = {}): FileLock {
  const staleMs = options.staleMs ?? 10_000
  const timeoutMs = options.timeoutMs ?? 15_000
  const lockPath = `${file}.lock`
  const wantedPath = `${file}.lock-wanted`
  let release: (() => void) | undefined
  let compromised: Error | undefined
  // Each lockSync call gets its own compromise handler; only the current attempt's may report.
  let attempt = 0

  function signalWaiting(): void {
    const now = new Date()
    try {
      fs.utimesSync(wantedPath, now, now)
    } catch {
      try {
        fs.closeSync(fs.openSync(wantedPath, 'a'))
      } catch {
        // Only a fairness hint: without it the holder releases at its idle or maximum hold time anyway.
      }
    }
  }

  function tryLock(): boolean {
    const mine = ++attempt
    try {
      release = lockfile.lockSync(file, {
        realpath: false,
        stale: staleMs,
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

  return {
    get held() {
      return release !== undefined
    },
    get compromised() {
      return compromised
    },
    acquire() {
      if (release !== undefined) return 'held'
      compromised = undefined
      const deadline = Date.now() + timeoutMs
      let pause = 0.25
      for (;;) {
        let seenMtimeMs: number | undefined
        try {
          seenMtimeMs = fs.statSync(lockPath).mtimeMs
        } catch {
          // No lock directory: nothing to take over.
        }
        if (tryLock()) {
          // Judged once we are in: lockSync judges staleness again a moment after our stat, so a lock still fresh at
          // our stat may have turned stale and been taken over inside it.
          const stale = seenMtimeMs !== undefined && seenMtimeMs < Date.now() - staleMs
          if (!stale) return 'acquired'
          const mine = lockIdentity(lockPath)
          sleepSync(TAKEOVER_SETTLE_MS)
          if (mine !== undefined && lockIdentity(lockPath) === mine) return 'took-over'
          // Another contender removed our fresh lock as stale and made its own: it is theirs now. Do not
          // call our release, which would remove their lock; proper-lockfile's timer drops our stale entry.
          release = undefined
          attempt++
          continue
        }
        if (Date.now() >= deadline) {
          throw new AuditrailError('locked', `lock not obtained within ${timeoutMs} ms; another writer holds it`, { component, file: lockPath })
        }
        signalWaiting()
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
      try {
        return fs.statSync(wantedPath).mtimeMs >= sinceMs
      } catch {
        // No marker: nobody has waited yet.
        return false
      }
    },
  }
}
