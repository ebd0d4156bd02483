import * as path from 'node:path'
import {
  AuditrailError,
  createFileLock,
  ioError,
  nodeFileIo,
  readAt,
  statIfExists,
  writeFully,
  type AuditEvent,
  type AuditSink,
  type FileIo,
  type FileLockOptions,
  type ReadOptions,
  removeStaleTemps,
  replaceFile,
} from '@auditrail/core'
import { parseForeignLog, parseLine } from './json-decode.js'
import { HEADER_END, LAYOUT_TAIL, decodeHeader, encodeChunk, encodeHeader, encodePrefix, gapFor, isGapByte } from './json-layout.js'
import { readLines } from './line-reader.js'
import { recoverGap } from './json-recovery.js'


const COMPONENT = 'sink-json'

/** The file name the spec gives the JSON log inside `rootLogDir`. */
export const JSON_LOG_FILE = 'audit_log.json'

/** Options of {@link createJsonSink}. */
export interface JsonSinkOptions {
  /** Directory of the log; the file is `<rootLogDir>/audit_log.json`. Created (recursively) at the first event. */
  readonly rootLogDir: string
  /**
   * `'process'` (default): a returned write survives a crash of this process (it is in the OS page cache).
   * `'fsync'`: it also survives power loss: data is fdatasync'ed, and renames are made durable by fsync
   * of the directory. Costs a disk flush per event.
   */
  readonly durability?: 'process' | 'fsync'
  /** Cross-process lock timing. */
  readonly lock?: FileLockOptions
  /** File-system calls, for fault injection in tests. Default `node:fs`. */
  readonly io?: FileIo
}

/** What the sink knows of the file while it holds the lock. */
type FileState =
  | { readonly kind: 'missing' }
  | { readonly kind: 'foreign'; readonly lines: readonly string[] }
  | { readonly kind: 'ours'; readonly fd: number; readonly size: number; readonly gapEnd: number; readonly empty: boolean }

/** A JSON sink: {@link AuditSink} plus where it writes. */
export interface JsonSink extends AuditSink {
  readonly path: string
  read(options?: ReadOptions): Iterable<AuditEvent>
}

function validate(options: JsonSinkOptions): void {
  const fail = (field: string, message: string): never => {
    throw new AuditrailError('options', `${field}: ${message}`, { component: COMPONENT, field })
  }
  if (typeof options !== 'object' || options === null) fail('options', 'expected an object')
  if (typeof options.rootLogDir !== 'string' || options.rootLogDir.length === 0) fail('rootLogDir', 'expected a non-empty string')
  if (options.durability !== undefined && options.durability !== 'process' && options.durability !== 'fsync') {
    fail('durability', `expected "process" | "fsync", got ${JSON.stringify(options.durability)}`)
  }
}

/**
 * Creates the JSON sink: `<rootLogDir>/audit_log.json`, a valid newest-first JSON array at every instant,
 * appended in O(event size), shared safely by several processes through a lock next to it.
 * An existing file in another layout (e.g. the Python original's indent-2 array) is continued: at the first
 * event it is rewritten atomically into this layout with every earlier event kept, in order.
 * An existing file that is not a JSON array of events throws a `corrupt` error here and is never modified.
 */
