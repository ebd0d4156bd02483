import { emitAuditrailWarning } from './errors.js'
import { createFileLock, type FileLock, type FileLockOptions } from './file-lock.js'
import { DEFAULT_FILE_MODE, sleepSync } from './file-io.js'
import { withGetters } from './fast-object.js'

/** How long a writer keeps the cross-process lock between writes. */
export interface HoldOptions {
  /**
   * Keep the lock at least this long after the last write (and at most twice this), so that a writer logging once per
   * event-loop turn (a gRPC server) does not pay a lock round trip per event. Default 5 ms. `0`: release on the next
   * turn. Another writer waits at most about twice this long after this one falls idle.
   */
  readonly idleMs?: number
  /** While another writer is waiting, release after holding this long. Default 50 ms. */
  readonly maxMs?: number
  /**
   * With nobody waiting, keep the lock through quiet spells of up to this long, looking every `idleMs` for a waiting
   * writer and yielding to one at once. Default 0: released after `idleMs` to twice that of quiet. A long-running
   * server whose writes pause whenever a shared machine deschedules its clients (the gRPC proxy) sets it, so those
   * pauses do not each cost a release and a retake (the release's rmdir blocks the thread for over a millisecond on
   * some file systems). The trade-off: a writer killed in such a spell leaves a lock the next one waits `staleMs` for.
   */
  readonly quietMs?: number
}

/** Options of {@link createLockTenure}. */
export interface LockTenureOptions extends FileLockOptions {
  readonly hold?: HoldOptions
}

/** What a file sink does when a tenure starts and ends. */
export interface TenureHooks {
  /** Called with the lock just taken: re-read the file (another writer may have changed it). May throw. */
  begin(tookOver: boolean): void
  /** Called before the lock is released: leave the file tidy (clean header). Must not throw. */
  end(): void
}

/** Holding a file's cross-process lock across a burst of writes. */
export interface LockTenure {
  /** Takes the lock (beginning a tenure) unless held. Throws a `locked` error on timeout or after a compromise. */
  enter(): void
  /** Call after each use (write or read snapshot): schedules the release, and ends the tenure now if it has lasted too long. */
  used(): void
  /** Ends the tenure now, if one is running. A lock found compromised is reported as a process warning. */
  end(): void
  readonly held: boolean
  /** True when another writer has waited for the lock during this tenure (one stat of the waiters' marker). */
  othersWaiting(): boolean
}

/** How many uses `used()` may go without reading the clock (see createLockTenure). */
const CLOCK_EVERY = 16

// The tenure holding each file in this process: a second writer on the same file in the same thread must
// end it before waiting for the lock, since a blocked thread never runs the first one's release timer.
const holders = new Map<string, LockTenure>()

// One exit listener for all tenures: a process that exits without close() still leaves its files tidy.
const active = new Set<LockTenure>()
let exitHooked = false
function track(tenure: LockTenure): void {
  active.add(tenure)
  if (exitHooked) return
  exitHooked = true
  process.once('exit', () => {
    for (const t of active) t.end()
  })
}

/**
 * A lock tenure over `file`: the lock is taken on the first write of a burst and kept while this writer keeps
 * writing — released after `hold.idleMs` of quiet (or up to `hold.quietMs` of it, while nobody waits), after
 * `hold.maxMs` when another writer waits, and at the
 * latest after a third of the stale time within one synchronous stretch (proper-lockfile cannot refresh the
 * lock while the thread is blocked, so a longer stretch would let a second writer take it over).
 * `fileMode` is the mode of the lock's marker file (see {@link createFileLock}).
 */
export function createLockTenure(
  file: string,
  component: string,
  hooks: TenureHooks,
  options: LockTenureOptions = {},
  fileMode = DEFAULT_FILE_MODE,
): LockTenure {
  const lock: FileLock = createFileLock(file, component, options, fileMode)
  const idleMs = options.hold?.idleMs ?? 5
  const maxMs = options.hold?.maxMs ?? 50
  const quietMs = options.hold?.quietMs ?? 0
  const hardMs = (options.staleMs ?? 10_000) / 3
  let since = 0
  let lastWantedCheck = 0
  let timer: NodeJS.Timeout | undefined
  let yieldedAt = 0
  // Reading the clock costs about 45 ns (1% of an event in a burst): `used()` reads it only every CLOCK_EVERY uses, or
  // at the first use after the idle timer ran (so at least every idleMs while writes keep coming).
  let uses = 0
  let usedSinceArm = false
  let clockDue = true
  // Whole idle periods without a use, in a row (counted instead of timed: `used()` reads no clock for them).
  let quietPeriods = 0

  function armIdleTimer(): void {
    usedSinceArm = false
    timer = setTimeout(() => {
      timer = undefined
      clockDue = true
      // Used again since armed: re-arm, so the lock goes after between idleMs and twice that of quiet.
      if (usedSinceArm && idleMs > 0) {
        quietPeriods = 0
        armIdleTimer()
      } else if (++quietPeriods * idleMs < quietMs && lock.compromised === undefined && !lock.isWanted(since)) {
        armIdleTimer()
      } else {
        release(false)
      }
    }, idleMs)
    timer.unref()
  }

  function release(yielding: boolean): void {
    if (timer !== undefined) clearTimeout(timer)
    timer = undefined
    if (!lock.held) return
    hooks.end()
    active.delete(tenure)
    if (holders.get(file) === tenure) holders.delete(file)
    if (yielding) yieldedAt = Date.now()
    try {
      lock.release()
    } catch (error) {
      // Thrown only when the lock was taken from us while held (a stale takeover, or its directory removed).
      // The events written were persisted, so the caller is not failed; the loss of exclusivity is reported,
      // and the next tenure re-reads the file from scratch.
      emitAuditrailWarning('AUDITRAIL_LOCK_COMPROMISED', error)
    }
  }

  const methods: Omit<LockTenure, 'held'> = {
    enter() {
      if (lock.held) return
      // Just yielded to a waiting writer: give it a moment to take the lock before competing again.
      const wait = yieldedAt + 2 - Date.now()
      if (wait > 0) sleepSync(wait)
      const other = holders.get(file)
      if (other !== undefined && other !== tenure) other.end()
      const outcome = lock.acquire()
      holders.set(file, tenure)
      since = Date.now()
      lastWantedCheck = since
      uses = 0
      clockDue = false
      quietPeriods = 0
      track(tenure)
      try {
        hooks.begin(outcome === 'took-over')
      } catch (error) {
        release(false)
        throw error
      }
    },
    used() {
      if (timer === undefined) armIdleTimer()
      else usedSinceArm = true
      if (lock.compromised !== undefined) {
        release(true)
        return
      }
      if (++uses < CLOCK_EVERY && !clockDue) return
      uses = 0
      clockDue = false
      const now = Date.now()
      let contended = false
      if (now - lastWantedCheck >= 1) {
        lastWantedCheck = now
        contended = now - since >= maxMs && lock.isWanted(since)
      }
      if (contended || now - since >= hardMs) release(true)
    },
    end() {
      release(false)
    },
    othersWaiting() {
      return lock.held && lock.isWanted(since)
    },
  }
  const tenure: LockTenure = withGetters(methods, { held: () => lock.held })
  return tenure
}
