import {
  AuditrailError,
  createFileSinkFrame,
  readAt,
  statIfExists,
  summarizeEvents,
  type AuditEvent,
  type AuditSink,
  type FileSinkOptions,
  type LogSummary,
  type ProblemEntry,
  type ReadOptions,
  type SkipInvalid,
  type SummarizeOptions,
} from '@auditrail/core'
import { createCsvLogFile } from './csv-log-file.js'
import { createCsvEntries, type CsvEntries } from './csv-log-reader.js'
import { parseDataRows } from './csv-rows.js'
import { createRecordCounter, recordEnd } from './csv-scan.js'

const COMPONENT = 'sink-csv'

/** The file name the spec gives the CSV log inside `rootLogDir`. */
export const CSV_LOG_FILE = 'audit_log.csv'

/** Options of {@link createCsvSink}: the file is `<rootLogDir>/audit_log.csv`. */
export type CsvSinkOptions = FileSinkOptions

/** A CSV sink: {@link AuditSink} plus where it writes. */
export interface CsvSink extends AuditSink {
  readonly path: string
  read(options?: ReadOptions): Iterable<AuditEvent>
  prepare(): string | undefined
  head(): AuditEvent | undefined
  flush(): void
  sync(): void
  summarize(options?: SummarizeOptions): LogSummary
}

/**
 * Creates the CSV sink: `<rootLogDir>/audit_log.csv`, RFC 4180 with the header
 * `timestamp,action_type,status,details,error` (then `actor`, then `seq,hash`, once events use them), oldest row
 * first, one positioned append per event. Rows end in CRLF (RFC 4180, and what Python's csv module writes); a file
 * whose header ends in LF is continued with LF. Text cells a caller controls are guarded against formula injection.
 * A last row torn by a crash is repaired when a writer next takes the lock. An existing file with another header
 * throws a `corrupt` error and is never modified.
 */
export function createCsvSink(options: CsvSinkOptions): CsvSink {
  const frame = createFileSinkFrame(COMPONENT, CSV_LOG_FILE, options, createCsvLogFile)
  const { file, io, log } = frame

  /**
   * Holds the lock only to snapshot the file's extent, then streams `items` of the format's reader from its own
   * descriptor, the header as the lock's holder read it. A problem the reader reports throws the error parsing its row
   * gives, naming it `record N` (the header being record 1), or is skipped with `skipInvalid`; a warning is passed over.
   */
  function* readWith<T>(skip: SkipInvalid | undefined, items: (entries: CsvEntries, problem: (entry: ProblemEntry) => void) => Iterable<T>): Generator<T> {
    // Again at the first step: an iteration begun before close() must not read after it.
    frame.ensureOpen()
    if (!frame.held && statIfExists(io, file) === undefined) return
    const snapshot = frame.peek('read', () => log.snapshot())
    if (snapshot === undefined) return
    const { fd, start, end, columns } = snapshot
    try {
      const entries = createCsvEntries(fd, end, 0, { io, header: { bodyStart: start, columns } })
      // Counted only when a row is bad, so a clean read pays nothing for the record numbers in messages.
      const recordOf = createRecordCounter(io, fd, start)
      const problem = (entry: ProblemEntry): void => {
        if (entry.severity === 'warning') return
        const position = `record ${recordOf(entry.at) + 2}`
        const text = readAt(io, fd, entry.at, recordEnd(io, fd, entry.at, end) - entry.at).toString('utf8')
        // Text that is not CSV throws here whatever `skip` says, as ever; a row that decodes contradicts the reader.
        if (parseDataRows(text, columns, file, () => position, skip).length > 0) {
          throw new AuditrailError('corrupt', `${position}: ${entry.message}; the file is left untouched`, { component: COMPONENT, file })
        }
      }
      yield* items(entries, problem)
    } finally {
      io.closeSync(fd)
    }
  }

  return {
    name: COMPONENT,
    path: file,
    prepare: frame.prepare,
    write(event) {
      frame.ensureOpen()
      frame.lockedCall('append', log.append, event, undefined)
    },
    head() {
      frame.ensureOpen()
      return frame.peek('read the newest event', () => log.newestEvent())
    },
    flush: frame.flush,
    sync: frame.sync,
    summarize(summarizeOptions = {}) {
      frame.ensureOpen()
      // The reader's summary path: the action type and status from the first cells of each of our rows, nothing else parsed.
      return summarizeEvents(readWith(summarizeOptions.skipInvalid, (entries, problem) => entries.heads('oldest-first', problem)))
    },
    read(readOptions = {}) {
      // Checked here, not inside the generator, so that `read()` after `close()` throws at the call.
      frame.ensureOpen()
      const order = readOptions.order ?? 'oldest-first'
      return readWith(readOptions.skipInvalid, (entries, problem) => entries.events(order, problem))
    },
    close: frame.close,
  }
}
