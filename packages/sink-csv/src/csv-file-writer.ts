import { AuditrailError, createBufferedFileWriter, DEFAULT_FILE_MODE, nodeFileIo, replaceFile, type AuditEvent } from '@auditrail/core'
import { columnsFor, coversColumns, encodeHeader, SPEC_COLUMNS, unionColumns, type CsvColumns } from './csv-columns.js'
import { encodeRow } from './csv-row.js'

const KNOWN_FIELDS = new Set(['timestamp', 'action_type', 'status', 'details', 'error', 'actor', 'seq', 'hash'])

/** Events to write: an iterable, or a function giving them anew each time it is called (so they can be read twice). */
export type EventSource = Iterable<AuditEvent> | (() => Iterable<AuditEvent>)

/** What one pass over the events came to: all written, or an event that needs wider CSV columns. */
type Pass = { readonly done: true; readonly count: number } | { readonly done: false; readonly columns: CsvColumns }

/**
 * Writes `events` to `file` as a whole new CSV log, atomically (temporary file, fsync, rename): readers see the old
 * file or the complete new one, never a part. The CSV sink's exact format, CRLF rows in the order given (oldest first
 * is the spec's), with the columns the events need: the spec's five, then `actor` and `seq,hash` when some event has
 * them, as the CSV sink would have upgraded its file. Those are the first event's columns until an event needs more;
 * the file is then begun again, with the wider columns, from the events read again (`events()` called again, or an
 * array iterated again; a one-shot iterator, such as a generator object, cannot be and throws `invalid`). A log gains
 * `actor` or `seq,hash` at most once each, so that is at most two more passes, and none for a log whose first event
 * has every column it will use. Returns the count. An event with fields beyond those eight cannot go to CSV: that
 * throws an `invalid` AuditrailError. On any throw `file` is as it was. `mode`: the new file's, less the umask
 * (default `0o600`: a copy of an audit log is as private as the log).
 */
export function writeCsvLogFile(file: string, events: EventSource, options: { readonly mode?: number } = {}): number {
  const read = (): Iterable<AuditEvent> => (typeof events === 'function' ? events() : events)
  let count = 0
  replaceFile(nodeFileIo, file, true, (fd) => {
    let columns: CsvColumns | undefined
    for (let pass = 0; ; pass++) {
      const source = read()
      if (pass > 0 && typeof events !== 'function' && (source[Symbol.iterator]() as unknown) === source) {
        throw new AuditrailError('invalid', 'the events need wider CSV columns part way, and a one-shot iterator cannot be read again; nothing written', { component: 'sink-csv', file })
      }
      if (pass > 0) nodeFileIo.ftruncateSync(fd, 0)
      const result = writePass(fd, file, source, columns)
      if (result.done) {
        count = result.count
        return
      }
      columns = result.columns
    }
  }, options.mode ?? DEFAULT_FILE_MODE)
  return count
}

/** Writes every event with `columns` (`undefined`: the first event's), or stops at the first that needs more. */
function writePass(fd: number, file: string, events: Iterable<AuditEvent>, initial: CsvColumns | undefined): Pass {
  let columns = initial
  let count = 0
  const out = createBufferedFileWriter(nodeFileIo, fd, 0)
  for (const event of events) {
    const extra = Object.keys(event).filter((key) => !KNOWN_FIELDS.has(key))
    if (extra.length > 0) {
      throw new AuditrailError('invalid', `the event at ${event.timestamp} has fields CSV has no column for (${extra.join(', ')}); nothing written`, {
        component: 'sink-csv',
        file,
      })
    }
    const needed = columnsFor(event)
    if (columns !== undefined && !coversColumns(columns, needed)) return { done: false, columns: unionColumns(columns, needed) }
    columns ??= needed
    out.put(`${count === 0 ? encodeHeader(columns, '\r\n') : ''}${encodeRow(event, columns, '\r\n')}`)
    count++
  }
  if (count === 0) out.put(encodeHeader(columns ?? SPEC_COLUMNS, '\r\n'))
  out.flush()
  return { done: true, count }
}
