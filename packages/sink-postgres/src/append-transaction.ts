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

/**
 * Appends in one transaction: takes the chain head row's lock (`SELECT … FOR UPDATE`, so writers on every host queue
 * here and share one order), builds the rows after the head, inserts them and moves the head in one statement, and
 * commits. Any failure drops the connection, so the server rolls back: nothing is half-written. Resolves after COMMIT.
 */
export async function appendInTransaction(session: Session, table: TableNames, build: RowBuilder, action: string): Promise<readonly EventRow[]> {
  const client = await session.client()
  let committing = false
  try {
    const [, locked] = (await client.query(`BEGIN; SELECT seq, hash, "timestamp" FROM ${table.head} WHERE id = 1 FOR UPDATE`)) as unknown as [
      unknown,
      { rows: { seq: string; hash: string; timestamp: string | null }[] },
    ]
    const row = locked.rows[0]
    if (row === undefined) throw new Error(`the chain head row of ${table.head} is missing: run the migration`)
    const { rows, stamped } = build({ seq: Number(row.seq), hash: row.hash, timestamp: row.timestamp ?? undefined })
    const last = rows[rows.length - 1]
    if (last !== undefined) {
      const columns: unknown[][] = Array.from({ length: 14 }, () => new Array<unknown>(rows.length))
      rows.forEach((r, i) => {
        const e = r.event
        const values = [e.seq, e.timestamp, e.action_type, e.status, JSON.stringify(e.details), e.error, e.actor ?? null, r.host, e.hash, r.prev, r.sourceLog ?? null, r.sourceOrdinal ?? null, r.localSeq ?? null, r.localHash ?? null]
        for (let c = 0; c < 14; c++) (columns[c] as unknown[])[i] = values[c]
      })
      await client.query(
        `WITH inserted AS (INSERT INTO ${table.events} ${COLUMNS} SELECT * FROM ${UNNEST} RETURNING 1) ` +
          `UPDATE ${table.head} SET seq = $15, hash = $16, "timestamp" = COALESCE($17, "timestamp") WHERE id = 1`,
        [...columns, last.event.seq, last.event.hash, stamped ?? null],
      )
    }
    committing = true
    await client.query('COMMIT')
    return rows
  } catch (error) {
    session.discard()
    // A COMMIT whose answer was lost may have committed: the caller must not count it as acknowledged, and is told so.
    throw session.error(committing ? `${action} (the COMMIT's outcome is unknown)` : action, error)
  }
}
