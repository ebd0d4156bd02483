import { readAt, type AuditEvent, type FileIo } from '@auditrail/core'

/** The header the spec gives, exactly: what every file starts with, and all a file holds unless the extra fields are used. */
export const CSV_COLUMNS = ['timestamp', 'action_type', 'status', 'details', 'error'] as const

/** One column auditrail writes: the spec's five, then `actor`, `seq`, `hash` (in this order, each only when used). */
export type CsvColumn = (typeof CSV_COLUMNS)[number] | 'actor' | 'seq' | 'hash'

/**
 * The columns of one CSV file: the spec's five, optionally followed by `actor`, optionally followed by `seq,hash`
 * (always together). One of four shared, frozen values, so they compare with `===`.
 */
export interface CsvColumns {
  /** Column names in file order. */
  readonly names: readonly CsvColumn[]
  /** Has an `actor` column. */
  readonly actor: boolean
  /** Has the hash chain's `seq,hash` columns. */
  readonly chain: boolean
}

function variant(actor: boolean, chain: boolean): CsvColumns {
  const names: CsvColumn[] = [...CSV_COLUMNS, ...(actor ? (['actor'] as const) : []), ...(chain ? (['seq', 'hash'] as const) : [])]
  return Object.freeze({ names: Object.freeze(names), actor, chain })
}

// Indexed by actor + 2 × chain.
const VARIANTS = [variant(false, false), variant(true, false), variant(false, true), variant(true, true)] as const

/** The columns with `actor` and/or `seq,hash` after the spec's five. */
export function csvColumns(actor: boolean, chain: boolean): CsvColumns {
  return VARIANTS[(actor ? 1 : 0) + (chain ? 2 : 0)] as CsvColumns
}

/** The spec's five columns only: what a file holds unless an event uses the extra fields. */
export const SPEC_COLUMNS: CsvColumns = VARIANTS[0]

/** The columns `event` needs: `actor` when it has an actor, `seq,hash` when it has either. */
export function columnsFor(event: AuditEvent): CsvColumns {
  return VARIANTS[(event.actor === undefined ? 0 : 1) + (event.seq === undefined && event.hash === undefined ? 0 : 2)] as CsvColumns
}

/** True when `columns` has every column `needed` has. */
export function coversColumns(columns: CsvColumns, needed: CsvColumns): boolean {
  return (columns.actor || !needed.actor) && (columns.chain || !needed.chain)
}

/** The columns of both. */
export function unionColumns(a: CsvColumns, b: CsvColumns): CsvColumns {
  return csvColumns(a.actor || b.actor, a.chain || b.chain)
}

/** The header line of `columns`, ended by `recordDelimiter`. */
export function encodeHeader(columns: CsvColumns, recordDelimiter: string): string {
  return `${columns.names.join(',')}${recordDelimiter}`
}

const BY_HEADER = new Map(VARIANTS.map((columns) => [columns.names.join(','), columns]))

/** The longest header line, without its line break. */
const LONGEST_HEADER = VARIANTS[3].names.join(',').length

/** The columns a header line (without its line break) names, or `undefined` when it is not one of the four. */
export function parseHeader(line: string): CsvColumns | undefined {
  return BY_HEADER.get(line)
}

/** Line 1 of the file open at `fd`: which of the four headers, its line break and its length in bytes; `undefined` when none. */
export function readHeader(io: FileIo, fd: number): { columns: CsvColumns; delimiter: '\r\n' | '\n'; length: number } | undefined {
  // Latin-1: one character per byte, so offsets are byte offsets (a header is ASCII; other bytes match nothing).
  const head = readAt(io, fd, 0, LONGEST_HEADER + 2).toString('latin1')
  const lf = head.indexOf('\n')
  if (lf === -1) return undefined
  const crlf = head[lf - 1] === '\r'
  const columns = parseHeader(head.slice(0, crlf ? lf - 1 : lf))
  return columns === undefined ? undefined : { columns, delimiter: crlf ? '\r\n' : '\n', length: lf + 1 }
}

/** What a header must be, for error messages. */
export const EXPECTED_HEADER = `${CSV_COLUMNS.join(',')} (optionally followed by ,actor and then ,seq,hash)`
