import lockfile from 'proper-lockfile'
import { AuditrailError, errnoCode, ioError } from './errors.js'
import { sleepSync } from './file-io.js'

/** Options of {@link createFileLock}. */
export interface FileLockOptions {
  /**
   * A lock whose holder has not refreshed it for this long is taken over (its holder is presumed dead).
   * Default 10 000 ms; proper-lockfile's floor is 2 000. Shorter recovers faster from a killed writer,
   * but a synchronous critical section longer than this would let a second writer in.
   */
  readonly staleMs?: number
  /** How long `acquire` waits for a lock held by someone else before throwing a `locked` error. Default 15 000 ms. */
  readonly timeoutMs?: number
}

/** A cross-process lock on one file (a `<file>.lock` directory, as proper-lockfile makes it). */
export interface FileLock {
  /** Blocks until the lock is held or the timeout passes (then throws a `locked` AuditrailError). */
  acquire(): void
  /** Releases the lock if held. Throws an `io` error if it was compromised while held. */
  release(): void
  /** True between `acquire` and `release`. */
  readonly held: boolean
}

/**
 * Creates a lock on `file` with proper-lockfile's synchronous API, minding its sharp edges:
 * `lockSync` takes no retries, so this loops with a blocking sleep; `realpath: false` because the
 * file may not exist yet; and `onCompromised` records the loss instead of throwing from a timer.
 */
export function createFileLock(file: string, component: string, options: FileLockOptions = {}): FileLock {
  const staleMs = options.staleMs ?? 10_000
  const timeoutMs = options.timeoutMs ?? 15_000
  const lockPath = `${file}.lock`
  let release: (() => void) | undefined
  let compromised: Error | undefined

  return {
    get held() {
      return release !== undefined
    },
    acquire() {
      if (release !== undefined) return
      const deadline = Date.now() + timeoutMs
      let pause = 1
      for (;;) {
        try {
          compromised = undefined
          release = lockfile.lockSync(file, {
            realpath: false,
            stale: staleMs,
            onCompromised: (error) => {
              compromised = error
            },
          })
          return
        } catch (error) {
          if (errnoCode(error) !== 'ELOCKED') throw ioError(component, 'take the lock', lockPath, error)
          if (Date.now() >= deadline) {
            throw new AuditrailError('locked', `lock not obtained within ${timeoutMs} ms; another writer holds it`, {
              component,
              file: lockPath,
              cause: error,
            })
          }
          sleepSync(pause)
          pause = Math.min(pause * 2, 50)
        }
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
        throw new AuditrailError('locked', `lock was compromised while held: ${compromised.message}`, {
          component,
          file: lockPath,
          cause: compromised,
        })
      }
    },
  }
}

