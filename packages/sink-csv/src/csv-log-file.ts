import { AuditrailError, DEFAULT_FILE_MODE, NOFOLLOW_FLAGS, createEncodeBuffer, readAt, removeStaleTemps, replaceFile, statIfExists, syncFile, withGetters, writeFully, type AuditEvent, type FileIo, type LogFileHandler } from '@auditrail/core'
import { columnsFor, coversColumns, encodeHeader, EXPECTED_HEADER, readHeader, unionColumns, type CsvColumns } from './csv-columns.js'
import { encodeRow } from './csv-row.js'
import { parseDataRows } from './csv-rows.js'
import { lastBoundaryForward, lastRecordStart } from './csv-scan.js'
import { widenRows } from './csv-widen.js'

const COMPONENT = 'sink-csv'

/** A consistent view for reading: bytes `[start, end)` of the file's current inode, through its own descriptor. */
export interface CsvSnapshot {
  readonly fd: number
  readonly start: number
  readonly end: number
  /** The columns of the file's header, which every row has. */
  readonly columns: CsvColumns
}

/** The CSV log file as one writer sees it while holding the lock. */
export interface CsvLogFile extends LogFileHandler {
  /**
   * Re-reads the file after taking the lock (`repair: true`; `suspect` when a dead writer's lock was taken over),
   * repairing a torn last row; or read-only (`repair: false`) to validate it early.
   */
  load(repair: boolean, suspect: boolean): void
  /** The newest stored event's timestamp, if any. */
  readonly newest: string | undefined
  /** The newest stored event (the last row), for the hash chain; throws when that row does not decode. */
  newestEvent(): AuditEvent | undefined
  /**
   * Appends one event as the last row; when the header lacks a column the event needs (`actor`, `seq,hash`), first
   * rewrites the file with it (every row given an empty cell there), in the one atomic rename that adds the row.
   */
  append(event: AuditEvent): void
  /** Makes every write so far durable: fdatasync of the file, and fsync of the directory after a rename. */
  sync(): void
  /** After a failed append: forgets what it knew, so the next tenure re-reads the file. */
  forget(): void
  /** The stored rows for reading (`undefined` when there is no file). */
  snapshot(): CsvSnapshot | undefined
  close(): void
}

type Ours = {
  readonly kind: 'ours'
  readonly fd: number
  readonly ino: number
  size: number
  readonly dataStart: number
  readonly delimiter: '\r\n' | '\n'
  readonly columns: CsvColumns
}
type State = { readonly kind: 'missing' } | Ours

/**
 * Creates the handler of a CSV log; calls other than `load(false)` must be made holding the file's lock. Files it
 * creates get `fileMode`; it opens the log with `O_NOFOLLOW`, so a symbolic link there fails with ELOOP.
 */
