import { resolve } from 'node:path'
import { setImmediate as giveWayToIo, setTimeout as sleep } from 'node:timers/promises'
import { shipLog, type ShippedEvent, type ShipSource } from '@auditrail/sink-postgres'
import { Command, InvalidArgumentError } from 'commander'
import type { CliContext } from './cli-context.js'
import { helpExamples, LOG_ARGUMENT_HELP } from './command-help.js'
import { openLogAt, readEvents, resolveLogTarget } from '@auditrail/verify'

/** Events handed to the shipper at once when reading a file (its batches may be smaller). */
const CHUNK = 5000

/** Events read between gives of way to I/O: the shipper's batch in flight then moves on while the next is read. */
const SLICE = 500

/**
 * The local log as a {@link ShipSource}: each pass opens the file afresh and reads it oldest first, yielding the events
 * from `fromOrdinal` on; following, it polls every `intervalMs`. A log that is missing or mid-rewrite is retried
 * while following (the file is the source of truth and the shipper waits for it), and fails a one-shot run.
 */
export function fileShipSource(log: string, intervalMs: number): ShipSource {
  return async function* read(fromOrdinal, follow, signal) {
    let next = fromOrdinal
    while (!signal.aborted) {
      let reader: ReturnType<typeof openLogAt> | undefined
      try {
        reader = openLogAt(log)
      } catch (error) {
        if (!follow) throw error
      }
      if (reader !== undefined) {
        try {
          let ordinal = 0
          let chunk: ShippedEvent[] = []
          for (const event of readEvents(reader, 'oldest-first')) {
            if (++ordinal < next) continue
            chunk.push({ ordinal, event })
            if (chunk.length % SLICE === 0) await giveWayToIo()
            if (chunk.length >= CHUNK) {
              yield chunk
              next += chunk.length
              chunk = []
            }
          }
          if (chunk.length > 0) {
            yield chunk
            next += chunk.length
          }
        } finally {
          reader.close()
        }
      }
      if (!follow) return
      await sleep(intervalMs, undefined, { signal }).catch(() => undefined)
    }
  }
}

function positive(text: string): number {
  const value = Number(text)
  if (!Number.isSafeInteger(value) || value < 1) throw new InvalidArgumentError(`expected a whole number ≥ 1, got ${JSON.stringify(text)}`)
  return value
}

interface ShipOptions {
  to: string
  follow?: boolean
  host?: string
  logId?: string
  table?: string
  batch: number
  interval: number
}

/** `auditrail ship`: copies a local log into a shared PostgreSQL trail, each event once, resuming where the table stands. */
export function createShipCommand(context: CliContext): Command {
  return new Command('ship')
    .description('copy a local log into PostgreSQL, each event exactly once and in order; resumes from what the table holds')
    .argument('<log>', LOG_ARGUMENT_HELP)
    .requiredOption('--to <connection>', 'postgres://user@host:port/db (password from PGPASSWORD or ~/.pgpass; several hosts with target_session_attrs=read-write)')
    .option('-f, --follow', 'keep shipping what is appended, until interrupted; wait out a database that is down')
    .option('--host <name>', 'the host identity stored with each event (default: this machine\'s hostname)')
    .option('--log-id <id>', 'the log\'s identity, with --host the key of its events (default: the log file\'s absolute path)')
    .option('--table <name>', 'the events table', 'auditrail_events')
    .option('--batch <n>', 'events per transaction', positive, 5000)
    .option('--interval <ms>', 'how often --follow polls the file', positive, 500)
    .addHelpText('after', helpExamples('auditrail ship runs/42 --to postgres://auditrail@db.internal/audit', 'auditrail ship runs/42 --to postgres://… --follow'))
    .action(async (log: string, options: ShipOptions) => {
      const controller = new AbortController()
      const stop = (): void => controller.abort()
      process.once('SIGINT', stop)
      process.once('SIGTERM', stop)
      try {
        const result = await shipLog({
          connection: options.to,
          source: fileShipSource(log, options.interval),
          logId: options.logId ?? resolve(resolveLogTarget(log).file),
          ...(options.host === undefined ? {} : { host: options.host }),
          table: options.table,
          batchSize: options.batch,
          follow: options.follow === true,
          signal: controller.signal,
          ...(options.follow === true ? {} : { maxRetries: 5 }),
          onRetry: (error) => context.err(`[auditrail] [cli] ${error.message}; retrying\n`),
        })
        context.err(`[auditrail] [cli] shipped ${result.shipped === 1 ? '1 event' : `${result.shipped} events`}; the table holds this log up to event ${result.ordinal}\n`)
      } finally {
        process.off('SIGINT', stop)
        process.off('SIGTERM', stop)
      }
    })
}
