import type { AuditEvent, AuditStatus, ReadOrder } from '@auditrail/core'
import { csvColumns, type CsvColumns } from '@auditrail/sink-csv'
import { Command, Option } from 'commander'
import { unknownActionsNote } from './action-suggestions.js'
import type { CliContext } from './cli-context.js'
import { helpExamples, LOG_ARGUMENT_HELP } from './command-help.js'
import { createEventFilter, type EventFilterOptions } from './event-filter.js'
import { addEventFormatOptions, createEventOutput, csvColumnsOf, eventFormatOf, type EventOutput } from './event-output.js'
import { openLogAt, type LogReader, DEFAULT_TARGET } from '@auditrail/verify'
import { isPostgresTarget, openPostgresTarget, pushDown } from './postgres-target.js'
import { addSkipInvalidOption, createInvalidRecords, type InvalidRecords } from './invalid-records.js'
import { collectList, parsePositive, timeParser } from './option-parsers.js'
import { createRingBuffer } from './ring-buffer.js'
import { escapeBidi } from './terminal-text.js'

interface QueryOptions {
  readonly action: string[]
  readonly actor: string[]
  readonly status?: AuditStatus
  readonly since?: number
  readonly until?: number
  readonly grep?: string
  readonly limit?: number
  readonly oldestFirst?: boolean
  readonly failEmpty?: boolean
  readonly json?: boolean
  readonly jsonl?: boolean
  readonly csv?: boolean
  readonly skipInvalid?: boolean
  readonly wide?: boolean
}

/**
 * The columns `--csv` prints: a CSV log's own (its header's), so that a query of every event gives the file back; for
 * a JSON log, those its matching events need, found by one more pass (it stops once every column is needed).
 */
function csvColumnsToPrint(reader: LogReader, matches: (event: AuditEvent) => boolean, invalid: InvalidRecords): CsvColumns {
  if (reader.csvColumns !== undefined) return reader.csvColumns
  function* matching(): Generator<AuditEvent> {
    for (const event of invalid.events(reader, reader.singlePass('newest-first') ? 'newest-first' : 'oldest-first')) if (matches(event)) yield event
  }
  return csvColumnsOf(matching())
}

function* tapActions(events: Iterable<AuditEvent>, seen: Set<string>): Generator<AuditEvent> {
  for (const event of events) {
    seen.add(event.action_type)
    yield event
  }
}

/** `auditrail query`: the events matching every filter, newest first, streamed. */
export function createQueryCommand(context: CliContext): Command {
  const command = new Command('query')
    .description('list the events that match every filter (newest first)')
    .argument('[log]', LOG_ARGUMENT_HELP, DEFAULT_TARGET)
    .option('--action <type>', 'only this action type; repeatable, or comma-separated', collectList, [])
    .option('--actor <name>', 'only events by this actor (who did it); repeatable, or comma-separated', collectList, [])
    .addOption(new Option('--status <status>', 'only success, or only failed events (WeightsLab\'s "error" included), or only "error"').choices(['success', 'failed', 'error']))
    .option('--since <time>', 'at or after: an ISO 8601 time, or a duration ago (30s, 15m, 2h, 3d, 1w)', timeParser(context.now))
    .option('--until <time>', 'at or before: an ISO 8601 time, or a duration ago', timeParser(context.now))
    .option('--grep <text>', 'only events whose details or error contain this text (ignoring case)')
    .option('--limit <n>', 'print at most n events', parsePositive)
    .option('--oldest-first', 'oldest event first')
    .option('--fail-empty', 'exit with 1 when no event matched')
  return addEventFormatOptions(addSkipInvalidOption(command), 'print a JSON array of events')
    .addHelpText(
      'after',
      helpExamples(
        'auditrail query --action hp_change --oldest-first',
        'auditrail query runs/42 --status failed --since 2h',
        'auditrail query --actor ana@lab --action hp_change',
        'auditrail query --action tag_add,tag_remove,sample_discard --csv > data-audit.csv',
      ),
    )
    .action(async (log: string, options: QueryOptions) => {
      const order: ReadOrder = options.oldestFirst === true ? 'oldest-first' : 'newest-first'
      const criteria: EventFilterOptions = {
        actions: options.action,
        actors: options.actor,
        ...(options.status === undefined ? {} : { status: options.status }),
        ...(options.since === undefined ? {} : { since: options.since }),
        ...(options.until === undefined ? {} : { until: options.until }),
        ...(options.grep === undefined ? {} : { grep: options.grep }),
      }
      const matches = createEventFilter(criteria)
      const format = eventFormatOf(options)
      if (isPostgresTarget(log)) {
        await queryPostgres(log, criteria, order, options, context)
        return
      }
      const invalid = createInvalidRecords(options.skipInvalid === true)
      const reader = openLogAt(log)
      // Every action type read, matching or not: to tell a typo in --action from a filter that matched nothing.
      const seen = new Set<string>()
      const taking = (events: Iterable<AuditEvent>): Generator<AuditEvent> => tapActions(events, seen)
      let output: EventOutput
      try {
        output = createEventOutput(format, context, format === 'csv' ? csvColumnsToPrint(reader, matches, invalid) : undefined, { wide: options.wide === true })
        const limit = options.limit
        if (limit !== undefined && !reader.singlePass(order)) {
          // The wanted order would take two passes; the other order takes one, and the first `limit` matches
          // in this order are the last `limit` in that one.
          const ring = createRingBuffer<AuditEvent>(limit)
          for (const event of taking(invalid.events(reader, order === 'newest-first' ? 'oldest-first' : 'newest-first'))) if (matches(event)) ring.push(event)
          for (const event of ring.toArray().reverse()) output.write(event)
        } else {
          for (const event of taking(invalid.events(reader, order))) {
            if (!matches(event)) continue
            output.write(event)
            if (limit !== undefined && output.count >= limit) break
          }
        }
        output.end()
      } finally {
        reader.close()
      }
      invalid.report(context)
      const unknown = output.count === 0 ? unknownActionsNote(options.action, seen) : ''
      if (unknown !== '') context.err(escapeBidi(unknown))
      else if (output.count === 0 && format === 'table') context.err('no matching events\n')
      if (output.count === 0 && options.failEmpty === true) context.exitCode = 1
    })
}

/**
 * `query` of a PostgreSQL trail: every filter but the text search runs in SQL (parameters only), streamed in keyset
 * pages; the text search, and with it the limit, is applied here.
 */
async function queryPostgres(log: string, criteria: EventFilterOptions, order: ReadOrder, options: QueryOptions, context: CliContext): Promise<void> {
  const format = eventFormatOf(options)
  const { filter, residual } = pushDown(criteria)
  const matches = createEventFilter(criteria)
  const { reader } = openPostgresTarget(log)
  // Every row of a shared trail has seq and hash; actor is a column whether or not this slice uses it.
  const output = createEventOutput(format, context, format === 'csv' ? csvColumns(true, true) : undefined)
  try {
    const limit = options.limit
    for await (const event of reader.events({ ...filter, order, ...(limit === undefined || residual ? {} : { limit }) })) {
      if (residual && !matches(event)) continue
      output.write(event)
      if (limit !== undefined && output.count >= limit) break
    }
    output.end()
  } finally {
    await reader.end()
  }
  if (output.count === 0 && format === 'table') context.err('no matching events\n')
  if (output.count === 0 && options.failEmpty === true) context.exitCode = 1
}
