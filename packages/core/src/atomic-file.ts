import { randomBytes } from 'node:crypto'
import * as path from 'node:path'
import { NOFOLLOW_FLAGS, type FileIo } from './file-io.js'

const TEMP_SUFFIX = /^\.\d+\.[0-9a-f]{8}\.tmp$/

/** A temporary file that will replace its target: written through `fd`, then committed (renamed over it) or abandoned. */
export interface Replacement {
  readonly fd: number
  /** Closes the temporary file (fsync'ed first with `fsync`) and renames it over the target; on failure, abandons it. */
  commit(): void
  /** Closes and removes the temporary file; the target is as it was. Never throws. */
  abandon(): void
}

/**
 * Starts replacing `file` atomically, for a writer that fills the temporary file over several turns (from an async
 * source); {@link replaceFile} is the same in one call. The temporary file gets `mode` (less the umask) and is created
 * with `O_EXCL | O_NOFOLLOW`: a name planted in advance, a symbolic link included, fails the open (EEXIST).
 */
export function openReplacement(io: FileIo, file: string, fsync: boolean, mode = 0o644): Replacement {
  const temp = tempPathFor(file)
  const fd = io.openSync(temp, NOFOLLOW_FLAGS.create, mode)
  let open = true
  const abandon = (): void => {
    if (open) io.closeSync(fd)
    open = false
    unlinkQuietly(io, temp)
  }
  return {
    fd,
    commit() {
      try {
        if (fsync) io.fsyncSync(fd)
        open = false
        io.closeSync(fd)
        io.renameSync(temp, file)
      } catch (error) {
        abandon()
        throw error
      }
      if (fsync) fsyncDirectory(io, path.dirname(file))
    },
    abandon() {
      try {
        abandon()
      } catch {
        // Closing a descriptor being abandoned cannot lose anything that was meant to be kept.
      }
    },
  }
}

/**
 * Replaces `file` atomically: `fill` writes a temporary file in the same directory, which is then renamed
 * over `file` (with `fsync`: the temp file is fsync'ed first and the directory after). On failure the
 * temporary file is removed and `file` is as it was. The temporary file, and so the new `file`, gets `mode` (less the
 * umask; file sinks pass their `fileMode`), created as {@link openReplacement} creates it.
 */
export function replaceFile(io: FileIo, file: string, fsync: boolean, fill: (fd: number) => void, mode = 0o644): void {
  const replacement = openReplacement(io, file, fsync, mode)
  try {
    fill(replacement.fd)
  } catch (error) {
    replacement.abandon()
    throw error
  }
  replacement.commit()
}

/** A fresh name for a temporary file that will replace `file`: in its directory, named so `removeStaleTemps` finds it. */
export function tempPathFor(file: string): string {
  return `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
}

/** Makes a rename in `directory` durable. */
export function fsyncDirectory(io: FileIo, directory: string): void {
  const fd = io.openSync(directory, 'r')
  try {
    io.fsyncSync(fd)
  } finally {
    io.closeSync(fd)
  }
}

/**
 * Removes temporary files left by a rewrite that a crash interrupted. Call only while holding the lock. `unlink`
 * removes a symbolic link itself, never its target, so a link planted under a temporary name is just removed.
 */
export function removeStaleTemps(io: FileIo, file: string): void {
  const base = path.basename(file)
  for (const name of io.readdirSync(path.dirname(file))) {
    if (name.startsWith(base) && TEMP_SUFFIX.test(name.slice(base.length))) unlinkQuietly(io, path.join(path.dirname(file), name))
  }
}

function unlinkQuietly(io: FileIo, file: string): void {
  try {
    io.unlinkSync(file)
  } catch {
    // Already gone is fine; any other failure leaves a stray temp file, which the next writer removes.
  }
}

/**
 * Makes what was written to `file` durable: fdatasync through `fd` (or a descriptor opened for it: fdatasync
 * flushes the inode, whichever descriptor asks), then fsync of its directory when it was created or renamed.
 */
export function syncFile(io: FileIo, file: string, fd: number | undefined, directoryToo: boolean): void {
  if (fd !== undefined) io.fdatasyncSync(fd)
  else {
    let own: number
    try {
      own = io.openSync(file, NOFOLLOW_FLAGS.read)
    } catch (error) {
      // No file yet: nothing was written, so nothing needs to be made durable.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return
      throw error
    }
    try {
      io.fdatasyncSync(own)
    } finally {
      io.closeSync(own)
    }
  }
  if (directoryToo) fsyncDirectory(io, path.dirname(file))
}