export function createCsvLogFile(io: FileIo, file: string, fsync: boolean, fileMode = DEFAULT_FILE_MODE): CsvLogFile {
  let state: State | undefined
  let newest: string | undefined
  // The last row's event: `null` until known (or when it did not decode and no one has asked yet).
  let head: AuditEvent | undefined | null = null
  let renamed = false
  // What we last knew to end at a record boundary, so a later tenure checks only what others appended.
  let known = { ino: -1, size: 0 }
  // Each row is encoded into this kept buffer: no Buffer allocated per event.
  const rowBuffer = createEncodeBuffer()

  const corrupt = (message: string): AuditrailError =>
    new AuditrailError('corrupt', `${message}; the file is left untouched`, { component: COMPONENT, file })

  function closeFd(): void {
    if (state?.kind !== 'ours') return
    const { fd } = state
    state = undefined
    try {
      io.closeSync(fd)
    } catch {
      // Closing a descriptor cannot lose data written through it; nothing to do about a failure here.
    }
  }

  /** Decodes the row starting at `start` up to `end`, or `undefined` if it is not one whole valid event. */
  function rowAt(fd: number, columns: CsvColumns, start: number, end: number): AuditEvent | undefined {
    try {
      const events = parseDataRows(readAt(io, fd, start, end - start).toString('utf8'), columns, file, () => `row at byte ${start}`)
      return events.length === 1 ? events[0] : undefined
    } catch {
      // Not a whole valid row: exactly what the caller asks.
      return undefined
    }
  }

  /**
   * Brings a torn tail back to a record boundary: a last row cut short by a crash was never acknowledged.
   * It is kept (the in-flight event) only when provably whole: torn between the CR and LF of its CRLF line
   * break, the rest a valid event; the LF is then added. Anything else is cut off. A tail with no line break
   * at all cannot be told from a row cut inside an unquoted last cell (`…,failed,,Checkpoint` of
   * `…,failed,,Checkpoint file not found`), which would parse as an event nobody logged.
   */
  function repairTail(current: Ours): void {
    const boundary = lastBoundaryForward(io, current.fd, current.dataStart, current.size)
    if (boundary === current.size) return
    // A CR outside quotes is only ever written as the first byte of a CRLF line break, after the whole row.
    const endsInCr = current.delimiter === '\r\n' && readAt(io, current.fd, current.size - 1, 1)[0] === 0x0d
    const whole = endsInCr && rowAt(current.fd, current.columns, boundary, current.size - 1) !== undefined
    if (whole) writeFully(io, current.fd, Buffer.from('\n'), current.size)
    else io.ftruncateSync(current.fd, boundary)
    if (fsync) io.fdatasyncSync(current.fd)
    current.size = whole ? current.size + 1 : boundary
  }

  /**
   * Writes the file anew, by rename: a new file (header and first row appear together, so no reader ever sees a file
   * without its header), or an upgrade of `old`, whose header lacks a column `event` needs — the only moment a
   * header changes: the wider header, every row with an empty cell added for each new column and otherwise byte
   * for byte, its line breaks kept, then the new row. Done holding the lock, like every write.
   */
  function rewrite(old: Ours | undefined, event: AuditEvent): void {
    const columns = old === undefined ? columnsFor(event) : unionColumns(old.columns, columnsFor(event))
    const delimiter = old?.delimiter ?? '\r\n'
    const row = encodeRow(event, columns, delimiter)
    replaceFile(io, file, fsync, (fd) => {
      let at = 0
      const put = (bytes: Buffer): void => {
        writeFully(io, fd, bytes, at)
        at += bytes.length
      }
      if (old === undefined) put(Buffer.from(encodeHeader(columns, delimiter) + row))
      else {
        put(Buffer.from(encodeHeader(columns, delimiter)))
        widenRows(io, old.fd, { start: old.dataStart, end: old.size }, old.columns, columns, put, (message) => corrupt(message))
        put(Buffer.from(row))
      }
      // Even in 'process' durability: renamed unsynced, the file could after a power cut be empty or cut short,
      // which no writer continues (no header), and an upgrade would lose the rows it copied. Once per file or upgrade.
      if (!fsync) io.fdatasyncSync(fd)
    }, fileMode)
    renamed = true
    closeFd()
    state = undefined
    try {
      state = inspect(true, false)
    } catch {
      // The rename committed the event: this append succeeded and must not be reported as failed. The next
      // append re-reads the file, and reports the failure if it persists.
    }
  }

  function inspect(repair: boolean, suspect: boolean): State {
    const stat = statIfExists(io, file)
    if (stat === undefined) return { kind: 'missing' }
    const fd = io.openSync(file, repair ? NOFOLLOW_FLAGS.update : NOFOLLOW_FLAGS.read)
    try {
      const { ino, size } = io.fstatSync(fd)
      const header = readHeader(io, fd)
      if (header === undefined) throw corrupt(`line 1: expected the header ${EXPECTED_HEADER}`)
      const current: Ours = { kind: 'ours', fd, ino, size, dataStart: header.length, delimiter: header.delimiter, columns: header.columns }
      if (!repair) return current
      removeStaleTemps(io, file)
      const unchanged = ino === known.ino && size === known.size
      if (!unchanged) {
        const from = ino === known.ino && size > known.size ? known.size : current.dataStart
        const endsClean = readAt(io, fd, size - 1, 1)[0] === 0x0a
        // A row torn inside a quoted cell can end right after a line break of that cell: check quote parity
        // over what is new (whole file on first sight only when the cheap checks fail or a writer died).
        const lastStart = endsClean ? lastRecordStart(io, fd, current.dataStart, size) : -1
        const lastValid = lastStart === size || (lastStart !== -1 && rowAt(fd, current.columns, lastStart, size) !== undefined)
        // Under power loss (the fsync mode's model) no stale lock need survive to warn us: check new files whole.
        const firstSight = ino !== known.ino
        if (suspect || (fsync && firstSight) || !endsClean || !lastValid || (from !== current.dataStart && lastBoundaryForward(io, fd, from, size) !== size)) {
          repairTail(current)
        }
      }
      known = { ino, size: current.size }
      return current
    } catch (error) {
      io.closeSync(fd)
      throw error
    }
  }

  /** The last row's event: `undefined` for no rows; one that does not decode is `null`, or with `strict` throws. */
  function lastEvent(current: State, strict: boolean): AuditEvent | undefined | null {
    if (current.kind === 'missing' || current.size <= current.dataStart) return undefined
    const start = lastRecordStart(io, current.fd, current.dataStart, current.size)
    if (!strict) return rowAt(current.fd, current.columns, start, current.size) ?? null
    const text = readAt(io, current.fd, start, current.size - start).toString('utf8')
    return parseDataRows(text, current.columns, file, () => `the newest row (byte ${start})`)[0]
  }

  const methods: Omit<CsvLogFile, 'newest'> = {
    newestEvent() {
      state ??= inspect(true, false)
      if (head === null) head = lastEvent(state, true) ?? undefined
      return head
    },
    load(repair, suspect) {
      closeFd()
      state = inspect(repair, suspect)
      head = repair ? lastEvent(state, false) : null
      newest = head?.timestamp
      if (!repair) closeFd()
    },
    append(event) {
      const current = state ?? inspect(true, false)
      state = current
      if (current.kind === 'missing') rewrite(undefined, event)
      else if (!coversColumns(current.columns, columnsFor(event))) rewrite(current, event)
      else {
        const length = rowBuffer.encode(encodeRow(event, current.columns, current.delimiter))
        try {
          writeFully(io, current.fd, rowBuffer.bytes, current.size, length)
          if (fsync) io.fdatasyncSync(current.fd)
        } catch (error) {
          // Take back a partial row (a short write before ENOSPC), so the file still ends at a record boundary.
          try {
            io.ftruncateSync(current.fd, current.size)
          } catch {
            // The write's own error is the one to report; the next tenure re-reads and repairs the tail.
          }
          throw error
        }
        current.size += length
        known = { ino: current.ino, size: current.size }
      }
      newest = event.timestamp
      head = event
    },
    sync() {
      syncFile(io, file, state?.kind === 'ours' ? state.fd : undefined, renamed)
      renamed = false
    },
    forget() {
      closeFd()
      head = null
      known = { ino: -1, size: 0 }
    },
    snapshot() {
      const current = state ?? inspect(true, false)
      state = current
      if (current.kind === 'missing') return undefined
      // Rows are only ever appended after `size`, so this range stays consistent after the lock is released.
      return { fd: io.openSync(file, NOFOLLOW_FLAGS.read), start: current.dataStart, end: current.size, columns: current.columns }
    },
    tidy() {
      // Nothing to tidy: a CSV file holds no state beyond its rows.
    },
    close() {
      closeFd()
    },
  }
  return withGetters(methods, { newest: () => newest })
}
