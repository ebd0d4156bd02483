import {
  createFileSinkFrame,
  emitAuditrailWarning,
  statIfExists,
  summarizeEvents,
  type AuditEvent,
  type AuditSink,
  type FileSinkOptions,
  type LogSummary,
  type ReadOptions,
  type SkipInvalid,
  type SummarizeOptions,
} from '@auditrail/core'
import type { CsvColumns } from './csv-columns.js'
import { readRecordHeads, type CsvHead } from './csv-heads.js'
import { createCsvLogFile } from './csv-log-file.js'
import { parseDataRows } from './csv-rows.js'
import { recordChunks } from './csv-scan.js'

const COMPONENT = 'sink-csv'

/** The file name the spec gives the CSV log inside `rootLogDir`. */
export const CSV_LOG_FILE = 'audit_log.csv'

/** Whole records of a CSV log, as the sink's readers take them. */
interface RecordChunk {
  readonly text: string
  readonly columns: CsvColumns
  readonly rows: () => AuditEvent[]
  records: number | undefined
}

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
   * Holds the lock only to snapshot the file's extent, then yields its record chunks with a parser for each: `rows(index)`
   * parses the chunk's rows in full, naming each in errors (records are numbered from the header, record 1, when reading
   * forward; backward, by the chunk's byte offset). A consumer that counts the records without `rows()` sets `records`.
   */
  function* chunks(backward: boolean, skip?: SkipInvalid): Generator<RecordChunk> {
    frame.ensureOpen()
    if (!frame.held && statIfExists(io, file) === undefined) return
    const snapshot = frame.peek('read', () => log.snapshot())
    if (snapshot === undefined) return
    const { columns } = snapshot
    let record = 2
    try {
      for (const chunk of recordChunks(io, snapshot.fd, snapshot.start, snapshot.end, backward)) {
        const first = record
        let parsed: AuditEvent[] | undefined
        // Rows left out by skipInvalid still take their record numbers: the next chunk's are counted past them.
        let skipped = 0
        const counting: SkipInvalid | undefined =
          skip === undefined
            ? undefined
            : (row) => {
                skipped++
                if (skip === true) emitAuditrailWarning('AUDITRAIL_RECORD_SKIPPED', row.error)
                else skip(row)
              }
        const rows = (): AuditEvent[] =>
          (parsed ??= parseDataRows(chunk.text, columns, file, (i) => (backward ? `record ${i + 1} of the rows from byte ${chunk.offset}` : `record ${first + i}`), counting))
        const item: RecordChunk = { text: chunk.text, columns, rows, records: undefined }
        yield item
        record += parsed === undefined ? (item.records ?? 0) : parsed.length + skipped
      }
    } finally {
      io.closeSync(snapshot.fd)
    }
  }

  /** Streams the rows as events. */
  function* readEvents(readOptions: ReadOptions): Generator<AuditEvent> {
    const backward = readOptions.order === 'newest-first'
    for (const chunk of chunks(backward, readOptions.skipInvalid)) {
      const events = chunk.rows()
      if (backward) events.reverse()
      yield* events
    }
  }

  /** The action type and status of each row: from the start of each record our writer produced, else by parsing the chunk. */
  function* readHeads(skip: SkipInvalid | undefined): Generator<CsvHead> {
    for (const chunk of chunks(false, skip)) {
      const heads = readRecordHeads(chunk.text, chunk.columns)
      if (heads === undefined) {
        yield* chunk.rows()
      } else {
        chunk.records = heads.length
        yield* heads
      }
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
      return summarizeEvents(readHeads(summarizeOptions.skipInvalid))
    },
    read(readOptions = {}) {
      frame.ensureOpen()
      return readEvents(readOptions)
    },
    close: frame.close,
  }
}
