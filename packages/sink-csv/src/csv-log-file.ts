import { AuditrailError, readAt, removeStaleTemps, replaceFile, statIfExists, syncFile, writeFully, type AuditEvent, type FileIo, type LogFileHandler } from '@auditrail/core'
import { CSV_COLUMNS, encodeHeader, encodeRow, parseDataRows } from './csv-row.js'
import { lastBoundaryForward, lastRecordStart } from './csv-scan.js'

const COMPONENT = 'sink-csv'
const HEADER_CRLF = encodeHeader('\r\n')
const HEADER_LF = encodeHeader('\n')

/** A consistent view for reading: bytes `[start, end)` of the file's current inode, through its own descriptor. */
export interface CsvSnapshot {
  readonly fd: number
  readonly start: number
  readonly end: number
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
  /** Appends one event as the last row. */
  append(event: AuditEvent): void
  /** Makes every write so far durable: fdatasync of the file, and fsync of the directory after a rename. */
  sync(): void
  /** After a failed append: forgets what it knew, so the next tenure re-reads the file. */
  forget(): void
  /** The stored rows for reading (`undefined` when there is no file). */
  snapshot(): CsvSnapshot | undefined
  close(): void
}

type State = { readonly kind: 'missing' } | { readonly kind: 'ours'; readonly fd: number; readonly ino: number; size: number; readonly dataStart: number; readonly delimiter: string }

/** Creates the handler of a CSV log; calls other than `load(false)` must be made holding the file's lock. */
export function createCsvLogFile(io: FileIo, file: string, fsync: boolean): CsvLogFile {
  let state: State | undefined
  let newest: string | undefined
  let renamed = false
  // What we last knew to end at a record boundary, so a later tenure checks only what others appended.
  let known = { ino: -1, size: 0 }

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
  function rowAt(fd: number, start: number, end: number): AuditEvent | undefined {
    try {
      const events = parseDataRows(readAt(io, fd, start, end - start).toString('utf8'), file, () => `row at byte ${start}`)
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
  function repairTail(current: Extract<State, { kind: 'ours' }>): void {
    const boundary = lastBoundaryForward(io, current.fd, current.dataStart, current.size)
    if (boundary === current.size) return
    // A CR outside quotes is only ever written as the first byte of a CRLF line break, after the whole row.
    const endsInCr = current.delimiter === '\r\n' && readAt(io, current.fd, current.size - 1, 1)[0] === 0x0d
    const whole = endsInCr && rowAt(current.fd, boundary, current.size - 1) !== undefined
    if (whole) writeFully(io, current.fd, Buffer.from('\n'), current.size)
    else io.ftruncateSync(current.fd, boundary)
    if (fsync) io.fdatasyncSync(current.fd)
    current.size = whole ? current.size + 1 : boundary
  }

  function inspect(repair: boolean, suspect: boolean): State {
    const stat = statIfExists(io, file)
    if (stat === undefined) return { kind: 'missing' }
    const fd = io.openSync(file, repair ? 'r+' : 'r')
    try {
      const { ino, size } = io.fstatSync(fd)
      const head = readAt(io, fd, 0, HEADER_CRLF.length).toString('utf8')
      const delimiter = head === HEADER_CRLF ? '\r\n' : head.startsWith(HEADER_LF) ? '\n' : undefined
      if (delimiter === undefined) throw corrupt(`line 1: expected the header ${CSV_COLUMNS.join(',')}`)
      const current = { kind: 'ours' as const, fd, ino, size, dataStart: encodeHeader(delimiter).length, delimiter }
      if (!repair) return current
      removeStaleTemps(io, file)
      const unchanged = ino === known.ino && size === known.size
      if (!unchanged) {
        const from = ino === known.ino && size > known.size ? known.size : current.dataStart
        const endsClean = readAt(io, fd, size - 1, 1)[0] === 0x0a
        // A row torn inside a quoted cell can end right after a line break of that cell: check quote parity
        // over what is new (whole file on first sight only when the cheap checks fail or a writer died).
        const lastStart = endsClean ? lastRecordStart(io, fd, current.dataStart, size) : -1
        const lastValid = lastStart === size || (lastStart !== -1 && rowAt(fd, lastStart, size) !== undefined)
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

  function readNewest(current: State): string | undefined {
    if (current.kind === 'missing' || current.size <= current.dataStart) return undefined
    const start = lastRecordStart(io, current.fd, current.dataStart, current.size)
    return rowAt(current.fd, start, current.size)?.timestamp
  }

  return {
    get newest() {
      return newest
    },
    load(repair, suspect) {
      closeFd()
      state = inspect(repair, suspect)
      newest = repair ? readNewest(state) : undefined
      if (!repair) closeFd()
    },
    append(event) {
      const current = state ?? inspect(true, false)
      state = current
      if (current.kind === 'missing') {
        // Header and first row appear together, by rename: no reader ever sees a file without its header.
        replaceFile(io, file, fsync, (fd) => {
          writeFully(io, fd, Buffer.from(HEADER_CRLF + encodeRow(event, '\r\n')), 0)
          // Even in 'process' durability: renamed unsynced, the file could after a power cut be empty or cut short,
          // which no writer continues (no header). Once per log file.
          if (!fsync) io.fdatasyncSync(fd)
        })
        renamed = true
        state = undefined
        try {
          state = inspect(true, false)
        } catch {
          // The rename committed the event: this append succeeded and must not be reported as failed. The next
          // append re-reads the file, and reports the failure if it persists.
        }
      } else {
        const row = Buffer.from(encodeRow(event, current.delimiter))
        try {
          writeFully(io, current.fd, row, current.size)
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
        current.size += row.length
        known = { ino: current.ino, size: current.size }
      }
      newest = event.timestamp
    },
    sync() {
      syncFile(io, file, state?.kind === 'ours' ? state.fd : undefined, renamed)
      renamed = false
    },
    forget() {
      closeFd()
      known = { ino: -1, size: 0 }
    },
    snapshot() {
      const current = state ?? inspect(true, false)
      state = current
      if (current.kind === 'missing') return undefined
      // Rows are only ever appended after `size`, so this range stays consistent after the lock is released.
      return { fd: io.openSync(file, 'r'), start: current.dataStart, end: current.size }
    },
    tidy() {
      // Nothing to tidy: a CSV file holds no state beyond its rows.
    },
    close() {
      closeFd()
    },
  }
}