export function createJsonSink(options: JsonSinkOptions): JsonSink {
  validate(options)
  const io = options.io ?? nodeFileIo
  const fsync = options.durability === 'fsync'
  const file = path.resolve(options.rootLogDir, JSON_LOG_FILE)
  const lock = createFileLock(file, COMPONENT, options.lock)
  let fd: number | undefined
  let ino: number | undefined
  let closed = false
  let directoryMade = false

  const fail = (action: string, error: unknown): AuditrailError => ioError(COMPONENT, action, file, error)

  function closeFd(): void {
    if (fd === undefined) return
    const old = fd
    fd = undefined
    ino = undefined
    try {
      io.closeSync(old)
    } catch {
      // Closing a descriptor we only read or wrote through cannot lose data; a failure here is not actionable.
    }
  }

  /** Reads the file's current state. Under the lock it may repair a crashed writer's torn gap. */
  function inspect(repair: boolean): FileState {
    const stat = statIfExists(io, file)
    if (stat === undefined) {
      closeFd()
      return { kind: 'missing' }
    }
    if (fd === undefined || stat.ino !== ino) {
      closeFd()
      fd = io.openSync(file, repair ? 'r+' : 'r')
      ino = io.fstatSync(fd).ino
      if (repair) removeStaleTemps(io, file)
    }
    const size = io.fstatSync(fd).size
    const header = decodeHeader(readAt(io, fd, 0, HEADER_END))
    if (header === undefined) return { kind: 'foreign', lines: parseForeignLog(io, fd, size, file) }
    let gapEnd = header.gapEnd
    if (header.dirty && repair) gapEnd = recoverGap(io, fd, header.gapEnd, file, fsync)
    const tail = readAt(io, fd, size - LAYOUT_TAIL.length, LAYOUT_TAIL.length).toString('latin1')
    const around = readAt(io, fd, gapEnd - 1, 3)
    // Unrepaired (read-only open of a crashed writer's file), the byte before the recorded gap end may be the end
    // of an event that writer finished: recovery under the lock keeps it, so it is no sign of damage here.
    const unrepaired = header.dirty && !repair
    if (
      tail !== LAYOUT_TAIL ||
      gapEnd < HEADER_END ||
      gapEnd + LAYOUT_TAIL.length > size ||
      (!unrepaired && !isGapByte(around[0])) ||
      around[1] !== 0x0a ||
      (around[2] !== 0x7b && around[2] !== 0x5d)
    ) {
      throw new AuditrailError('corrupt', 'not a valid auditrail JSON log (header, gap or closing bracket damaged); left untouched', {
        component: COMPONENT,
        file,
      })
    }
    return { kind: 'ours', fd, size, gapEnd, empty: around[2] === 0x5d }
  }

  /** Writes a whole new file (prefix, the new chunk, then `body`) and renames it over the log. */
  function rewrite(chunk: Buffer, bodyBytes: number, writeBody: (tempFd: number, at: number) => void): void {
    const prefix = encodePrefix(gapFor(bodyBytes + chunk.length, chunk.length) - chunk.length)
    replaceFile(io, file, fsync, (tempFd) => {
      writeFully(io, tempFd, prefix, 0)
      writeFully(io, tempFd, chunk, prefix.length)
      writeBody(tempFd, prefix.length + chunk.length)
    })
    closeFd()
  }

  function append(state: FileState, line: string): void {
    if (state.kind === 'missing') {
      io.mkdirSync(path.dirname(file), { recursive: true })
      rewrite(encodeChunk(line, true), LAYOUT_TAIL.length, (tempFd, at) => writeFully(io, tempFd, Buffer.from(LAYOUT_TAIL), at))
      return
    }
    if (state.kind === 'foreign') {
      const body = Buffer.from(state.lines.length === 0 ? LAYOUT_TAIL : `\n${state.lines.join(',\n')}${LAYOUT_TAIL}`)
      rewrite(encodeChunk(line, state.lines.length === 0), body.length, (tempFd, at) => writeFully(io, tempFd, body, at))
      return
    }
    const chunk = encodeChunk(line, state.empty)
    const at = state.gapEnd - chunk.length
    if (at < HEADER_END) {
      const bodyBytes = state.size - state.gapEnd
      rewrite(chunk, bodyBytes, (tempFd, to) => copyRange(io, state.fd, state.gapEnd, bodyBytes, tempFd, to))
      return
    }
    // Dirty first: if we die between here and the clean header, the next writer knows to repair the gap.
    writeFully(io, state.fd, encodeHeader({ gapEnd: state.gapEnd, dirty: true }), 1)
    if (fsync) io.fdatasyncSync(state.fd)
    try {
      writeFully(io, state.fd, chunk, at)
    } catch (error) {
      undoChunk(state.fd, at, state.gapEnd)
      throw error
    }
    writeFully(io, state.fd, encodeHeader({ gapEnd: at, dirty: false }), 1)
    if (fsync) io.fdatasyncSync(state.fd)
  }

  /** After a failed (maybe short) chunk write: blanks what landed in the gap, so the file stays valid JSON. */
  function undoChunk(chunkFd: number, at: number, gapEnd: number): void {
    try {
      writeFully(io, chunkFd, Buffer.alloc(gapEnd - at, 0x20), at)
      writeFully(io, chunkFd, encodeHeader({ gapEnd, dirty: false }), 1)
    } catch {
      // The chunk's own error is the one to report. The header is still dirty, so the next writer's recovery
      // blanks whatever part of the chunk landed.
    }
  }

  function ensureOpen(): void {
    if (closed) throw new AuditrailError('closed', 'use after close', { component: COMPONENT, file })
  }

  // Fail early, before the first event, on a file we could never continue. Read-only: no lock needed.
  if (statIfExists(io, file) !== undefined) {
    try {
      inspect(false)
    } finally {
      closeFd()
    }
  }

  return {
    name: COMPONENT,
    path: file,
    write(event) {
      ensureOpen()
      const line = JSON.stringify(event)
      if (!directoryMade) {
        // The lock lives next to the file, so the directory must exist before the lock is taken.
        try {
          io.mkdirSync(path.dirname(file), { recursive: true })
        } catch (error) {
          throw fail('create the log directory', error)
        }
        directoryMade = true
      }
      lock.acquire()
      try {
        append(inspect(true), line)
      } catch (error) {
        closeFd()
        throw error instanceof AuditrailError ? error : fail('append', error)
      } finally {
        lock.release()
      }
    },
    read(readOptions = {}) {
      // Checked here, not inside the generator, so that `read()` after `close()` throws at the call.
      ensureOpen()
      return readEvents(readOptions)
    },
    close() {
      if (closed) return
      closed = true
      closeFd()
      lock.release()
    },
  }

  /** The body of `read`: takes the lock only to snapshot the file, then streams from its own descriptor. */
  function* readEvents(readOptions: ReadOptions): Generator<AuditEvent> {
    ensureOpen()
    const order = readOptions.order ?? 'newest-first'
    let snapshot: { readFd: number; start: number; end: number } | undefined
    let foreign: readonly string[] | undefined
    // No directory, no log (and no place for the lock): reading must not create it.
    if (statIfExists(io, path.dirname(file)) === undefined) return
    lock.acquire()
    try {
      const state = inspect(true)
      if (state.kind === 'foreign') foreign = state.lines
      else if (state.kind === 'ours') {
        // Our own descriptor: bytes after the gap never change in place, and a rewrite renames a new
        // inode over the path, so this snapshot stays consistent after the lock is released.
        snapshot = { readFd: io.openSync(file, 'r'), start: state.gapEnd + 1, end: state.size - LAYOUT_TAIL.length }
      }
    } catch (error) {
      closeFd()
      throw error instanceof AuditrailError ? error : fail('read', error)
    } finally {
      lock.release()
    }
    if (foreign !== undefined) {
      const lines = order === 'newest-first' ? foreign : [...foreign].reverse()
      for (const [i, text] of lines.entries()) yield parseLine(text, file, `event ${i + 1}`)
      return
    }
    if (snapshot === undefined) return
    try {
      for (const { text, offset } of readLines(io, snapshot.readFd, snapshot.start, snapshot.end, order)) {
        yield parseLine(text.endsWith(',') ? text.slice(0, -1) : text, file, `byte ${offset}`)
      }
    } finally {
      io.closeSync(snapshot.readFd)
    }
  }
}

/** Copies `length` bytes from one descriptor to another in bounded blocks. */
function copyRange(io: FileIo, from: number, start: number, length: number, to: number, at: number): void {
  const BLOCK = 1 << 20
  for (let done = 0; done < length; ) {
    const block = readAt(io, from, start + done, Math.min(BLOCK, length - done))
    if (block.length === 0) throw new Error('file shrank during rewrite')
    writeFully(io, to, block, at + done)
    done += block.length
  }
}
