import { Option, type Command } from 'commander'
import { columnsFor, coversColumns, encodeHeader, encodeRow, SPEC_COLUMNS, unionColumns, type CsvColumns } from '@auditrail/sink-csv'
import { AuditrailError, type AuditEvent } from '@auditrail/core'
import type { CliContext } from './cli-context.js'
import { formatTableHeader, formatTableRow } from './event-table.js'
import { escapeBidi } from './terminal-text.js'

/** How events are printed: an aligned table (default), a JSON array, JSON Lines, or CSV as sink-csv writes it. */
export type EventFormat = 'table' | 'json' | 'jsonl' | 'csv'

/** A stream of events to stdout in one format. */
export interface EventOutput {
  write(event: AuditEvent): void
  /** Closes the JSON array; the caller flushes. */
  end(): void
  /** Events written so far. */
  readonly count: number
}

/** The format the output flags ask for (commander rejects conflicting flags before this). */
export function eventFormatOf(flags: { readonly json?: boolean; readonly jsonl?: boolean; readonly csv?: boolean }): EventFormat {
  return flags.json === true ? 'json' : flags.jsonl === true ? 'jsonl' : flags.csv === true ? 'csv' : 'table'
}

/** The CSV columns `events` need, starting from `columns`: stops reading as soon as every column is needed. */
export function csvColumnsOf(events: Iterable<AuditEvent>, columns: CsvColumns = SPEC_COLUMNS): CsvColumns {
  let wanted = columns
  for (const event of events) {
    if (wanted.actor && wanted.chain) break
    const needed = columnsFor(event)
    if (!coversColumns(wanted, needed)) wanted = unionColumns(wanted, needed)
  }
  return wanted
}

/**
 * Starts printing events in `format`; nothing is held back but the writer's buffer. CSV is what sink-csv writes
 * (formula guard included) with the header of `csvColumns` (default: the spec's five), printed before the first row:
 * an event needing a column it lacks (`actor`, `seq,hash`) throws `invalid`, so the caller picks them beforehand.
 */
export function createEventOutput(format: EventFormat, context: CliContext, csvColumns: CsvColumns = SPEC_COLUMNS, options: { readonly wide?: boolean } = {}): EventOutput {
  const { out } = context
  // --wide: rows as long as they are, as when piped; the terminal wraps them.
  const columns = options.wide === true ? undefined : context.columns
  let count = 0
  const csvRow = (event: AuditEvent): string => {
    const needed = columnsFor(event)
    if (!coversColumns(csvColumns, needed)) {
      const missing = needed.names.filter((name) => !csvColumns.names.includes(name))
      const message = `the event at ${event.timestamp} has ${missing.join(',')}, columns the CSV header printed before it lacks (the log gained them meanwhile): run the command again`
      throw new AuditrailError('invalid', message, { component: 'cli', field: missing[0] as string })
    }
    return encodeRow(event, csvColumns, '\r\n')
  }
  return {
    get count() {
      return count
    },
    write(event) {
      // Bidi controls escaped (`\u202e`): still valid JSON with the same values, but no longer reordering a terminal's line.
      if (format === 'json') out.write(`${count === 0 ? '[\n' : ',\n'}${escapeBidi(JSON.stringify(event))}`)
      else if (format === 'jsonl') out.write(`${escapeBidi(JSON.stringify(event))}\n`)
      else if (format === 'csv') out.write(`${count === 0 ? encodeHeader(csvColumns, '\r\n') : ''}${csvRow(event)}`)
      else out.write(`${count === 0 ? formatTableHeader(context.colors) : ''}${formatTableRow(event, context.colors, columns)}`)
      count++
    },
    end() {
      if (format === 'json') out.write(count === 0 ? '[]\n' : '\n]\n')
      else if (format === 'csv' && count === 0) out.write(encodeHeader(csvColumns, '\r\n'))
    },
  }
}

/** Adds `--json`, `--jsonl` and `--csv` (mutually exclusive) to a command that prints events. */
export function addEventFormatOptions(command: Command, jsonHelp: string): Command {
  return command
    .addOption(new Option('--json', jsonHelp).conflicts(['jsonl', 'csv']))
    .addOption(new Option('--jsonl', 'print one JSON event per line').conflicts(['csv']))
    .addOption(new Option('--csv', 'print CSV with the header timestamp,action_type,status,details,error (then actor, seq,hash when the events have them)'))
    .addOption(new Option('--wide', 'table: never cut a row to the terminal\'s width (a failure\'s error is never cut anyway)'))
}
