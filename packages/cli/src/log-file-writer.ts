import { AuditrailError, DEFAULT_FILE_MODE, nodeFileIo, replaceFile, writeFully, type AuditEvent } from '@auditrail/core'
import { columnsFor, coversColumns, encodeHeader, encodeRow, SPEC_COLUMNS, unionColumns, type CsvColumns } from '@auditrail/sink-csv'
import type { LogFormat } from './log-target.js'

const FLUSH_AT = 1 << 20
const KNOWN_FIELDS = new Set(['timestamp', 'action_type', 'status', 'details', 'error', 'actor', 'seq', 'hash'])

/** Events to write: an iterable, or a function giving them anew each time it is called (so they can be read twice). */
export type EventSource = Iterable<AuditEvent> | (() => Iterable<AuditEvent>)

/** What one pass over the events came to: all written, or an event that needs wider CSV columns. */
type Pass = { readonly done: true; readonly count: number } | { readonly done: false; readonly columns: CsvColumns }

/**
 * Writes `events` to `file` as a whole new log, atomically (temporary file, fsync, rename): readers see the
 * old file or the complete new one, never a part. JSON: an array with one compact event per line, in the
 * order given (newest first is the spec's); auditrail's JSON sink continues such a file. CSV: sink-csv's
 * exact format, CRLF rows in the order given (oldest first is the spec's), with the columns the events need: the
 * spec's five, then `actor` and `seq,hash` when some event has them, as the CSV sink would have upgraded its file.
 * Those are the first event's columns until an event needs more; the file is then begun again, with the wider
 * columns, from the events read again (`events()` called again, or an array iterated again; a one-shot iterator,
 * such as a generator object, cannot be and throws `invalid`). A log gains `actor` or `seq,hash` at most once
 * each, so that is at most two more passes, and none for a log whose first event has every column it will use.
 * Returns the count. An event with fields beyond those eight cannot go to CSV: that throws an `invalid`
 * AuditrailError. On any throw `file` is as it was. `mode` is the new file's (less the umask); default `0o600`, as logs are.
 */
export function writeLogFile(file: string, format: LogFormat, events: EventSource, mode = DEFAULT_FILE_MODE): number {
  const read = (): Iterable<AuditEvent> => (typeof events === 'function' ? events() : events)
  let count = 0
  replaceFile(nodeFileIo, file, true, (fd) => {
    let columns: CsvColumns | undefined
    for (let pass = 0; ; pass++) {
      const source = read()
      if (pass > 0 && typeof events !== 'function' && (source[Symbol.iterator]() as unknown) === source) {
        throw new AuditrailError('invalid', 'the events need wider CSV columns part way, and a one-shot iterator cannot be read again; nothing written', { component: 'cli', file })
      }
      if (pass > 0) nodeFileIo.ftruncateSync(fd, 0)
      const result = writePass(fd, file, format, source, columns)
      if (result.done) {
        count = result.count
        return
      }
      columns = result.columns
    }
  }, mode)
  return count
}

/** Writes every event with `columns` (CSV; `undefined`: the first event's), or stops at the first that needs more. */
function writePass(fd: number, file: string, format: LogFormat, events: Iterable<AuditEvent>, initial: CsvColumns | undefined): Pass {
  let columns = initial
  let count = 0
  // Text goes into one buffer of bytes, not a list of strings: rows built by concatenation are ropes, several times
  // their size in memory until flattened, and convert must run in a small heap (see the CLI's streaming test).
  const buffer = Buffer.allocUnsafe(FLUSH_AT)
  let used = 0
  let at = 0
  const flush = (): void => {
    writeFully(nodeFileIo, fd, buffer.subarray(0, used), at)
    at += used
    used = 0
  }
  const put = (text: string): void => {
    // At most 3 UTF-8 bytes per UTF-16 code unit.
    if (used + text.length * 3 > buffer.length) flush()
    if (text.length * 3 <= buffer.length) used += buffer.write(text, used)
    else {
      const bytes = Buffer.from(text)
      writeFully(nodeFileIo, fd, bytes, at)
      at += bytes.length
    }
  }
  for (const event of events) {
    let text: string
    if (format === 'json') text = `${count === 0 ? '[\n' : ',\n'}${JSON.stringify(event)}`
    else {
      const extra = Object.keys(event).filter((key) => !KNOWN_FIELDS.has(key))
      if (extra.length > 0) {
        throw new AuditrailError('invalid', `the event at ${event.timestamp} has fields CSV has no column for (${extra.join(', ')}); nothing written`, {
          component: 'cli',
          file,
        })
      }
      const needed = columnsFor(event)
      if (columns !== undefined && !coversColumns(columns, needed)) return { done: false, columns: unionColumns(columns, needed) }
      columns ??= needed
      text = `${count === 0 ? encodeHeader(columns, '\r\n') : ''}${encodeRow(event, columns, '\r\n')}`
    }
    put(text)
    count++
  }
  if (format === 'json') put(count === 0 ? '[]\n' : '\n]\n')
  else if (count === 0) put(encodeHeader(columns ?? SPEC_COLUMNS, '\r\n'))
  flush()
  return { done: true, count }
}
