/*
 * CSV formula injection (OWASP "CSV Injection"): a spreadsheet may run a cell that begins with `=`, `+`, `-`, `@`, a
 * tab or a carriage return as a formula. OWASP's fix is a leading apostrophe, which spreadsheets show as text.
 * Guarding every cell that starts with optional apostrophes and then such a character (not only those starting with
 * it) makes the guard a bijection: the reader removes exactly one apostrophe from exactly the cells the guard can
 * produce, so every value round-trips, and cells that never needed the guard are written and read unchanged.
 */

const NEEDS_GUARD = /^'*[=+\-@\t\r]/
const GUARDED = /^'+[=+\-@\t\r]/

/**
 * Guards a text cell against formula injection: a value matching `/^'*[=+\-@\t\r]/` gets one more leading `'`
 * (`=SUM(A1)` → `'=SUM(A1)`, `'-1` → `''-1`); any other value is returned as it is.
 */
export function guardFormula(value: string): string {
  return NEEDS_GUARD.test(value) ? `'${value}` : value
}

/**
 * Undoes {@link guardFormula}: a cell matching `/^'+[=+\-@\t\r]/` loses exactly one leading `'`; any other cell is
 * returned as it is. `unguardFormula(guardFormula(s)) === s` for every string `s`.
 */
export function unguardFormula(cell: string): string {
  return GUARDED.test(cell) ? cell.slice(1) : cell
}
