import { hostname } from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'
import { AuditrailError, type AuditEvent, type HmacKey } from '@auditrail/core'
import { appendInTransaction, type StoredHead } from './append-transaction.js'
import { COMPONENT } from './pg-errors.js'
import { checkHost } from './postgres-sink.js'
import { runMigration, tableNames } from './schema.js'
import { createSession, type PostgresConnectionOptions } from './session.js'
import { unstorableError, unstorableField } from './unstorable.js'
import { chainShipped, chainShippedAhead, sameHead, type ChainedBatch, type ShippedOrigin } from './shipped-rows.js'

/** One event of a local log and its 1-based position in it, oldest first. */
export interface ShippedEvent {
  readonly ordinal: number
  readonly event: AuditEvent
}

/**
 * Where the shipper reads: the local log's events from `fromOrdinal` on, oldest first, in chunks. Without `follow`
 * it ends at the log's current end; with it, it keeps yielding what is appended (an empty chunk when caught up is
 * allowed) until `signal` aborts. The file stays the source of truth: the shipper only reads it.
 */
export type ShipSource = (fromOrdinal: number, follow: boolean, signal: AbortSignal) => AsyncIterable<readonly ShippedEvent[]>

/** Options of {@link shipLog}. */
export interface ShipLogOptions extends PostgresConnectionOptions {
  readonly source: ShipSource
  /** The local log's identity, with `host` the key under which its events are stored once each (e.g. its absolute path). */
  readonly logId: string
  /** The shipping host's identity. Default `os.hostname()`. */
  readonly host?: string
  /** Default `auditrail_events`. */
  readonly table?: string
  /** Keep following the log until `signal` aborts. Default `false`: ship what is there, then resolve. */
  readonly follow?: boolean
  /** Ends a follow (and a wait for the database) when aborted. */
  readonly signal?: AbortSignal
  /** Events per transaction (one multi-row INSERT). Default 5000. */
  readonly batchSize?: number
  /** The HMAC key of the shared chain, as its direct writers use. Default: plain SHA-256. */
  readonly hmacKey?: HmacKey
  /** Pause before retrying after a failure (database down, a concurrent shipper), milliseconds. Default 1000. */
  readonly retryMs?: number
  /** Failures in a row before giving up (rejecting with the last). Default: never give up. */
  readonly maxRetries?: number
  /** Run the migration first. Default `true`. */
  readonly migrate?: boolean
  /** Told of each failure that will be retried (a warning line for the CLI). */
  readonly onRetry?: (error: AuditrailError) => void
  /** Told after each committed batch: how many events this run shipped so far, and the newest ordinal stored. */
  readonly onProgress?: (shipped: number, ordinal: number) => void
}

/** What {@link shipLog} did. */
export interface ShipLogResult {
  /** Events inserted by this run. */
  readonly shipped: number
  /** The newest ordinal of this log the table holds. */
  readonly ordinal: number
}

/**
 * Copies a local log into the shared table, each event exactly once and in local order: every (re)start asks the
 * table for the newest ordinal it holds for (`host`, `logId`) and reads on from the next, and a unique constraint on
 * (host, source_log, source_ordinal) refuses a duplicate from a second shipper racing this one. Each batch is chained
 * into the shared chain at insertion; the local `seq`/`hash` are kept in `local_seq`/`local_hash`.
 */
