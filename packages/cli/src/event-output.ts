import { Option, type Command } from 'commander'
import { CSV_COLUMNS } from '@auditrail/sink-csv'
import type { AuditEvent } from '@auditrail/core'
import type { CliContext } from './cli-context.js'
import { encodeCsvRow } from './csv-cells.js'
import { formatTableHeader, formatTableRow } from './event-table.js'

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

/** Starts printing events in `format`; nothing is held back but the writer's buffer. */
export function createEventOutput(format: EventFormat, context: CliContext): EventOutput {
  const { out } = context
  let count = 0
  return {
    get count() {
      return count
    },
    write(event) {
      if (format === 'json') out.write(`${count === 0 ? '[\n' : ',\n'}${JSON.stringify(event)}`)
      else if (format === 'jsonl') out.write(`${JSON.stringify(event)}\n`)
      else if (format === 'csv') out.write(`${count === 0 ? `${CSV_COLUMNS.join(',')}\r\n` : ''}${encodeCsvRow(event)}`)
      else out.write(`${count === 0 ? formatTableHeader(context.colors) : ''}${formatTableRow(event, context.colors, context.columns)}`)
      count++
    },
    end() {
      if (format === 'json') out.write(count === 0 ? '[]\n' : '\n]\n')
      else if (format === 'csv' && count === 0) out.write(`${CSV_COLUMNS.join(',')}\r\n`)
    },
  }
}

/** Adds `--json`, `--jsonl` and `--csv` (mutually exclusive) to a command that prints events. */
export function addEventFormatOptions(command: Command, jsonHelp: string): Command {
  return command
    .addOption(new Option('--json', jsonHelp).conflicts(['jsonl', 'csv']))
    .addOption(new Option('--jsonl', 'print one JSON event per line').conflicts(['csv']))
    .addOption(new Option('--csv', 'print CSV with the header timestamp,action_type,status,details,error'))
}
