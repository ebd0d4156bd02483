import { nodeFileIo, type FileIo } from '@auditrail/core'

/** The names of the calls a {@link FileIo} makes. */
export type FileOp = keyof FileIo

/** A {@link FileIo} that can be told to fail: the project's one seam for injected errors. */
export interface FaultyIo extends FileIo {
  /** Makes calls of `op` fail with errno `code`: skip `after` calls (default 0), then fail `times` calls (default ∞). */
  fail(op: FileOp, code: string, options?: { readonly after?: number; readonly times?: number }): void
  /** Makes `writeSync` write at most `maxBytes` per call (short writes); `undefined` restores full writes. */
  shortWrites(maxBytes: number | undefined): void
  /** Removes every pending fault and short-write limit. */
  clear(): void
  /** How many times each call was made. */
  readonly calls: Readonly<Partial<Record<FileOp, number>>>
}

interface Fault {
  readonly code: string
  skip: number
  remaining: number
}

/** Wraps `base` (default `node:fs`) so tests can inject errno failures and short writes into any call. */
export function createFaultyIo(base: FileIo = nodeFileIo): FaultyIo {
  const faults = new Map<FileOp, Fault>()
  const calls: Partial<Record<FileOp, number>> = {}
  let maxWrite: number | undefined

  function check(op: FileOp): void {
    calls[op] = (calls[op] ?? 0) + 1
    const fault = faults.get(op)
    if (fault === undefined) return
    if (fault.skip > 0) {
      fault.skip--
      return
    }
    if (--fault.remaining <= 0) faults.delete(op)
    throw Object.assign(new Error(`${fault.code}: injected fault, ${op}`), { code: fault.code, syscall: op })
  }

  const wrap = <K extends FileOp>(op: K): FileIo[K] =>
    ((...args: unknown[]) => {
      check(op)
      return (base[op] as (...a: unknown[]) => unknown)(...args)
    }) as FileIo[K]

  return {
    openSync: wrap('openSync'),
    closeSync: wrap('closeSync'),
    readSync: wrap('readSync'),
    writeSync: (fd, buffer, offset, length, position) => {
      check('writeSync')
      return base.writeSync(fd, buffer, offset, maxWrite === undefined ? length : Math.min(length, maxWrite), position)
    },
    fstatSync: wrap('fstatSync'),
    statSync: wrap('statSync'),
    lstatSync: wrap('lstatSync'),
    fsyncSync: wrap('fsyncSync'),
    fdatasyncSync: wrap('fdatasyncSync'),
    ftruncateSync: wrap('ftruncateSync'),
    renameSync: wrap('renameSync'),
    unlinkSync: wrap('unlinkSync'),
    mkdirSync: wrap('mkdirSync'),
    readdirSync: wrap('readdirSync'),
    fail(op, code, options = {}) {
      faults.set(op, { code, skip: options.after ?? 0, remaining: options.times ?? Number.POSITIVE_INFINITY })
    },
    shortWrites(maxBytes) {
      maxWrite = maxBytes
    },
    clear() {
      faults.clear()
      maxWrite = undefined
    },
    calls,
  }
}
