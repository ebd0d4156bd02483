import { createChainVerifier, FAILURE_STATUSES, inCanonicalOrder, type AuditEvent, type AuditStatus, type ChainFinding, type ChainHead, type HmacKey, type JsonObject, type LogSummary, type ReadOrder } from '@auditrail/core'
import { tableNames } from './schema.js'
import { createSession, type PostgresConnectionOptions } from './session.js'

/** Filters pushed down into SQL (each a parameter, never spliced). */
export interface PostgresEventFilter {
  /** One action type, or any of several. */
  readonly actionType?: string | readonly string[]
  /** `failed` matches WeightsLab's `error` too, as failures are counted everywhere; `error` matches only it. */
  readonly status?: 'success' | 'failed' | 'error'
  /** One actor, or any of several. */
  readonly actor?: string | readonly string[]
  readonly host?: string
  /** Only events after this seq (a follower's resume point). */
  readonly afterSeq?: number
  /** Events at or after this timestamp (compared as text: the fixed-width form orders as time). */
  readonly since?: string
  /** Events strictly before this timestamp. */
  readonly until?: string
  /** At most this many events. */
  readonly limit?: number
}

/** Options of {@link PostgresReader.events}. */
export interface PostgresReadOptions extends PostgresEventFilter {
  /** Default `oldest-first` (seq order). */
  readonly order?: ReadOrder
  /** Rows fetched per round trip; memory stays bounded by it. Default 5000. */
  readonly pageSize?: number
}

/** A stored row: the event, and where it came from. */
export interface PostgresRow {
  readonly event: AuditEvent & { readonly seq: number; readonly hash: string }
  readonly host: string
  readonly sourceLog: string | null
  readonly sourceOrdinal: number | null
  readonly localSeq: number | null
  readonly localHash: string | null
}

/** What {@link PostgresReader.verify} found. */
export interface PostgresVerifyResult {
  readonly checked: number
  readonly head: ChainHead | undefined
  readonly findings: readonly ChainFinding[]
}

/** Options of {@link createPostgresReader}. */
export interface PostgresReaderOptions extends PostgresConnectionOptions {
  /** Default `auditrail_events`. */
  readonly table?: string
}

/** Reads a shared trail: streamed by seq (keyset pages, constant memory), summarized and verified by SQL and core. */
export interface PostgresReader {
  /** Events in seq order (or reverse), filtered in SQL. */
  events(options?: PostgresReadOptions): AsyncIterable<AuditEvent>
  /** Rows with their host and source columns, in seq order. */
  rows(options?: PostgresReadOptions): AsyncIterable<PostgresRow>
  /** `get_log_summary()` computed by the server: counts by action type (in order of first appearance) and status. */
  summarize(filter?: PostgresEventFilter): Promise<LogSummary>
  /** The first and last timestamps of the events the filter selects (text order is time order), or null when none. */
  timeSpan(filter?: PostgresEventFilter): Promise<{ readonly start: string; readonly end: string } | null>
  /** The newest seq stored, 0 when none. */
  headSeq(): Promise<number>
  /** The shared chain checked by core's verifier, oldest first: an edited, deleted or reordered row is found. */
  verify(options?: { readonly hmacKey?: HmacKey; readonly expectHead?: ChainHead }): Promise<PostgresVerifyResult>
  /** Closes the connection. */
  end(): Promise<void>
}

interface RawRow {
  seq: string
  timestamp: string
  action_type: string
  status: AuditStatus
  details: JsonObject
  error: string | null
  actor: string | null
  hash: string
  host: string
  source_log: string | null
  source_ordinal: string | null
  local_seq: string | null
  local_hash: string | null
}

function toRow(raw: RawRow): PostgresRow {
  const { timestamp, action_type, status, error, actor, hash } = raw
  // jsonb keeps keys by length, then bytes: the canonical order instead, the order a chained file stores them in.
  const details = inCanonicalOrder(raw.details)
  const seq = Number(raw.seq)
  const event = Object.freeze(actor === null ? { timestamp, action_type, status, details, error, seq, hash } : { timestamp, action_type, status, details, error, actor, seq, hash })
  return {
    event,
    host: raw.host,
    sourceLog: raw.source_log,
    sourceOrdinal: raw.source_ordinal === null ? null : Number(raw.source_ordinal),
    localSeq: raw.local_seq === null ? null : Number(raw.local_seq),
    localHash: raw.local_hash,
  }
}

