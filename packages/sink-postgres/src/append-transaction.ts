import { from as copyFrom } from 'pg-copy-streams'
import type pg from 'pg'
import { createHash } from 'node:crypto'
import { finished } from 'node:stream/promises'
import { columnsOf, copyText, EVENT_COLUMNS, ONE_ROW, UNNEST_ROWS, valuesOf, type EventRow } from './event-columns.js'
import type { Session } from './session.js'
import type { TableNames } from './schema.js'

/** Where the shared chain stands, read under the head row's lock. */
export interface StoredHead {
  readonly seq: number
  readonly hash: string
  /** The newest timestamp a writer stamped, if any. */
  readonly timestamp: string | undefined
}

/** What a transaction inserts, given the head: the rows (seq head.seq + 1 …) and the newest timestamp stamped, if any. */
export type RowBuilder = (head: StoredHead) => {
  readonly rows: readonly EventRow[]
  readonly stamped?: string
  /** The rows in COPY's text format, when the builder has it already (see `copyText`). */
  readonly copyText?: string | Buffer
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

/** The UPDATE moving the head row to parameters `$first` (seq), `$first+1` (hash), `$first+2` (timestamp, kept if null). */
function moveHead(table: TableNames, first: number): string {
  return `UPDATE ${table.head} SET seq = $${first}, hash = $${first + 1}, "timestamp" = COALESCE($${first + 2}, "timestamp") WHERE id = 1`
}

function isServerError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string' && /^[0-9A-Z]{5}$/.test((error as { code: string }).code)
}

const compareAndSetStatements = new Map<string, { readonly name: string; readonly text: string }>()

/**
 * The compare-and-set append as a named (prepared) statement, parsed and planned once per connection rather than at
 * every append: planning the CTE was more than half the server's time per event. One event takes parameters, not
 * one-element arrays (a third less server time again); a group takes `unnest` of arrays. Named after its text.
 */
function compareAndSetStatement(table: TableNames, oneRow: boolean): { readonly name: string; readonly text: string } {
  const key = `${oneRow ? '1' : 'n'}${table.events}`
  let statement = compareAndSetStatements.get(key)
  if (statement === undefined) {
    const text =
      `WITH moved AS (${moveHead(table, 15)} AND seq = $18 AND hash = $19 RETURNING 1), ` +
      `inserted AS (INSERT INTO ${table.events} ${EVENT_COLUMNS} ${oneRow ? ONE_ROW : `SELECT u.* FROM ${UNNEST_ROWS} AS u`} WHERE EXISTS (SELECT 1 FROM moved) RETURNING 1) ` +
      'SELECT count(*) AS n FROM inserted'
    statement = { name: `auditrail-append-${createHash('sha256').update(text).digest('hex').slice(0, 16)}`, text }
    compareAndSetStatements.set(key, statement)
  }
  return statement
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
    const oneRow = rows.length === 1
    const result = await client.query<{ n: string }>({
      ...compareAndSetStatement(table, oneRow),
      values: [...(oneRow ? valuesOf(last) : columnsOf(rows)), last.event.seq, last.event.hash, stamped ?? null, expected.seq, expected.hash],
    })
    if (Number(result.rows[0]?.n ?? 0) !== rows.length) return undefined
    return { rows, head: headAfter(rows, expected, stamped) }
  } catch (error) {
    session.discard()
    // A statement whose answer was lost may have committed; an error the server sent means it did not.
    throw session.error(isServerError(error) ? action : `${action} (its outcome is unknown)`, error)
  }
}

/** How {@link appendInTransaction} goes about it. */
export interface AppendStrategy {
  /** The head this writer left, if it knows it: tried first in one compare-and-set statement. */
  readonly known?: StoredHead
  /** Told when that statement lost to another writer. */
  readonly onLostRace?: () => void
  /** Insert with `COPY … FROM STDIN` rather than one `INSERT … SELECT FROM unnest(…)`: a third less server time per row, for large batches. */
  readonly copy?: boolean
}

/** Inserts `rows` by COPY in the open transaction; the row count the server reports must be theirs. */
async function copyRows(client: pg.Client, table: TableNames, rows: readonly EventRow[], text: string | Buffer): Promise<void> {
  const stream = client.query(copyFrom(`COPY ${table.events} ${EVENT_COLUMNS} FROM STDIN`))
  stream.end(text)
  // 'finish' comes after the server's CommandComplete and ReadyForQuery, so the rows are in the transaction.
  await finished(stream)
  if (stream.rowCount !== rows.length) throw new Error(`COPY stored ${stream.rowCount} rows of ${rows.length}`)
}

/**
 * Appends, resolving after COMMIT. With the head this writer saw last, first in one statement that commits only if
 * the head is still there ({@link appendIfHeadIs}); otherwise (or when another writer moved it) in one transaction
 * that takes the chain head row's lock (`SELECT … FOR UPDATE`, so writers on every host queue here and share one
 * order), builds the rows after the head, inserts them, moves the head and commits. Any failure drops the
 * connection, so the server rolls back: nothing is half-written.
 */
export async function appendInTransaction(session: Session, table: TableNames, build: RowBuilder, action: string, strategy: AppendStrategy = {}): Promise<Appended> {
  if (strategy.known !== undefined) {
    const appended = await appendIfHeadIs(session, table, build, strategy.known, action)
    if (appended !== undefined) return appended
    strategy.onLostRace?.()
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
    const built = build(head)
    const { rows, stamped } = built
    const last = rows[rows.length - 1]
    if (last !== undefined && strategy.copy === true) {
      await copyRows(client, table, rows, built.copyText ?? copyText(rows))
      await client.query(moveHead(table, 1), [last.event.seq, last.event.hash, stamped ?? null])
    } else if (last !== undefined) {
      await client.query(
        `WITH inserted AS (INSERT INTO ${table.events} ${EVENT_COLUMNS} SELECT * FROM ${UNNEST_ROWS} RETURNING 1) ${moveHead(table, 15)}`,
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
