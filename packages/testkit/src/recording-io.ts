import * as fs from 'node:fs'
import { nodeFileIo, type FileIo } from '@auditrail/core'
import type { FileOp } from './faulty-io.js'

/** Fields every recorded entry has: where it sits among all calls of its {@link FileIo} method. */
interface CallInfo {
  /** The `FileIo` method called. */
  readonly method: FileOp
  /** 0-based ordinal of this call among all calls of `method` (failed ones included): `faulty.fail(method, code, { after: call })` targets it. */
  readonly call: number
}

/**
 * One file-system change a {@link RecordingIo} saw succeed, or a marker the test placed. `file` is a logical
 * identity of the file (like an inode): it follows renames, so durability can be reasoned about per file even
 * after its name changed. `path` is the file's name when the call was made; `undefined` for a descriptor whose
 * file had been renamed over or unlinked (its writes can no longer be seen under any name).
 */
export type RecordedOp =
  | (CallInfo & { readonly kind: 'open'; readonly path: string; readonly file: number; readonly fd: number; readonly flags: string | number; readonly created: boolean; readonly truncated: boolean })
  | (CallInfo & { readonly kind: 'write'; readonly path: string | undefined; readonly file: number; readonly position: number; readonly bytes: Buffer })
  | (CallInfo & { readonly kind: 'ftruncate'; readonly path: string | undefined; readonly file: number; readonly length: number })
  | (CallInfo & { readonly kind: 'fsync' | 'fdatasync'; readonly path: string | undefined; readonly file: number })
  | (CallInfo & { readonly kind: 'rename'; readonly from: string; readonly to: string; readonly file: number })
  | (CallInfo & { readonly kind: 'unlink'; readonly path: string })
  | (CallInfo & { readonly kind: 'mkdir'; readonly path: string; readonly created: string | undefined })
  | { readonly kind: 'mark'; readonly label: string; readonly value: number | undefined }

/** A {@link FileIo} that records every change it makes, in order, with enough to replay it by path. */
export interface RecordingIo extends FileIo {
  /** What happened so far: changes, sync points and markers, in call order. */
  readonly ops: readonly RecordedOp[]
  /** Places a marker between recorded changes, e.g. `mark('ack', i)` once the i-th write has returned. */
  mark(label: string, value?: number): void
  /** How many times each method was called (failed calls included), as `FaultyIo.calls` counts them. */
  readonly calls: Readonly<Partial<Record<FileOp, number>>>
}

const CREATE = fs.constants.O_CREAT
const TRUNCATE = fs.constants.O_TRUNC
const EXCLUSIVE = fs.constants.O_EXCL

function openIntent(flags: string | number): { creates: boolean; truncates: boolean; exclusive: boolean } {
  if (typeof flags === 'number') return { creates: (flags & CREATE) !== 0, truncates: (flags & TRUNCATE) !== 0, exclusive: (flags & EXCLUSIVE) !== 0 }
  return { creates: /[wa]/.test(flags), truncates: flags.startsWith('w'), exclusive: flags.includes('x') }
}

/**
 * Wraps `base` (default `node:fs`) and records each successful mutating call: open (with whether it created or
 * truncated the file), write (the bytes and the absolute position, also for `position: null`), ftruncate,
 * fsync/fdatasync, rename, unlink, mkdir. Reads and stats pass through unrecorded. Paths are recorded as given,
 * so give the sink absolute paths (sinks resolve theirs). Whether a non-exclusive creating open created the
 * file is checked on the real file system.
 */
