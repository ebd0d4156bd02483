import {
  type AuditEvent,
  AuditrailError,
  DEFAULT_FILE_MODE,
  NOFOLLOW_FLAGS,
  readAt,
  removeStaleTemps,
  statIfExists,
  syncFile,
  withGetters,
  writeFully,
  type FileIo,
  type LogFileHandler,
} from '@auditrail/core'
import { parseForeignLog, parseLine } from './json-decode.js'
import { HEADER_END, LAYOUT_TAIL, chunkBuffer, decodeHeader, encodeChunk, encodeChunkInPlace, encodeHeader, isGapByte } from './json-layout.js'
import { recoverGap } from './json-recovery.js'
import { copyRange } from './gap-file.js'
import { rewriteJsonLog } from './json-rewrite.js'
import type { Regrower } from './regrow-job.js'

const COMPONENT = 'sink-json'
const TIMESTAMP_PREFIX = /^\{"timestamp":"([^"\\]{1,40})"/

/** What is known of the file while the lock is held. */
type FileState =
  | { readonly kind: 'missing' }
  | { readonly kind: 'foreign'; readonly lines: readonly string[] }
  | { readonly kind: 'ours'; readonly fd: number; size: number; gapEnd: number; empty: boolean }

type OursState = Extract<FileState, { kind: 'ours' }>

/**
 * A consistent view for reading, valid after the lock is released (see `snapshot`): our layout's range of event lines
 * (empty when `start > end`), or a file in another layout, read whole.
 */
export type JsonSnapshot =
  | { readonly kind: 'file'; readonly fd: number; readonly size: number }
  | { readonly kind: 'range'; readonly fd: number; readonly start: number; readonly end: number }

/** The JSON log file as one writer sees it while holding the lock: load, append, tidy, snapshot. */
export interface JsonLogFile extends LogFileHandler {
  /** Re-reads the file: after taking the lock, or read-only (`repair: false`) to validate it early. A dirty header, not a
   * stale lock, tells this layout that a writer died mid-write, so `tookOver` is not needed. */
  load(repair: boolean, tookOver?: boolean): void
  /** The newest stored event's timestamp, if any. */
  readonly newest: string | undefined
  /** The newest stored event, decoded on first use in a tenure (the hash chain continues from it). */
  newestEvent(): AuditEvent | undefined
  /** Appends one compact event line (`event` serialized) as the newest event. */
  append(line: string, event: AuditEvent): void
  /** Before releasing the lock: records the gap end in a clean header. Never throws. */
  tidy(): void
  /** Makes every write so far durable: fdatasync of the file, and fsync of the directory after a rename. */
  sync(): void
  /** After a failed append: forgets what it knew, so the next tenure re-reads the file. */
  forget(): void
  /** The stored events for reading: its own descriptor on the current inode. */
  snapshot(): JsonSnapshot | undefined
  close(): void
}

/**
 * Creates the file handler for `file`; every call must be made while holding the file's lock (except `load(false)`).
 * Files it creates get `fileMode`; it opens the log with `O_NOFOLLOW`, so a symbolic link there fails with ELOOP.
 * With a `regrower`, a large log's gap is regrown before it runs out, off the writer's path (see `createRegrower`).
 */
