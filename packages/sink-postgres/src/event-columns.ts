import type { AuditEvent } from '@auditrail/core'

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

/** The columns an {@link EventRow} fills, in the order of {@link valuesOf}. */
export const EVENT_COLUMNS = '(seq, "timestamp", action_type, status, details, error, actor, host, hash, prev, source_log, source_ordinal, local_seq, local_hash)'

/** `unnest` of one array parameter per column ($1 … $14), the rows of {@link columnsOf}. */
export const UNNEST_ROWS =
  'unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::jsonb[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::bigint[], $13::bigint[], $14::text[])'

/** The same columns as parameters $1 … $14 of one row: the single-event append needs no arrays. */
export const ONE_ROW = 'SELECT $1::bigint, $2::text, $3::text, $4::text, $5::jsonb, $6::text, $7::text, $8::text, $9::text, $10::text, $11::text, $12::bigint, $13::bigint, $14::text'

type ColumnValue = string | number | null

/** One row's values, the parameters of {@link ONE_ROW}. */
export function valuesOf(r: EventRow): ColumnValue[] {
  const e = r.event
  return [e.seq, e.timestamp, e.action_type, e.status, JSON.stringify(e.details), e.error, e.actor ?? null, r.host, e.hash, r.prev, r.sourceLog ?? null, r.sourceOrdinal ?? null, r.localSeq ?? null, r.localHash ?? null]
}

/** The rows as one array per column, the parameters of {@link UNNEST_ROWS}. */
export function columnsOf(rows: readonly EventRow[]): ColumnValue[][] {
  const columns: ColumnValue[][] = Array.from({ length: 14 }, () => new Array<ColumnValue>(rows.length))
  rows.forEach((r, i) => {
    const values = valuesOf(r)
    for (let c = 0; c < 14; c++) (columns[c] as ColumnValue[])[i] = values[c] as ColumnValue
  })
  return columns
}

const COPY_SPECIAL = /[\\\t\n\r]/
const COPY_ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' }

/** One value in COPY's text format: `\N` for null; a backslash, tab, newline or CR escaped (details' JSON may hold them). */
function copyField(value: ColumnValue): string {
  if (value === null) return '\\N'
  if (typeof value === 'number') return String(value)
  return COPY_SPECIAL.test(value) ? value.replace(/[\\\t\n\r]/g, (c) => COPY_ESCAPES[c] as string) : value
}

/** One row as a line of COPY's text format (tab-separated, no newline), for `COPY <table> {@link EVENT_COLUMNS} FROM STDIN`. */
export function copyLine(row: EventRow): string {
  const e = row.event
  // Spelled out rather than valuesOf(row).map(copyField): no two arrays per row, a tenth of a shipped event's client time.
  return (
    `${e.seq}\t${copyField(e.timestamp)}\t${copyField(e.action_type)}\t${copyField(e.status)}\t${copyField(JSON.stringify(e.details))}\t${copyField(e.error)}\t` +
    `${copyField(e.actor ?? null)}\t${copyField(row.host)}\t${copyField(e.hash)}\t${copyField(row.prev)}\t${copyField(row.sourceLog ?? null)}\t${copyField(row.sourceOrdinal ?? null)}\t` +
    `${copyField(row.localSeq ?? null)}\t${copyField(row.localHash ?? null)}`
  )
}

/** The rows in COPY's text format, one line each. */
export function copyText(rows: readonly EventRow[]): string {
  return `${rows.map(copyLine).join('\n')}\n`
}
