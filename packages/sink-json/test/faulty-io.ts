import { nodeFileIo, type FileIo } from '@auditrail/core'

/** The error a full disk gives. */
export function enospc(): NodeJS.ErrnoException {
  return Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' })
}

/** Which descriptor a path was opened as, so that faults can target one file. */
export interface FaultyIo extends FileIo {
  /** Paths of the descriptors currently open through this io. */
  readonly openPaths: Map<number, string>
  /** Every `openSync` and `closeSync` made. */
  readonly counts: { opens: number; closes: number; calls: number }
  /** Makes `writeSync` throw ENOSPC while `when` returns true for the write's target path. */
  failWrites(when: ((path: string, length: number) => boolean) | undefined): void
}

/** A `node:fs` io that counts descriptors and can fail writes on demand: the sink's one fault seam. */
export function createFaultyIo(): FaultyIo {
  const openPaths = new Map<number, string>()
  const counts = { opens: 0, closes: 0, calls: 0 }
  let failWhen: ((path: string, length: number) => boolean) | undefined
  const counted = Object.fromEntries(
    Object.entries(nodeFileIo).map(([name, fn]) => [
      name,
      (...args: unknown[]) => {
        counts.calls++
        return (fn as (...a: unknown[]) => unknown)(...args)
      },
    ]),
  ) as unknown as FileIo
  return {
    ...counted,
    openPaths,
    counts,
    failWrites(when) {
      failWhen = when
    },
    openSync(path, flags, mode) {
      const fd = counted.openSync(path, flags, mode)
      counts.opens++
      openPaths.set(fd, path)
      return fd
    },
    closeSync(fd) {
      counted.closeSync(fd)
      counts.closes++
      openPaths.delete(fd)
    },
    writeSync(fd, buffer, offset, length, position) {
      if (failWhen?.(openPaths.get(fd) ?? '', length) === true) {
        counts.calls++
        throw enospc()
      }
      return counted.writeSync(fd, buffer, offset, length, position)
    },
  }
}