export function createJsonLogFile(io: FileIo, file: string, fsync: boolean, fileMode = DEFAULT_FILE_MODE, regrower?: Regrower): JsonLogFile {
  let state: FileState | undefined
  let fd: number | undefined
  let ino: number | undefined
  let newest: string | undefined
  // The newest event itself: `null` until someone asks, in this tenure (decoding it costs a parse per tenure).
  let newestEvent: AuditEvent | undefined | null = null
  let dirty = false
  let renamed = false
  // Set once sync() is used: this writer promises durability at sync points, so tidying must keep order too.
  let grouped = false
  // Where this writer left the file (at the end of its last tenure, or as it found it when opened): another file or
  // gap end at its next tenure means another writer wrote meanwhile (background regrowth then stands aside).
  let left: string | undefined
  const viewOf = (current: FileState): string | undefined =>
    current.kind === 'missing' ? 'missing' : current.kind === 'ours' && ino !== undefined ? `${ino}:${current.gapEnd}` : undefined

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

  function corrupt(): AuditrailError {
    return new AuditrailError('corrupt', 'not a valid auditrail JSON log (header, gap or closing bracket damaged); left untouched', {
      component: COMPONENT,
      file,
    })
  }

  function newestLine(current: FileState, whole: boolean): string | undefined {
    if (current.kind === 'missing') return undefined
    return current.kind === 'foreign' ? current.lines[0] : current.empty ? undefined : lineAt(current.fd, current.gapEnd + 1, whole)
  }

  function readNewest(current: FileState): string | undefined {
    const first = newestLine(current, false)
    if (first === undefined) return undefined
    const match = TIMESTAMP_PREFIX.exec(first)
    if (match !== null) return match[1]
    const value = JSON.parse(first.endsWith(',') ? first.slice(0, -1) : first) as { timestamp?: unknown }
    return typeof value.timestamp === 'string' ? value.timestamp : undefined
  }

  /**
   * The line starting at `start`, read in growing blocks; unless `whole`, only as far as needed to read the timestamp
   * (our own lines start with it).
   */
  function lineAt(lineFd: number, start: number, whole = false): string {
    for (let length = 128; ; length *= 4) {
      const block = readAt(io, lineFd, start, length)
      const end = block.indexOf(0x0a)
      if (end !== -1) return block.toString('utf8', 0, end)
      if (!whole && TIMESTAMP_PREFIX.test(block.toString('utf8'))) return block.toString('utf8')
      if (block.length < length) return block.toString('utf8')
    }
  }

  function inspect(repair: boolean): FileState {
    const stat = statIfExists(io, file)
    if (stat === undefined) {
      closeFd()
      return { kind: 'missing' }
    }
    if (fd === undefined || stat.ino !== ino) {
      closeFd()
      fd = io.openSync(file, repair ? NOFOLLOW_FLAGS.update : NOFOLLOW_FLAGS.read)
      ino = io.fstatSync(fd).ino
      if (repair) removeStaleTemps(io, file)
    }
    const size = io.fstatSync(fd).size
    const header = decodeHeader(readAt(io, fd, 0, HEADER_END))
    if (header === undefined) return { kind: 'foreign', lines: parseForeignLog(io, fd, size, file) }
    let gapEnd = header.gapEnd
    if (header.dirty && repair) gapEnd = recoverGap(io, fd, header.gapEnd, file, fsync)
    const tail = readAt(io, fd, size - LAYOUT_TAIL.length, LAYOUT_TAIL.length).toString('latin1')
    if (tail !== LAYOUT_TAIL || gapEnd < HEADER_END || gapEnd + LAYOUT_TAIL.length > size) throw corrupt()
    // Without the lock (early validation), a live writer may be changing the gap and header while we look: only
    // what never changes in place is checked. The gap is checked under the lock.
    if (!repair) return { kind: 'ours', fd, size, gapEnd, empty: false }
    const around = readAt(io, fd, gapEnd - 1, 3)
    if (
      !isGapByte(around[0]) ||
      around[1] !== 0x0a ||
      (around[2] !== 0x7b && around[2] !== 0x5d)
    ) {
      throw corrupt()
    }
    return { kind: 'ours', fd, size, gapEnd, empty: around[2] === 0x5d }
  }

  /** Writes a whole new file (prefix, the new chunk, then `body`) and renames it over the log. */
  function rewrite(chunk: Buffer, bodyBytes: number, writeBody: (tempFd: number, at: number) => void): void {
    // A background copy of the file replaced here would be of no use.
    regrower?.cancel()
    rewriteJsonLog({ io, file, fsync, fileMode }, chunk, bodyBytes, writeBody)
    regrower?.replaced()
    replaced()
  }

  /** After a rename over the log: the next read opens the new inode, clean, and the directory needs syncing. */
  function replaced(): void {
    state = undefined
    dirty = false
    renamed = true
    closeFd()
  }

  /**
   * Finishes a background regrowth when its copy is done, or (`needed`: the gap is full) once it is: the log is then
   * the new file, re-read here. Returns the state to append to.
   */
  function finishRegrowth(current: OursState, needed: boolean): OursState {
    if (regrower?.busy !== true || ino === undefined) return current
    // The old file's header may be dirty from this tenure: the new file's own header is clean, and it replaces it whole.
    if (!regrower.finish(current, ino, needed)) return current
    replaced()
    const fresh = inspect(true)
    state = fresh
    // Our own file, just renamed under the lock: anything else means someone outside the lock protocol replaced it.
    if (fresh.kind !== 'ours') throw corrupt()
    return fresh
  }

  /** Writes the chunk encoded in place (its first `length` bytes of `chunkBuffer()`) into the end of the gap. */
  function appendInGap(current: OursState, length: number): void {
    const at = current.gapEnd - length
    if (!dirty) {
      // Dirty first: if we die before the clean header, the next writer knows to repair the gap.
      writeFully(io, current.fd, encodeHeader({ gapEnd: current.gapEnd, dirty: true }), 1)
      if (fsync) io.fdatasyncSync(current.fd)
      dirty = true
    }
    try {
      writeFully(io, current.fd, chunkBuffer(), at, length)
      if (fsync) io.fdatasyncSync(current.fd)
    } catch (error) {
      undoChunk(current.fd, at, current.gapEnd)
      throw error
    }
    current.gapEnd = at
    current.empty = false
  }

  /** After a failed (maybe short) chunk write: blanks what landed in the gap, so the file stays valid JSON. */
  function undoChunk(chunkFd: number, at: number, gapEnd: number): void {
    try {
      writeFully(io, chunkFd, Buffer.alloc(gapEnd - at, 0x20), at)
      // As in recovery: the blanking reaches the disk before the clean header, or a power cut could keep only the header.
      if (fsync) io.fdatasyncSync(chunkFd)
      writeFully(io, chunkFd, encodeHeader({ gapEnd, dirty: false }), 1)
      dirty = false
    } catch {
      // The chunk's own error is the one to report. The header is still dirty, so the next writer's recovery
      // blanks whatever part of the chunk landed.
    }
  }

  const methods: Omit<JsonLogFile, 'newest'> = {
    newestEvent() {
      if (newestEvent === null) {
        const line = newestLine(state ?? inspect(true), true)
        newestEvent = line === undefined ? undefined : parseLine(line.endsWith(',') ? line.slice(0, -1) : line, file, 'the newest event')
      }
      return newestEvent
    },
    load(repair) {
      newestEvent = null
      dirty = false
      state = inspect(repair)
      if (regrower !== undefined) {
        const view = viewOf(state)
        if (!repair) left = view
        else if (left !== undefined && view !== left) regrower.shared()
      }
      // Read-only validation may meet a crashed writer's unrepaired head; the newest is only needed to write.
      newest = repair ? readNewest(state) : undefined
    },
    append(line, event) {
      const current = state ?? inspect(true)
      if (current.kind === 'missing') {
        rewrite(encodeChunk(line, true), LAYOUT_TAIL.length, (tempFd, at) => writeFully(io, tempFd, Buffer.from(LAYOUT_TAIL), at))
      } else if (current.kind === 'foreign') {
        const body = Buffer.from(current.lines.length === 0 ? LAYOUT_TAIL : `\n${current.lines.join(',\n')}${LAYOUT_TAIL}`)
        rewrite(encodeChunk(line, current.lines.length === 0), body.length, (tempFd, at) => writeFully(io, tempFd, body, at))
      } else {
        const length = encodeChunkInPlace(line, current.empty)
        const target = finishRegrowth(current, current.gapEnd - length < HEADER_END)
        if (target.gapEnd - length >= HEADER_END) {
          appendInGap(target, length)
          if (regrower !== undefined && ino !== undefined) regrower.appended(target, ino)
        } else {
          const bodyBytes = target.size - target.gapEnd
          rewrite(chunkBuffer().subarray(0, length), bodyBytes, (tempFd, to) => copyRange(io, target.fd, target.gapEnd, bodyBytes, tempFd, to))
        }
      }
      newest = event.timestamp
      newestEvent = event
      // After a rewrite the file is a new inode; read its fresh, clean state within this same tenure.
      if (state === undefined) {
        try {
          state = inspect(true)
        } catch {
          // The rename committed the event: this append succeeded and must not be reported as failed. The next
          // append re-reads the file, and reports the failure if it persists.
        }
      }
    },
    sync() {
      grouped = true
      syncFile(io, file, fd, renamed)
      renamed = false
    },
    tidy() {
      if (state?.kind !== 'ours') return
      tidyHeader(state)
      if (regrower !== undefined) left = viewOf(state)
    },
    forget() {
      regrower?.cancel()
      state = undefined
      newestEvent = null
      dirty = false
      closeFd()
    },
    snapshot() {
      const current = state ?? inspect(true)
      state = current
      if (current.kind === 'missing') return undefined
      // Our own descriptor: bytes after the gap never change in place, and a rewrite renames a new inode over
      // the path, so this range stays consistent after the lock is released.
      const snapshotFd = io.openSync(file, NOFOLLOW_FLAGS.read)
      if (current.kind === 'foreign') return { kind: 'file', fd: snapshotFd, size: io.fstatSync(snapshotFd).size }
      return { kind: 'range', fd: snapshotFd, start: current.gapEnd + 1, end: current.size - LAYOUT_TAIL.length }
    },
    close() {
      regrower?.close()
      state = undefined
      closeFd()
    },
  }
  return withGetters(methods, { newest: () => newest })

  function tidyHeader(current: Extract<FileState, { kind: 'ours' }>): void {
    if (!dirty) return
    try {
      // A clean header must never reach the disk before the events it covers: with group commit (sync() used) a
      // power cut could otherwise keep the header and lose a chunk, leaving torn bytes nobody repairs.
      if (grouped && !fsync) io.fdatasyncSync(current.fd)
      writeFully(io, current.fd, encodeHeader({ gapEnd: current.gapEnd, dirty: false }), 1)
      if (fsync) io.fdatasyncSync(current.fd)
      dirty = false
    } catch {
      // Every event is already complete in the file; a header left dirty only makes the next writer scan the gap.
    }
  }
}
