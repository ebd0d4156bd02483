import {
  createFileSinkFrame,
  statIfExists,
  type AuditEvent,
  type AuditSink,
  type FileSinkOptions,
  type ReadOptions,
} from '@auditrail/core'
import { createCsvLogFile } from './csv-log-file.js'
import { parseDataRows } from './csv-rows.js'
import { recordChunks } from './csv-scan.js'

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

  /** Streams the rows: holds the lock only to snapshot the file's extent, then parses record chunks. */
  function* readEvents(readOptions: ReadOptions): Generator<AuditEvent> {
    frame.ensureOpen()
    if (!frame.held && statIfExists(io, file) === undefined) return
    const snapshot = frame.peek('read', () => log.snapshot())
    if (snapshot === undefined) return
    const backward = readOptions.order === 'newest-first'
    // Records are numbered from the header (record 1) when reading forward; backward, by the chunk's byte offset.
    let record = 2
    try {
      for (const chunk of recordChunks(io, snapshot.fd, snapshot.start, snapshot.end, backward)) {
        const first = record
        const events = parseDataRows(chunk.text, snapshot.columns, file, (i) => (backward ? `record ${i + 1} of the rows from byte ${chunk.offset}` : `record ${first + i}`))
        record += events.length
        if (backward) events.reverse()
        yield* events
      }
    } finally {
      io.closeSync(snapshot.fd)
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
    read(readOptions = {}) {
      frame.ensureOpen()
      return readEvents(readOptions)
    },
    close: frame.close,
  }
}
