import type { AuditEvent } from '@auditrail/core'
import type { Session } from './session.js'
import type { TableNames } from './schema.js'

/** Where the shared chain stands, read under the head row's lock. */
export interface StoredHead {
  readonly seq: number
  readonly hash: string
  /** The newest timestamp a writer stamped, if any. */
  readonly timestamp: string | undefined
}

/** One row to insert: a stored event, who wrote it, and for shipped events where it came from. */
export interface EventRow {
  readonly event: AuditEvent & { readonly seq: number; readonly hash: string }
  readonly prev: string
  readonly host: string
  readonly sourceLog?: string
  readonly sourceOrdinal?: number
  readonly localSeq?: number
  readonly localHash?: string
}

/** What a transaction inserts, given the head: the rows (seq head.seq + 1 …) and the newest timestamp stamped, if any. */
export type RowBuilder = (head: StoredHead) => { readonly rows: readonly EventRow[]; readonly stamped?: string }

const COLUMNS = '(seq, "timestamp", action_type, status, details, error, actor, host, hash, prev, source_log, source_ordinal, local_seq, local_hash)'
const UNNEST =
  'unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::jsonb[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::bigint[], $13::bigint[], $14::text[])'

function columnsOf(rows: readonly EventRow[]): unknown[][] {
  const columns: unknown[][] = Array.from({ length: 14 }, () => new Array<unknown>(rows.length))
  rows.forEach((r, i) => {
    const e = r.event
    const values = [e.seq, e.timestamp, e.action_type, e.status, JSON.stringify(e.details), e.error, e.actor ?? null, r.host, e.hash, r.prev, r.sourceLog ?? null, r.sourceOrdinal ?? null, r.localSeq ?? null, r.localHash ?? null]
    for (let c = 0; c < 14; c++) (columns[c] as unknown[])[i] = values[c]
  })
  return columns
}

/** The head after `rows`, as the next append will find it. */
function headAfter(rows: readonly EventRow[], before: StoredHead, stamped: string | undefined): StoredHead {
  const last = rows[rows.length - 1]
  if (last === undefined) return before
  return { seq: last.event.seq, hash: last.event.hash, timestamp: stamped ?? before.timestamp }
}

/** What an append committed, and where the chain's head is after it. */
export interface Appended {
  readonly rows: readonly EventRow[]
  readonly head: StoredHead
}

function isServerError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string' && /^[0-9A-Z]{5}$/.test((error as { code: string }).code)
}

/**
 * Appends after `expected` in one statement, committed by itself: the head row moves only if it still is
 * `expected` (compare-and-set under its row lock), and the rows are inserted only if it moved. One round trip
 * where the locking transaction takes three; `undefined` when another writer moved the head first.
 */
async function appendIfHeadIs(session: Session, table: TableNames, build: RowBuilder, expected: StoredHead, action: string): Promise<Appended | undefined> {
  const { rows, stamped } = build(expected)
  const last = rows[rows.length - 1]
  if (last === undefined) return { rows, head: expected }
  const client = await session.client()
  try {
    const result = await client.query<{ n: string }>(
      `WITH moved AS (UPDATE ${table.head} SET seq = $15, hash = $16, "timestamp" = COALESCE($17, "timestamp") WHERE id = 1 AND seq = $18 AND hash = $19 RETURNING 1), ` +
        `inserted AS (INSERT INTO ${table.events} ${COLUMNS} SELECT u.* FROM ${UNNEST} AS u WHERE EXISTS (SELECT 1 FROM moved) RETURNING 1) ` +
        'SELECT count(*) AS n FROM inserted',
      [...columnsOf(rows), last.event.seq, last.event.hash, stamped ?? null, expected.seq, expected.hash],
    )
    if (Number(result.rows[0]?.n ?? 0) !== rows.length) return undefined
    return { rows, head: headAfter(rows, expected, stamped) }
  } catch (error) {
    session.discard()
    // A statement whose answer was lost may have committed; an error the server sent means it did not.
    throw session.error(isServerError(error) ? action : `${action} (its outcome is unknown)`, error)
  }
}

/**
 * Appends, resolving after COMMIT. With the head this writer saw last, first in one statement that commits only if
 * the head is still there ({@link appendIfHeadIs}); otherwise (or when another writer moved it) in one transaction
 * that takes the chain head row's lock (`SELECT … FOR UPDATE`, so writers on every host queue here and share one
 * order), builds the rows after the head, inserts them, moves the head and commits. Any failure drops the
 * connection, so the server rolls back: nothing is half-written.
 */
export async function appendInTransaction(session: Session, table: TableNames, build: RowBuilder, action: string, known?: StoredHead, onLostRace?: () => void): Promise<Appended> {
  if (known !== undefined) {
    const appended = await appendIfHeadIs(session, table, build, known, action)
    if (appended !== undefined) return appended
    onLostRace?.()
  }
  const client = await session.client()
  let committing = false
  try {
    const [, locked] = (await client.query(`BEGIN; SELECT seq, hash, "timestamp" FROM ${table.head} WHERE id = 1 FOR UPDATE`)) as unknown as [
      unknown,
      { rows: { seq: string; hash: string; timestamp: string | null }[] },
    ]
    const row = locked.rows[0]
    if (row === undefined) throw new Error(`the chain head row of ${table.head} is missing: run the migration`)
    const head: StoredHead = { seq: Number(row.seq), hash: row.hash, timestamp: row.timestamp ?? undefined }
    const { rows, stamped } = build(head)
    const last = rows[rows.length - 1]
    if (last !== undefined) {
      await client.query(
        `WITH inserted AS (INSERT INTO ${table.events} ${COLUMNS} SELECT * FROM ${UNNEST} RETURNING 1) ` +
          `UPDATE ${table.head} SET seq = $15, hash = $16, "timestamp" = COALESCE($17, "timestamp") WHERE id = 1`,
        [...columnsOf(rows), last.event.seq, last.event.hash, stamped ?? null],
      )
    }
    committing = true
    await client.query('COMMIT')
    return { rows, head: headAfter(rows, head, stamped) }
  } catch (error) {
    session.discard()
    // A COMMIT whose answer was lost may have committed: the caller must not count it as acknowledged, and is told so.
    throw session.error(committing ? `${action} (the COMMIT's outcome is unknown)` : action, error)
  }
}