/** The WHERE clause and its parameters for `filter` (parameters from `$first`). */
function whereOf(filter: PostgresEventFilter, first = 1): { sql: string[]; values: unknown[] } {
  const sql: string[] = []
  const values: unknown[] = []
  const add = (clause: string, value: unknown): void => {
    values.push(value)
    sql.push(clause.replace('?', `$${first + values.length - 1}`))
  }
  const oneOrAny = (column: string, value: string | readonly string[]): void => (typeof value === 'string' ? add(`${column} = ?`, value) : add(`${column} = ANY(?)`, [...value]))
  if (filter.actionType !== undefined) oneOrAny('action_type', filter.actionType)
  if (filter.status !== undefined) add(filter.status === 'failed' ? 'status = ANY(?)' : 'status = ?', filter.status === 'failed' ? [...FAILURE_STATUSES] : filter.status)
  if (filter.actor !== undefined) oneOrAny('actor', filter.actor)
  if (filter.afterSeq !== undefined) add('seq > ?', filter.afterSeq)
  if (filter.host !== undefined) add('host = ?', filter.host)
  if (filter.since !== undefined) add('"timestamp" >= ?', filter.since)
  if (filter.until !== undefined) add('"timestamp" < ?', filter.until)
  return { sql, values }
}

/** Creates a reader of a shared trail; connects on first use. */
export function createPostgresReader(options: PostgresReaderOptions): PostgresReader {
  const session = createSession(options, 'auditrail-reader')
  const table = tableNames(options.table)

  async function* rows(read: PostgresReadOptions = {}): AsyncGenerator<PostgresRow> {
    const newestFirst = read.order === 'newest-first'
    const pageSize = read.pageSize ?? 5000
    let left = read.limit ?? Number.POSITIVE_INFINITY
    let after: string | undefined
    while (left > 0) {
      const where = whereOf(read)
      if (after !== undefined) {
        where.values.push(after)
        where.sql.push(`seq ${newestFirst ? '<' : '>'} $${where.values.length}`)
      }
      where.values.push(Math.min(pageSize, left))
      const text =
        `SELECT seq, "timestamp", action_type, status, details, error, actor, hash, host, source_log, source_ordinal, local_seq, local_hash FROM ${table.events}` +
        `${where.sql.length === 0 ? '' : ` WHERE ${where.sql.join(' AND ')}`} ORDER BY seq ${newestFirst ? 'DESC' : 'ASC'} LIMIT $${where.values.length}`
      let page: RawRow[]
      try {
        page = (await (await session.client()).query<RawRow>(text, where.values)).rows
      } catch (error) {
        session.discard()
        throw session.error('read events', error)
      }
      for (const raw of page) yield toRow(raw)
      if (page.length < Math.min(pageSize, left)) return
      left -= page.length
      after = (page[page.length - 1] as RawRow).seq
    }
  }

  return {
    rows,
    async *events(read) {
      for await (const row of rows(read)) yield row.event
    },
    async summarize(filter = {}) {
      const where = whereOf(filter)
      const clause = where.sql.length === 0 ? '' : ` WHERE ${where.sql.join(' AND ')}`
      try {
        const client = await session.client()
        const byAction = await client.query<{ action_type: string; n: string }>(
          `SELECT action_type, count(*) AS n, min(seq) AS first FROM ${table.events}${clause} GROUP BY action_type ORDER BY first`,
          where.values,
        )
        const byStatus = await client.query<{ status: string; n: string }>(`SELECT status, count(*) AS n FROM ${table.events}${clause} GROUP BY status ORDER BY min(seq)`, where.values)
        const by_action_type = Object.fromEntries(byAction.rows.map((r) => [r.action_type, Number(r.n)]))
        const by_status = Object.fromEntries(byStatus.rows.map((r) => [r.status, Number(r.n)]))
        return { total_events: byStatus.rows.reduce((sum, r) => sum + Number(r.n), 0), by_action_type, by_status }
      } catch (error) {
        session.discard()
        throw session.error('summarize', error)
      }
    },
    async timeSpan(filter = {}) {
      const where = whereOf(filter)
      const clause = where.sql.length === 0 ? '' : ` WHERE ${where.sql.join(' AND ')}`
      try {
        const result = await (await session.client()).query<{ start: string | null; end: string | null }>(`SELECT min("timestamp") AS start, max("timestamp") AS "end" FROM ${table.events}${clause}`, where.values)
        const row = result.rows[0]
        return row?.start == null || row.end == null ? null : { start: row.start, end: row.end }
      } catch (error) {
        session.discard()
        throw session.error('read the time span', error)
      }
    },
    async headSeq() {
      try {
        const result = await (await session.client()).query<{ n: string | null }>(`SELECT max(seq) AS n FROM ${table.events}`)
        return Number(result.rows[0]?.n ?? 0)
      } catch (error) {
        session.discard()
        throw session.error('read the newest seq', error)
      }
    },
    async verify(verifyOptions = {}) {
      const verifier = createChainVerifier(verifyOptions)
      const findings: ChainFinding[] = []
      let checked = 0
      for await (const row of rows()) {
        checked++
        const finding = verifier.check(row.event)
        if (finding !== undefined) findings.push(finding)
      }
      const end = verifier.finish()
      if (end !== undefined) findings.push(end)
      return { checked, head: verifier.head, findings }
    },
    end: () => session.end(),
  }
}
