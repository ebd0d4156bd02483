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
  /**
   * Decides each `writeSync` by its target path and length: `true` throws ENOSPC, a number writes only that many
   * bytes (a short write, as a filling disk gives), `false` writes normally. `undefined` removes the fault.
   */
  failWrites(when: ((path: string, length: number) => boolean | number) | undefined): void
}

/** A `node:fs` io that counts descriptors and can fail writes on demand: the sink's one fault seam. */
export function createFaultyIo(): FaultyIo {
  const openPaths = new Map<number, string>()
  const counts = { opens: 0, closes: 0, calls: 0 }
  let failWhen: ((path: string, length: number) => boolean | number) | undefined
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
      const fault = failWhen?.(openPaths.get(fd) ?? '', length) ?? false
      if (fault === true) {
        counts.calls++
        throw enospc()
      }
      return counted.writeSync(fd, buffer, offset, fault === false ? length : Math.min(fault, length), position)
    },
  }
}
