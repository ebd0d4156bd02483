import { hostname } from 'node:os'
import { AuditrailError, sealEvent, type AppendContext, type AuditEvent, type AuditSink, type PendingEvent } from '@auditrail/core'
import { appendInTransaction, type StoredHead } from './append-transaction.js'
import type { EventRow } from './event-columns.js'
import { COMPONENT } from './pg-errors.js'
import { runMigration, tableNames } from './schema.js'
import { createSession, type PostgresConnectionOptions } from './session.js'
import { unstorableError, unstorableField } from './unstorable.js'

/** Options of {@link createPostgresSink}. */
export interface PostgresSinkOptions extends PostgresConnectionOptions {
  /** The events table, `name` or `schema.name`. Default `auditrail_events` (and `auditrail_events_head`). */
  readonly table?: string
  /** This writer's identity, stored in every row's `host`. Default: `os.hostname()`. */
  readonly host?: string
  /** Run the (idempotent) migration on first connect. Default `true`; `false` for a writer role that may not create tables. */
  readonly migrate?: boolean
}

/** The PostgreSQL sink: events committed by `append` (through `logEventAsync`); `write` is refused. */
export interface PostgresSink extends AuditSink {
  append(events: readonly PendingEvent[], context: AppendContext): Promise<readonly AuditEvent[]>
  /** Closes the connection once the call in flight, if any, settled. */
  end(): Promise<void>
}

/** Validates a host identity: non-empty, no control characters. */
export function checkHost(host: string): string {
  // eslint-disable-next-line no-control-regex
  if (typeof host !== 'string' || host === '' || /[\u0000-\u001f\u007f]/.test(host)) {
    throw new AuditrailError('options', `host: expected a non-empty string without control characters, got ${JSON.stringify(host)}`, { component: COMPONENT, field: 'host' })
  }
  return host
}

/** Appends that take the lock at once after a compare-and-set lost to another writer. */
const LOCKED_AFTER_LOST_RACE = 32

/**
 * Creates a sink appending to a PostgreSQL table shared by writers on many hosts: each `append` is one transaction
 * under the chain head row's lock (see `appendInTransaction`), so every event gets the next `seq`, a timestamp
 * strictly after the newest stored one, and the hash the file chain would give it. Options are validated here;
 * the first append connects (and migrates).
 */
export function createPostgresSink(options: PostgresSinkOptions): PostgresSink {
  const session = createSession(options, 'auditrail-sink')
  const table = tableNames(options.table)
  const host = checkHost(options.host ?? hostname())
  const migrate = options.migrate ?? true
  let migrated = !migrate
  let closed = false
  let inFlight: Promise<unknown> = Promise.resolve()
  // The head this writer left: its next append tries one compare-and-set statement before taking the lock.
  let knownHead: StoredHead | undefined
  // After a compare-and-set lost to another writer, the next appends take the lock at once: under contention the
  // statement would mostly lose again, a wasted round trip each time. It is tried again after this many.
  let lockedAppendsLeft = 0

  const ensureOpen = (): void => {
    if (closed) throw new AuditrailError('closed', 'use after close', { component: COMPONENT, file: session.display })
  }

  const appendBatch = async (events: readonly PendingEvent[], context: AppendContext): Promise<readonly AuditEvent[]> => {
    if (!migrated) {
      const client = await session.client()
      try {
        await runMigration(client, options.table)
      } catch (error) {
        session.discard()
        throw session.error('run the migration', error)
      }
      migrated = true
    }
    const appended = await appendInTransaction(
      session,
      table,
      (head) => {
        if (head.timestamp !== undefined) context.clock.observe(head.timestamp)
        let previous = head.hash
        let stamped: string | undefined
        const built: EventRow[] = events.map((pending, i) => {
          stamped = context.clock.now()
          const event = sealEvent(pending, stamped, head.seq + i + 1, previous, context.hmacKey) as EventRow['event']
          const row: EventRow = { event, prev: previous, host }
          previous = event.hash
          return row
        })
        return stamped === undefined ? { rows: built } : { rows: built, stamped }
      },
      'append',
      { known: lockedAppendsLeft > 0 ? undefined : knownHead, onLostRace: () => (lockedAppendsLeft = LOCKED_AFTER_LOST_RACE) },
    ).catch((error: unknown) => {
      knownHead = undefined // after a failure, read the head under its lock again
      throw error
    })
    knownHead = appended.head
    if (lockedAppendsLeft > 0) lockedAppendsLeft--
    return appended.rows.map((row) => row.event)
  }

  return {
    name: COMPONENT,
    path: session.display,
    write() {
      ensureOpen()
      throw new AuditrailError('options', 'sink-postgres commits over the network: use logEventAsync, which resolves after COMMIT', { component: COMPONENT, field: 'logEvent' })
    },
    refuse(event) {
      const field = unstorableField(event)
      return field === undefined ? undefined : unstorableError(field, `this ${event.action_type} event`, session.display)
    },
    append(events, context) {
      try {
        ensureOpen()
      } catch (error) {
        return Promise.reject(error)
      }
      const done = appendBatch(events, context)
      inFlight = done.catch(() => undefined)
      return done
    },
    async end() {
      closed = true
      await inFlight
      await session.end()
    },
    close() {
      if (closed) return
      closed = true
      // A commit in flight settles first (its caller learns the outcome); the connection closes after it.
      void inFlight.then(() => session.end())
    },
  }
}
