import * as fs from 'node:fs'
import { withGetters } from './fast-object.js'

/**
 * The file-system calls file sinks make: the one seam where tests inject crashes and errors.
 * Every member has the signature of its `node:fs` namesake.
 */
export interface FileIo {
  openSync(path: string, flags: string | number, mode?: number): number
  closeSync(fd: number): void
  readSync(fd: number, buffer: Uint8Array, offset: number, length: number, position: number | null): number
  writeSync(fd: number, buffer: Uint8Array, offset: number, length: number, position: number | null): number
  fstatSync(fd: number): fs.Stats
  statSync(path: string): fs.Stats
  /** Like `statSync`, but a symbolic link is described itself, never followed. */
  lstatSync(path: string): fs.Stats
  fsyncSync(fd: number): void
  fdatasyncSync(fd: number): void
  ftruncateSync(fd: number, length: number): void
  renameSync(from: string, to: string): void
  unlinkSync(path: string): void
  mkdirSync(path: string, options: { recursive: true; mode?: number }): string | undefined
  readdirSync(path: string): string[]
}

/** The default {@link FileIo}: `node:fs` itself. */
export const nodeFileIo: FileIo = {
  openSync: (path, flags, mode) => fs.openSync(path, flags, mode),
  closeSync: (fd) => fs.closeSync(fd),
  readSync: (fd, buffer, offset, length, position) => fs.readSync(fd, buffer, offset, length, position),
  writeSync: (fd, buffer, offset, length, position) => fs.writeSync(fd, buffer, offset, length, position),
  fstatSync: (fd) => fs.fstatSync(fd),
  statSync: (path) => fs.statSync(path),
  lstatSync: (path) => fs.lstatSync(path),
  fsyncSync: (fd) => fs.fsyncSync(fd),
  fdatasyncSync: (fd) => fs.fdatasyncSync(fd),
  ftruncateSync: (fd, length) => fs.ftruncateSync(fd, length),
  renameSync: (from, to) => fs.renameSync(from, to),
  unlinkSync: (path) => fs.unlinkSync(path),
  mkdirSync: (path, options) => fs.mkdirSync(path, options),
  readdirSync: (path) => fs.readdirSync(path),
}

/** Mode of the files a file sink creates unless told otherwise (`fileMode`): owner read and write only. */
export const DEFAULT_FILE_MODE = 0o600
/** Mode of the directories a file sink creates (the log directory, the lock directories): owner only. */
export const DIRECTORY_MODE = 0o700

const { O_RDONLY, O_RDWR, O_WRONLY, O_CREAT, O_EXCL, O_APPEND } = fs.constants
// Undefined on Windows, where creating a symbolic link takes privileges an attacker on the box rarely has.
const O_NOFOLLOW = fs.constants.O_NOFOLLOW ?? 0

/**
 * Numeric `open` flags for the log, its temporary files and the lock's side files, each with `O_NOFOLLOW`: an
 * open of a symbolic link fails with ELOOP (which `ioError` reports as an `unsafe` error) instead of following it.
 */
export const NOFOLLOW_FLAGS = {
  /** `'r'`: read only. */
  read: O_RDONLY | O_NOFOLLOW,
  /** `'r+'`: read and write an existing file. */
  update: O_RDWR | O_NOFOLLOW,
  /** `'wx'`: create a new file, failing if the name exists (`O_EXCL` never follows a link either). */
  create: O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW,
  /** `'a'`: append, creating the file if missing. */
  append: O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW,
} as const

const sleeper = new Int32Array(new SharedArrayBuffer(4))

/** Blocks the thread for `ms` milliseconds: the synchronous write path has no event loop turn to wait on. */
export function sleepSync(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms)
}

/** How many times a write that fails with EAGAIN is retried, with a growing blocking sleep. */
const EAGAIN_RETRIES = 10

/**
 * Writes all of `buffer` (its first `length` bytes) at `position` (or the current offset when `null`): loops on short
 * writes, retries EAGAIN a bounded number of times with a blocking sleep, as sonic-boom does.
 */
export function writeFully(io: FileIo, fd: number, buffer: Uint8Array, position: number | null, length = buffer.length): void {
  let offset = 0
  let retries = 0
  while (offset < length) {
    let written: number
    try {
      written = io.writeSync(fd, buffer, offset, length - offset, position === null ? null : position + offset)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EAGAIN' && retries < EAGAIN_RETRIES) {
        sleepSync(2 ** retries++)
        continue
      }
      throw error
    }
    if (written === 0) {
      // A regular file never accepts zero bytes for a non-empty write; looping would spin for ever.
      if (retries >= EAGAIN_RETRIES) throw Object.assign(new Error('EIO: write made no progress'), { code: 'EIO' })
      sleepSync(2 ** retries++)
    }
    offset += written
  }
}

/** A reusable buffer that text is UTF-8 encoded into, for the one write of each event (see {@link createEncodeBuffer}). */
export interface EncodeBuffer {
  /** Encodes `text` at byte `at` (default 0), growing the buffer if needed; returns the offset after the text. */
  encode(text: string, at?: number): number
  /** The buffer, valid until the next `encode` (which may replace it with a larger one). */
  readonly bytes: Buffer
}

/**
 * Creates an {@link EncodeBuffer}. `Buffer.from(text)` or a concatenation plus `Buffer#write` and a `subarray` view
 * cost 0.1–0.15 µs more per event than `TextEncoder#encodeInto` into a kept buffer.
 */
export function createEncodeBuffer(initialBytes = 64 * 1024): EncodeBuffer {
  const encoder = new TextEncoder()
  let bytes = Buffer.allocUnsafe(initialBytes)
  // The view from the offset used last (callers use one): making one per call would cost what this saves.
  let viewAt = 0
  let view: Uint8Array = bytes
  const buffer = {
    encode(text: string, at = 0): number {
      // UTF-8 takes at most 3 bytes per UTF-16 code unit.
      if (at + text.length * 3 > bytes.length) {
        bytes = Buffer.allocUnsafe(Math.max(at + text.length * 3, bytes.length * 2))
        viewAt = -1
      }
      if (at !== viewAt) {
        view = bytes.subarray(at)
        viewAt = at
      }
      return at + encoder.encodeInto(text, view).written
    },
  }
  return withGetters(buffer, { bytes: () => bytes })
}

/** Reads up to `length` bytes at `position`, looping on short reads; the result is shorter only at end of file. */
export function readAt(io: FileIo, fd: number, position: number, length: number): Buffer {
  const buffer = Buffer.allocUnsafe(length)
  return buffer.subarray(0, readInto(io, fd, buffer, 0, length, position))
}

/**
 * Reads up to `length` bytes at `position` into `buffer` at `offset`, looping on short reads; returns how many were read
 * (fewer only at end of file). For readers that reuse one buffer.
 */
export function readInto(io: FileIo, fd: number, buffer: Buffer, offset: number, length: number, position: number): number {
  let done = 0
  while (done < length) {
    const read = io.readSync(fd, buffer, offset + done, length - done, position + done)
    if (read === 0) break
    done += read
  }
  return done
}

/**
 * `lstatSync` that returns `undefined` for a missing path instead of throwing. A symbolic link, dangling or not, is
 * returned as itself (so it is never taken for a missing file); the `O_NOFOLLOW` open that follows refuses it.
 */
export function statIfExists(io: FileIo, path: string): fs.Stats | undefined {
  try {
    return io.lstatSync(path)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}
