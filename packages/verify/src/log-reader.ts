import { checkedEntries as checkedSnapshotEntries, snapshotEvents, type AuditEvent, type LogEntry, type ReadOrder, type SnapshotEntriesOptions } from '@auditrail/core'
import { openCsvSnapshot, type CsvColumns, type CsvSnapshot } from '@auditrail/sink-csv'
import { openJsonSnapshot, type JsonSnapshot } from '@auditrail/sink-json'
import { resolveLogTarget, type LogTarget } from './log-target.js'

/** Options of {@link LogReader.entries}. */
export type EntriesOptions = SnapshotEntriesOptions

/**
 * A read-only, lock-free snapshot of one log file of either format, streaming: the format package's own reader
 * (`openJsonSnapshot`, `openCsvSnapshot`), tagged with its `format`.
 */
export type LogReader = (JsonSnapshot | CsvSnapshot) & {
  /** CSV: the columns its header names; JSON: `undefined`. */
  readonly csvColumns: CsvColumns | undefined
}

/** Opens a log for reading with its format's reader. Throws an `io` AuditrailError naming the file when it cannot be read. */
export function openLogReader(target: LogTarget): LogReader {
  if (target.format === 'json') return { ...openJsonSnapshot(target.file), csvColumns: undefined }
  const csv = openCsvSnapshot(target.file)
  return { ...csv, csvColumns: csv.columns }
}

/** The event entries of `entries`, skipping warnings; throws a `corrupt` AuditrailError naming the file and line at the first error. */
export function checkedEntries(reader: LogReader, entries: Iterable<LogEntry>): Generator<Extract<LogEntry, { kind: 'event' }>> {
  // Still `cli`: the commands' messages, which scripts match, stay as they were before this code moved.
  return checkedSnapshotEntries(reader, entries, 'cli')
}

/** The events of `reader` in `order`, skipping warnings, throwing at the first error (see {@link checkedEntries}). */
export function readEvents(reader: LogReader, order: ReadOrder, options: EntriesOptions = {}): Iterable<AuditEvent> {
  return snapshotEvents(reader, order, 'cli', options)
}

/** Resolves a command's `[log]` argument and opens it. */
export function openLogAt(target: string): LogReader {
  return openLogReader(resolveLogTarget(target))
}
