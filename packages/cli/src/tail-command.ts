import * as fs from 'node:fs'
import { START_POSITION, type AuditEvent } from '@auditrail/core'
import { csvColumns, type CsvColumns } from '@auditrail/sink-csv'
import { Command } from 'commander'
import type { CliContext } from './cli-context.js'
import { helpExamples, LOG_ARGUMENT_HELP } from './command-help.js'
import { addEventFormatOptions, createEventOutput, csvColumnsOf, eventFormatOf, type EventFormat, type EventOutput } from './event-output.js'
import { openLogReader, DEFAULT_TARGET, resolveLogTarget, type LogTarget } from '@auditrail/verify'
import { followLog, readLogTail, type TailCursor } from './log-tail.js'
import { parseCount, parsePositive } from './option-parsers.js'
import { followPostgres, isPostgresTarget } from './postgres-target.js'

interface TailOptions {
  readonly lines: number
  readonly follow?: boolean
  readonly interval: number
  readonly json?: boolean
  readonly jsonl?: boolean
  readonly csv?: boolean
  readonly wide?: boolean
}

/** A directory (or a path not there yet) a follower may wait on until a log appears in it. */
function mayAppear(path: string): boolean {
  return !fs.existsSync(path) || fs.statSync(path).isDirectory()
}

/** `auditrail tail`: the last events, oldest of them first; `-f` keeps printing new ones as any process writes them. */
export function createTailCommand(context: CliContext): Command {
  const command = new Command('tail')
    .description('print the last events, oldest of them first; -f keeps printing new events as any process writes them')
    .argument('[log]', LOG_ARGUMENT_HELP, DEFAULT_TARGET)
    .option('-n, --lines <n>', 'how many events', parseCount, 10)
    .option('-f, --follow', 'keep running and print events as they are written (waits for the log to appear); stop with Ctrl-C')
    .option('--interval <ms>', 'how often -f polls the file, in milliseconds', parsePositive, 250)
  return addEventFormatOptions(command, 'print a JSON array (with -f: one JSON event per line)')
    .addHelpText('after', helpExamples('auditrail tail -n 20', 'auditrail tail -f runs/42 --jsonl | jq .action_type'))
    .action(async (log: string, options: TailOptions) => {
      const follow = options.follow === true
      // A JSON array never closes while following: print JSON Lines instead, which a consumer can read as they come.
      const format: EventFormat = follow && options.json === true ? 'jsonl' : eventFormatOf(options)
      if (isPostgresTarget(log)) {
        await tailPostgres(log, options, format, context)
        return
      }
      // Made at the first print: CSV's header is a CSV log's own, or the columns a JSON log's first events printed need.
      // Following, a later event needing more (the log gained actor or seq,hash) ends the command with `invalid`.
      let output: EventOutput | undefined
      const print = (events: readonly AuditEvent[], csvColumns: CsvColumns | undefined): void => {
        output ??= createEventOutput(format, context, format === 'csv' ? (csvColumns ?? csvColumnsOf(events)) : undefined, { wide: options.wide === true })
        for (const event of events) output.write(event)
      }
      // Handlers first: a stop requested as soon as the first lines show must still end the follow cleanly.
      const controller = new AbortController()
      const stop = (): void => controller.abort()
      if (follow) {
        process.once('SIGINT', stop)
        process.once('SIGTERM', stop)
      }
      let failure: unknown
      try {
        let target: LogTarget | undefined
        let cursor: TailCursor = { position: START_POSITION }
        try {
          target = resolveLogTarget(log)
        } catch (error) {
          if (!follow || !mayAppear(log)) throw error
          context.err(`[auditrail] [cli] waiting for a log to appear (${log})\n`)
        }
        if (target !== undefined) {
          const reader = openLogReader(target)
          try {
            const tail = readLogTail(reader, options.lines)
            print(tail.events, reader.csvColumns)
            cursor = tail.cursor
          } finally {
            reader.close()
          }
        }
        if (follow) {
          context.out.flush()
          await followLog(target, cursor, {
            path: log,
            intervalMs: options.interval,
            signal: controller.signal,
            onEvents(events) {
              try {
                print(events, undefined)
              } catch (error) {
                // Not a failed poll to retry (the follower has moved past these events): stop, and report it.
                failure = error
                controller.abort()
              }
              context.out.flush()
            },
          })
          if (failure !== undefined) throw failure
        }
      } finally {
        process.off('SIGINT', stop)
        process.off('SIGTERM', stop)
      }
      const ended = output ?? createEventOutput(format, context)
      ended.end()
    })
}

/** `tail [-f]` of a PostgreSQL trail: the last rows by seq, then, following, the rows after the newest seen. */
async function tailPostgres(log: string, options: TailOptions, format: EventFormat, context: CliContext): Promise<void> {
  // Every row of a shared trail has seq and hash; actor is a column whether or not these rows use it.
  const output = createEventOutput(format, context, format === 'csv' ? csvColumns(true, true) : undefined)
  const controller = new AbortController()
  const stop = (): void => controller.abort()
  const follow = options.follow === true
  if (follow) {
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
  }
  try {
    await followPostgres(log, options.lines, follow, options.interval, controller.signal, (events) => {
      for (const event of events) output.write(event)
      context.out.flush()
    })
  } finally {
    process.off('SIGINT', stop)
    process.off('SIGTERM', stop)
  }
  output.end()
}
