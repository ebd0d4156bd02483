import { AuditrailError, type AuditEvent, type ReadOrder } from '@auditrail/core'
import { Option, type Command } from 'commander'
import type { CliContext } from './cli-context.js'
import type { EntriesOptions, LogReader } from '@auditrail/verify'
import { escapeBidi } from './terminal-text.js'

/** One record `--skip-invalid` read past: where (`file:line`) and why. */
export interface SkippedRecord {
  readonly where: string
  readonly message: string
}

/**
 * How a command treats records that are not events: by default the first one stops it (`corrupt`, exit 2), as
 * always; with `--skip-invalid` they are read past, collected, and reported on stderr at the end (exit 1).
 * Built on the reader's entries (events and problems), not on its internals, so it does not care where the reader lives.
 */
export interface InvalidRecords {
  /** The events of `reader` in `order`: throwing at the first bad record, or skipping it when asked to. */
  events(reader: LogReader, order: ReadOrder, options?: EntriesOptions): Generator<AuditEvent>
  /** The records skipped so far, each once however many passes read it, in file position order. */
  readonly skipped: readonly SkippedRecord[]
  /** Writes the report of skipped records to stderr and sets exit code 1 when there were any. */
  report(context: CliContext): void
}

/** At most this many skipped records are listed one per line; the rest are counted. */
const LISTED = 20

/** The `--skip-invalid` option, shared by summary, query and state. */
export function addSkipInvalidOption(command: Command): Command {
  return command.addOption(
    new Option('--skip-invalid', 'read past records that are not valid events, list them (file:line) on stderr and exit with 1; default: stop at the first (exit 2)'),
  )
}

/** The policy for one command run; `skip` is the `--skip-invalid` flag. */
export function createInvalidRecords(skip: boolean): InvalidRecords {
  // Keyed by file and byte: a command may read the file twice (query --csv), a record is still one record.
  const found = new Map<string, SkippedRecord & { readonly at: number }>()
  return {
    *events(reader, order, options = {}) {
      for (const entry of reader.entries(order, options)) {
        if (entry.kind === 'event') {
          yield entry.event
          continue
        }
        // Warnings (a write in progress before the newest event) were never events: skipped silently, as always.
        if (entry.severity !== 'error') continue
        if (!skip) throw new AuditrailError('corrupt', `${reader.describe(entry.at)}: ${entry.message}`, { component: 'cli', file: reader.file })
        const key = `${reader.file}\u0000${entry.at}`
        if (!found.has(key)) found.set(key, { at: entry.at, where: `${reader.file}:${reader.lineOf(entry.at)}`, message: entry.message })
      }
    },
    get skipped() {
      return [...found.values()].sort((a, b) => a.at - b.at).map(({ where, message }) => ({ where, message }))
    },
    report(context) {
      const skipped = this.skipped
      if (skipped.length === 0) return
      const lines = skipped.slice(0, LISTED).map(({ where, message }) => `  ${where}: ${message}`)
      if (skipped.length > LISTED) lines.push(`  … and ${skipped.length - LISTED} more`)
      const records = skipped.length === 1 ? '1 invalid record' : `${skipped.length} invalid records`
      context.err(escapeBidi(`[auditrail] [cli] skipped ${records} (--skip-invalid); the output leaves them out:\n${lines.join('\n')}\n`))
      context.exitCode = Math.max(context.exitCode, 1)
    },
  }
}