export function createRecordingIo(base: FileIo = nodeFileIo): RecordingIo {
  const ops: RecordedOp[] = []
  const calls: Partial<Record<FileOp, number>> = {}
  // Logical files: the current name of each, and each name's file.
  const names = new Map<number, string>()
  const files = new Map<string, number>()
  const descriptors = new Map<number, { file: number; offset: number; append: boolean }>()
  let nextFile = 1

  function count(method: FileOp): CallInfo {
    const call = calls[method] ?? 0
    calls[method] = call + 1
    return { method, call }
  }

  function fileAt(path: string): number {
    let file = files.get(path)
    if (file === undefined) {
      file = nextFile++
      files.set(path, file)
      names.set(file, path)
    }
    return file
  }

  function forget(path: string): void {
    const file = files.get(path)
    if (file === undefined) return
    files.delete(path)
    names.delete(file)
  }

  function descriptor(fd: number): { file: number; offset: number; append: boolean } {
    const known = descriptors.get(fd)
    if (known === undefined) throw new Error(`recording io: descriptor ${fd} was not opened through it`)
    return known
  }

  return {
    ops,
    calls,
    mark(label, value) {
      ops.push({ kind: 'mark', label, value })
    },
    openSync(path, flags, mode) {
      const info = count('openSync')
      const intent = openIntent(flags)
      const existed = intent.exclusive ? false : intent.creates ? fs.existsSync(path) : true
      const fd = base.openSync(path, flags, mode)
      // A name created anew is a new file, even if an earlier file had that name and was unlinked outside this io.
      if (!existed) forget(path)
      const file = fileAt(path)
      descriptors.set(fd, { file, offset: 0, append: typeof flags === 'string' ? flags.startsWith('a') : (flags & fs.constants.O_APPEND) !== 0 })
      ops.push({ ...info, kind: 'open', path, file, fd, flags, created: !existed, truncated: existed && intent.truncates })
      return fd
    },
    closeSync(fd) {
      count('closeSync')
      base.closeSync(fd)
      descriptors.delete(fd)
    },
    readSync: (fd, buffer, offset, length, position) => {
      count('readSync')
      return base.readSync(fd, buffer, offset, length, position)
    },
    writeSync(fd, buffer, offset, length, position) {
      const info = count('writeSync')
      const d = descriptor(fd)
      const at = position ?? (d.append ? base.fstatSync(fd).size : d.offset)
      const written = base.writeSync(fd, buffer, offset, length, position)
      if (position === null) d.offset = at + written
      ops.push({ ...info, kind: 'write', path: names.get(d.file), file: d.file, position: at, bytes: Buffer.from(buffer.subarray(offset, offset + written)) })
      return written
    },
    fstatSync: (fd) => {
      count('fstatSync')
      return base.fstatSync(fd)
    },
    statSync: (path) => {
      count('statSync')
      return base.statSync(path)
    },
    lstatSync: (path) => {
      count('lstatSync')
      return base.lstatSync(path)
    },
    fsyncSync(fd) {
      const info = count('fsyncSync')
      base.fsyncSync(fd)
      const { file } = descriptor(fd)
      ops.push({ ...info, kind: 'fsync', path: names.get(file), file })
    },
    fdatasyncSync(fd) {
      const info = count('fdatasyncSync')
      base.fdatasyncSync(fd)
      const { file } = descriptor(fd)
      ops.push({ ...info, kind: 'fdatasync', path: names.get(file), file })
    },
    ftruncateSync(fd, length) {
      const info = count('ftruncateSync')
      base.ftruncateSync(fd, length)
      const { file } = descriptor(fd)
      ops.push({ ...info, kind: 'ftruncate', path: names.get(file), file, length })
    },
    renameSync(from, to) {
      const info = count('renameSync')
      base.renameSync(from, to)
      const file = fileAt(from)
      forget(from)
      forget(to)
      files.set(to, file)
      names.set(file, to)
      ops.push({ ...info, kind: 'rename', from, to, file })
    },
    unlinkSync(path) {
      const info = count('unlinkSync')
      base.unlinkSync(path)
      forget(path)
      ops.push({ ...info, kind: 'unlink', path })
    },
    mkdirSync(path, options) {
      const info = count('mkdirSync')
      const created = base.mkdirSync(path, options)
      ops.push({ ...info, kind: 'mkdir', path, created })
      return created
    },
    readdirSync: (path) => {
      count('readdirSync')
      return base.readdirSync(path)
    },
  }
}
