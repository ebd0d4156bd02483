import type { CsvColumns } from './csv-columns.js'
import { unguardFormula } from './csv-formula-guard.js'

const SEQ = /^[1-9][0-9]{0,15}$/

/**
 * The fields of one row of `columns` as an undecoded event, or a message saying why the row is not one: every row
 * has exactly the header's number of cells; `details` is a JSON object text or empty (`{}`); an empty `error` cell
 * is `null` unless it was quoted (`""`, the empty string); an empty `actor`, `seq` or `hash` cell means the field
 * is absent (no key); `seq` digits become a number (anything else stays a string, for the decoder to refuse);
 * `action_type`, `error` and `actor` lose their formula guard. Shapes are left to the event decoder.
 */
export function rowFields(cells: readonly string[], columns: CsvColumns, errorQuoted: boolean): Record<string, unknown> | string {
  if (cells.length !== columns.names.length) return `expected ${columns.names.length} cells, got ${cells.length} (the header's columns: ${columns.names.join(',')})`
  const [timestamp, actionType, status, details, error] = cells as [string, string, string, string, string]
  let detailsValue: unknown = {}
  if (details !== '') {
    try {
      detailsValue = JSON.parse(details)
    } catch (cause) {
      return `details is not valid JSON (${(cause as Error).message})`
    }
  }
  const fields: Record<string, unknown> = {
    timestamp,
    action_type: unguardFormula(actionType),
    status,
    details: detailsValue,
    error: error === '' && !errorQuoted ? null : unguardFormula(error),
  }
  let at = 5
  if (columns.actor) {
    const actor = cells[at++] as string
    if (actor !== '') fields['actor'] = unguardFormula(actor)
  }
  if (columns.chain) {
    const seq = cells[at++] as string
    const hash = cells[at++] as string
    if (seq !== '') fields['seq'] = SEQ.test(seq) ? Number(seq) : seq
    if (hash !== '') fields['hash'] = hash
  }
  return fields
}

/** True when cell `index` (0-based) of a record's raw text starts with a quote: `""` is the empty string, an empty cell none. */
export function cellQuoted(raw: string, index: number): boolean {
  let at = 0
  for (let cell = 0; cell < index; cell++) {
    if (raw[at] === '"') {
      // A quoted cell ends at a quote not doubled.
      let quote = raw.indexOf('"', at + 1)
      while (quote !== -1 && raw[quote + 1] === '"') quote = raw.indexOf('"', quote + 2)
      if (quote === -1) return false
      at = quote + 1
    } else {
      at = raw.indexOf(',', at)
      if (at === -1) return false
    }
    at++
  }
  return raw[at] === '"'
}
