import pg from 'pg'
import type { ConnectionOptions } from 'node:tls'
import { AuditrailError } from '@auditrail/core'
import { parseConnectionTarget, passwordOf, type ConnectionTarget } from './connection-target.js'
import { COMPONENT, postgresError } from './pg-errors.js'

/** How to reach the server; shared by the sink, the shipper and the reader. */
export interface PostgresConnectionOptions {
  /**
   * A libpq connection string: `postgres://user:pw@host:port/db?sslmode=verify-full`, several hosts
   * (`host1:5432,host2:5432` or `host=a,b port=p,q`) with `target_session_attrs=read-write` to follow a failover.
   */
  readonly connection: string
  /** TLS options as node-postgres takes them (`ca`, `cert`, `key`, `rejectUnauthorized`…). Default: as the string says. */
  readonly ssl?: boolean | ConnectionOptions
  /** The password, kept out of the connection string (and of every message). Default: the string's, or `PGPASSWORD`. */
  readonly password?: string
  /** Server-side limit on each statement, milliseconds; a slow server then fails the call (`io`). Default 10000. */
  readonly statementTimeoutMs?: number
  /** Limit on opening a connection, per host, milliseconds. Default 5000. */
  readonly connectTimeoutMs?: number
}

/** One connection at a time, opened on demand and dropped on any failure so that the next use reconnects. */
export interface Session {
  /** The connected client (connecting first, trying each host in order). */
  client(): Promise<pg.Client>
  /** Drops the current connection (the server rolls back whatever it had open). */
  discard(): void
  /** The address without the password, for messages. */
  readonly display: string
  /** Wraps a failure of `action` as an AuditrailError without the password. */
  error(action: string, cause: unknown): AuditrailError
  /** Closes the connection. Idempotent. */
  end(): Promise<void>
}

function checkMs(value: number | undefined, field: string, fallback: number): number {
  if (value === undefined) return fallback
  if (!Number.isSafeInteger(value) || value < 0) throw new AuditrailError('options', `${field}: expected a whole number of milliseconds ≥ 0, got ${String(value)}`, { component: COMPONENT, field })
  return value
}

/** Validates the connection options (before any I/O) and returns a session that connects on first use. */
export function createSession(options: PostgresConnectionOptions, applicationName: string): Session {
  if (typeof options !== 'object' || options === null) throw new AuditrailError('options', 'options: expected an object with a connection string', { component: COMPONENT, field: 'connection' })
  const target: ConnectionTarget = parseConnectionTarget(options.connection)
  const statementTimeout = checkMs(options.statementTimeoutMs, 'statementTimeoutMs', 10_000)
  const connectTimeout = checkMs(options.connectTimeoutMs, 'connectTimeoutMs', 5_000)
  const secret = options.password ?? passwordOf(options.connection) ?? process.env.PGPASSWORD
  let current: pg.Client | undefined
  let connecting: Promise<pg.Client> | undefined
  let broken = false

  const open = async (): Promise<pg.Client> => {
    let last: unknown = new Error('no host to try')
    for (const url of target.urls) {
      const client = new pg.Client({
        connectionString: url,
        ...(options.password === undefined ? {} : { password: options.password }),
        ...(options.ssl === undefined ? {} : { ssl: options.ssl }),
        statement_timeout: statementTimeout,
        connectionTimeoutMillis: connectTimeout,
        application_name: applicationName,
      })
      // A dropped connection is reported by the next query; the event only marks it so that it is not reused.
      client.on('error', () => {
        if (current === client) broken = true
      })
      try {
        await client.connect()
        if (target.readWrite) {
          const recovery = await client.query<{ standby: boolean }>('SELECT pg_is_in_recovery() AS standby')
          if (recovery.rows[0]?.standby === true) throw new Error('the server is a standby (in recovery), not read-write')
        }
        return client
      } catch (error) {
        last = error
        // The connection failed or is of no use; ending it can fail the same way, which tells nothing more.
        client.end().catch(() => undefined)
      }
    }
    throw last
  }

  const session: Session = {
    display: target.display,
    async client() {
      if (current !== undefined && !broken) return current
      session.discard()
      connecting ??= open().finally(() => {
        connecting = undefined
      })
      try {
        current = await connecting
      } catch (error) {
        throw session.error('connect', error)
      }
      broken = false
      return current
    },
    discard() {
      const old = current
      current = undefined
      broken = false
      // The connection is being dropped because it failed or its transaction must not go on: its end can fail too.
      old?.end().catch(() => undefined)
    },
    error(action, cause) {
      return postgresError(action, target.display, cause, secret)
    },
    async end() {
      const old = current
      current = undefined
      if (old !== undefined) await old.end().catch(() => undefined)
    },
  }
  return session
}
