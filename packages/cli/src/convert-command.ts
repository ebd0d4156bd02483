import * as fs from 'node:fs'
import * as path from 'node:path'
import { AuditrailError } from '@auditrail/core'
import { writeCsvLogFile, type EventSource } from '@auditrail/sink-csv'
import { writeJsonLogFile } from '@auditrail/sink-json'
import { openLogAt, readEvents, formatOfName, type LogFormat } from '@auditrail/verify'
import { Command } from 'commander'
import type { CliContext } from './cli-context.js'
import { helpExamples } from './command-help.js'
import { exportPostgres, isPostgresTarget } from './postgres-target.js'
import { createProgressBar } from './progress-bar.js'

/** Logs from this size on get a progress bar (when stderr is a TTY): smaller ones convert in a blink. */
const PROGRESS_MIN_BYTES = 1 << 20

/**
 * Writes `events` to `file` as a whole new log of `format`, atomically, with that format package's writer: JSON in the
 * sink's own gap layout (its gap about `sizeHint` bytes), CSV with the columns the events need; `mode` default 0600.
 * Returns the count.
 */
export function writeLogFile(file: string, format: LogFormat, events: EventSource, sizeHint?: number, mode?: number): number {
  const modeOption = mode === undefined ? {} : { mode }
  if (format === 'csv') return writeCsvLogFile(file, events, modeOption)
  return writeJsonLogFile(file, typeof events === 'function' ? events() : events, { ...modeOption, ...(sizeHint === undefined ? {} : { sizeHint }) })
}

/**
 * A PostgreSQL trail as a CSV file: the CSV writer reads its events anew should a later one need wider columns, and a
 * cursor cannot be read twice, so they are exported first to a JSON log beside `out` (constant memory), read from there.
 */
async function postgresToCsv(input: string, out: string): Promise<{ readonly events: number; readonly display: string }> {
  const spool = `${out}.export-${process.pid}.json`
  try {
    const { display } = await exportPostgres(input, spool)
    const reader = openLogAt(spool)
    try {
      return { events: writeLogFile(out, 'csv', () => readEvents(reader, 'oldest-first')), display }
    } finally {
      reader.close()
    }
  } finally {
    fs.rmSync(spool, { force: true })
  }
}

/** `auditrail convert`: JSON ↔ CSV (or a re-layout within one format), every event kept, atomically. */
export function createConvertCommand(context: CliContext): Command {
  return new Command('convert')
    .description('convert a log between JSON and CSV, each side\'s format from its file extension; every event kept')
    .argument('<in>', 'the log to read: a .json or .csv file, or a directory holding audit_log.json or audit_log.csv')
    .argument('<out>', 'the file to write, ending in .json (newest first) or .csv (oldest first)')
    .option('--force', 'replace <out> if it exists')
    .option('--json', 'print {input, output, from, to, events} as JSON')
    .addHelpText('after', helpExamples('auditrail convert root_experiment audit_log.csv', 'auditrail convert exported.csv runs/42/audit_log.json --force'))
    .action(async (input: string, out: string, options: { force?: boolean; json?: boolean }) => {
      const format = formatOfName(out)
      if (format === undefined) throw new AuditrailError('options', '<out> must end in .json or .csv', { component: 'cli', file: out })
      if (isPostgresTarget(input)) {
        if (fs.existsSync(out) && options.force !== true) throw new AuditrailError('options', '<out> exists; pass --force to replace it', { component: 'cli', file: out })
        const { events, display } = format === 'json' ? await exportPostgres(input, out) : await postgresToCsv(input, out)
        const result = { input: display, output: out, from: 'postgres', to: format, events }
        context.out.write(options.json === true ? `${JSON.stringify(result, null, 2)}\n` : `${events} events: ${display} (postgres) → ${out} (${format})\n`)
        return
      }
      const reader = openLogAt(input)
      let events: number
      try {
        if (path.resolve(reader.file) === path.resolve(out)) throw new AuditrailError('options', '<in> and <out> are the same file', { component: 'cli', file: out })
        if (fs.existsSync(out) && options.force !== true) throw new AuditrailError('options', '<out> exists; pass --force to replace it', { component: 'cli', file: out })
        const bar = context.stderrIsTty && reader.size >= PROGRESS_MIN_BYTES ? createProgressBar(context.err, `${reader.file} → ${out}`) : undefined
        try {
          const order = format === 'json' ? 'newest-first' : 'oldest-first'
          // A function, not one stream: CSV output starts with the first event's columns, and should a later event need
          // more (actor, seq,hash), the writer begins again and reads the log anew with the wider columns.
          // The copy of an audit log is as private as the log: its own mode (never world-writable), not the umask's 0644.
          const mode = fs.statSync(reader.file).mode & 0o664
          events = writeLogFile(out, format, () => readEvents(reader, order, bar === undefined ? {} : { progress: (f) => bar.update(f) }), reader.size, mode)
        } finally {
          bar?.done()
        }
      } finally {
        reader.close()
      }
      const result = { input: reader.file, output: out, from: reader.format, to: format, events }
      context.out.write(options.json === true ? `${JSON.stringify(result, null, 2)}\n` : `${events === 1 ? '1 event' : `${events} events`}: ${reader.file} (${reader.format}) → ${out} (${format})\n`)
    })
}