export async function shipLog(options: ShipLogOptions): Promise<ShipLogResult> {
  const session = createSession(options, 'auditrail-ship')
  const table = tableNames(options.table)
  const host = checkHost(options.host ?? hostname())
  if (typeof options.logId !== 'string' || options.logId === '') throw new AuditrailError('options', 'logId: expected a non-empty string', { component: COMPONENT, field: 'logId' })
  const batchSize = options.batchSize ?? 5000
  const retryMs = options.retryMs ?? 1000
  const signal = options.signal ?? new AbortController().signal
  let migrated = options.migrate === false
  let shipped = 0
  let ordinal = 0
  let failures = 0

  const resumePoint = async (): Promise<number> => {
    const client = await session.client()
    try {
      if (!migrated) await runMigration(client, options.table)
      migrated = true
      const result = await client.query<{ n: string | null }>(`SELECT max(source_ordinal) AS n FROM ${table.events} WHERE host = $1 AND source_log = $2`, [host, options.logId])
      return Number(result.rows[0]?.n ?? 0)
    } catch (error) {
      session.discard()
      throw session.error('find where shipping resumes', error)
    }
  }

  const origin: ShippedOrigin = { host, logId: options.logId, ...(options.hmacKey === undefined ? {} : { hmacKey: options.hmacKey }) }
  // Where the chain stands after the batches sent so far if each goes in as chained ahead; undefined when not known.
  let planned: StoredHead | undefined
  // The head the last committed batch left.
  let committed: StoredHead | undefined

  const insert = async (batch: readonly ShippedEvent[], ahead: ChainedBatch | undefined): Promise<void> => {
    const appended = await appendInTransaction(
      session,
      table,
      (head) => {
        if (ahead !== undefined && sameHead(ahead.after, head)) return ahead
        // Another writer came between: chained again after the head it left, and the batches chained ahead of this one
        // are wrong too, so the next batch is chained after a settled commit.
        planned = undefined
        return chainShipped(batch, head, origin)
      },
      'ship events',
      { copy: true },
    )
    committed = appended.head
    shipped += batch.length
    ordinal = (batch[batch.length - 1] as ShippedEvent).ordinal
    options.onProgress?.(shipped, ordinal)
  }

  // The batch being inserted, if any. The next one is read from the source and chained after the head it will leave
  // meanwhile, so that reading, decoding and hashing overlap the server's work; it is checked against the head under
  // the lock, as any batch is. A batch is awaited before the next insert and before any retry: batches commit one
  // after the other, in order.
  let inFlight: Promise<void> | undefined
  const settle = async (): Promise<void> => {
    const pending = inFlight
    inFlight = undefined
    await pending
  }
  const send = async (batch: readonly ShippedEvent[]): Promise<void> => {
    if (planned === undefined) {
      await settle()
      planned = committed
    }
    const after = planned
    const ahead = after === undefined ? undefined : await chainShippedAhead(batch, after, origin)
    // A batch in flight that found another writer's rows meanwhile reset the plan: that stands.
    if (planned === after) planned = ahead?.head
    await settle()
    const pending = insert(batch, ahead)
    // Its failure is taken up by the next settle(): until then, not an unhandled rejection.
    pending.catch(() => undefined)
    inFlight = pending
  }

  try {
    while (!signal.aborted) {
      try {
        ordinal = await resumePoint()
        planned = undefined
        committed = undefined
        let next = ordinal + 1
        let batch: ShippedEvent[] = []
        for await (const chunk of options.source(next, options.follow === true, signal)) {
          for (const item of chunk) {
            if (item.ordinal !== next) {
              throw new AuditrailError('corrupt', `ship: the source gave ordinal ${item.ordinal} where ${next} was due`, { component: COMPONENT, file: options.logId })
            }
            const unstorable = unstorableField(item.event)
            if (unstorable !== undefined) {
              // What comes before it is shipped; it and what follows wait for a fix the server cannot make.
              if (batch.length > 0) await send(batch)
              batch = []
              await settle()
              throw unstorableError(unstorable, `event ${item.ordinal} of the log (${item.event.timestamp} ${item.event.action_type})`, options.logId, `; the table holds this log up to event ${item.ordinal - 1}`)
            }
            next++
            batch.push(item)
            if (batch.length >= batchSize) {
              await send(batch)
              batch = []
            }
          }
          // A chunk boundary is where the source had nothing more at once: ship what is pending rather than wait.
          if (batch.length > 0) {
            await send(batch)
            batch = []
          }
          failures = 0
        }
        await settle()
        if (options.follow !== true) break
      } catch (error) {
        // A batch still in flight settles first (its outcome, if it failed, is as good a reason as this one).
        await settle().catch(() => undefined)
        const failure = error instanceof AuditrailError ? error : session.error('ship events', error)
        // What the server refuses for its content (22xxx) it would refuse every time: not retried, as a damaged source is not.
        if (failure.code === 'corrupt' || failure.code === 'options' || failure.code === 'invalid' || ++failures > (options.maxRetries ?? Number.POSITIVE_INFINITY)) throw failure
        options.onRetry?.(failure)
        await sleep(retryMs, undefined, { signal }).catch(() => undefined)
      }
    }
    return { shipped, ordinal }
  } finally {
    await session.end()
  }
}
