import type { CsvColumns } from './csv-columns.js'
import { unguardFormula } from './csv-formula-guard.js'

const SEQ = /^[1-9][0-9]{0,15}$/
/** Cells of a row of the spec's five columns, as the Python original writes every row. */
const SPEC_CELLS = 5

/**
 * The fields of one row of `columns` as an undecoded event, or a message saying why the row is not one: every row
 * has exactly the header's number of cells, or the spec's five (a row the Python original appended: the others
 * empty); `details` is a JSON object text or empty (`{}`); an empty `error` cell is `null` unless it was quoted (`""`, the empty string); an empty `actor`, `seq` or `hash` cell means the field
 * is absent (no key); `seq` digits become a number (anything else stays a string, for the decoder to refuse);
 * `action_type`, `error` and `actor` lose their formula guard. Shapes are left to the event decoder.
 */
export function rowFields(cells: readonly string[], columns: CsvColumns, errorQuoted: boolean): Record<string, unknown> | string {
  // The Python original appends the spec's five cells whatever the header says, and its csv.DictReader reads the
  // missing ones as empty: so does this. Any other count is not a row either writer produces.
  const pythonRow = cells.length === SPEC_CELLS && columns.names.length > SPEC_CELLS
  if (cells.length !== columns.names.length && !pythonRow) return `expected ${columns.names.length} cells, got ${cells.length} (the header's columns: ${columns.names.join(',')})`
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
  let at = SPEC_CELLS
  if (columns.actor) {
    const actor = cells[at++] ?? ''
    if (actor !== '') fields['actor'] = unguardFormula(actor)
  }
  if (columns.chain) {
    const seq = cells[at++] ?? ''
    const hash = cells[at++] ?? ''
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
