import * as fs from 'node:fs'
import { AuditrailError, ioError, nodeFileIo, readAt, type AuditEvent, type ReadOrder } from '@auditrail/core'
import type { CsvColumns } from '@auditrail/sink-csv'
import { createCsvEntries } from './csv-log-reader.js'
import { createJsonEntries } from './json-log-reader.js'
import type { LogEntry } from './log-entry.js'
import { resolveLogTarget, type LogFormat, type LogTarget } from './log-target.js'
import { BLOCK, type Progress } from './record-stream.js'

/** Options of {@link LogReader.entries}. */
export interface EntriesOptions {
  /** CSV, oldest first only: start at this row offset (a follower's resume point). */
  readonly from?: number
  /** Called with the fraction of the file read. */
  readonly progress?: Progress
}

/**
 * A read-only view of one log file, streaming. It takes no lock and never writes: the bytes it reads are a
 * consistent snapshot, because auditrail's writers never change committed bytes in place (JSON grows into a
 * gap before them, CSV appends after them, and rewrites rename a new file over the old one).
 */
export interface LogReader {
  readonly file: string
  readonly format: LogFormat
  /** The file's size when opened: later appends are not read. */
  readonly size: number
  /** CSV: offset of the first row; JSON: 0. */
  readonly bodyStart: number
  /** CSV: the columns its header names; JSON: `undefined`. */
  readonly csvColumns: CsvColumns | undefined
  /** True when reading in `order` takes a single pass over the file (else two). */
  singlePass(order: ReadOrder): boolean
  /** Every event and every problem, in `order` (problems a reverse read finds come first). */
  entries(order: ReadOrder, options?: EntriesOptions): Iterable<LogEntry>
  /** The 1-based line holding byte `at`: counted on demand, fast for increasing `at`. */
  lineOf(at: number): number
  /** `line 12 (byte 3456)`, for messages. */
  describe(at: number): string
  close(): void
}

/** Opens a log for reading. Throws an `io` AuditrailError naming the file when it cannot be read. */
export function openLogReader(target: LogTarget): LogReader {
  let fd: number
  let size: number
  try {
    fd = fs.openSync(target.file, 'r')
    size = fs.fstatSync(fd).size
  } catch (error) {
    throw ioError('cli', 'read the log', target.file, error)
  }
  const json = target.format === 'json' ? createJsonEntries(fd, size) : undefined
  const csv = target.format === 'csv' ? createCsvEntries(fd, size) : undefined
  // Line numbers are counted only for messages; a cursor makes a forward run of them (verify) linear.
  let counted = { at: 0, line: 1 }
  const lineOf = (at: number): number => {
    if (at < counted.at) counted = { at: 0, line: 1 }
    let line = counted.line
    for (let pos = counted.at; pos < at; pos += BLOCK) {
      const block = readAt(nodeFileIo, fd, pos, Math.min(BLOCK, at - pos))
      for (let nl = block.indexOf(0x0a); nl !== -1; nl = block.indexOf(0x0a, nl + 1)) line++
    }
    counted = { at, line }
    return line
  }
  return {
    file: target.file,
    format: target.format,
    size,
    bodyStart: csv?.bodyStart ?? 0,
    csvColumns: csv?.columns,
    singlePass: (order) => (json ?? csv)?.singlePass(order) ?? true,
    entries(order, options = {}) {
      if (json !== undefined) return json.entries(order, options.progress)
      return (csv as NonNullable<typeof csv>).entries(order, options)
    },
    lineOf,
    describe: (at) => `line ${lineOf(at)} (byte ${at})`,
    close() {
      fs.closeSync(fd)
    },
  }
}

/** The event entries of `entries`, skipping warnings; throws a `corrupt` AuditrailError naming the file and line at the first error. */
export function* checkedEntries(reader: LogReader, entries: Iterable<LogEntry>): Generator<Extract<LogEntry, { kind: 'event' }>> {
  for (const entry of entries) {
    if (entry.kind === 'event') yield entry
    else if (entry.severity === 'error') {
      throw new AuditrailError('corrupt', `${reader.describe(entry.at)}: ${entry.message}`, { component: 'cli', file: reader.file })
    }
  }
}

/** The events of `reader` in `order`, skipping warnings, throwing at the first error (see {@link checkedEntries}). */
export function* readEvents(reader: LogReader, order: ReadOrder, options: EntriesOptions = {}): Generator<AuditEvent> {
  for (const entry of checkedEntries(reader, reader.entries(order, options))) yield entry.event
}

/** Resolves a command's `[log]` argument and opens it. */
export function openLogAt(target: string): LogReader {
  return openLogReader(resolveLogTarget(target))
}
