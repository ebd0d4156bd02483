import type { Framing, ProblemEntry } from '@auditrail/core'

/** The CSV scanner's state at a byte: immutable, so a reverse read can checkpoint it. */
export interface CsvScanState {
  readonly inQuotes: boolean
  /** Offset where the open record started, or -1 between records. */
  readonly recordStart: number
}

/**
 * Finds the records of RFC 4180 CSV: a record per row, from its first byte to its line feed (a CR before it
 * stays in the record). In RFC 4180 a `"` only opens, closes or doubles inside a quoted cell, so quote parity
 * alone tells a line break inside a cell from one that ends a row.
 */
export const csvFraming: Framing<CsvScanState> = {
  initial: { inQuotes: false, recordStart: -1 },
  scan(block, base, state, marks) {
    let { inQuotes, recordStart } = state
    for (let i = 0; i < block.length; i++) {
      const b = block[i] as number
      if (inQuotes) {
        if (b === 0x22) inQuotes = false
        continue
      }
      if (recordStart < 0) {
        recordStart = base + i
        marks.push({ kind: 'start', at: recordStart })
      }
      if (b === 0x22) inQuotes = true
      else if (b === 0x0a) {
        marks.push({ kind: 'end', at: base + i })
        recordStart = -1
      }
    }
    return { inQuotes, recordStart }
  },
  finish(state, _end, marks) {
    if (state.recordStart >= 0) marks.push(tornRowWarning(state.recordStart, state.inQuotes))
  },
}

/** The warning for a last row at `at` that no line break ends (a write in progress, or torn): readers skip it. */
export function tornRowWarning(at: number, inQuotes: boolean): ProblemEntry {
  return {
    kind: 'problem',
    at,
    severity: 'warning',
    message: `the last row is not ended by a line break${inQuotes ? ' and ends inside a quoted cell' : ''} (a write in progress, or torn); skipped`,
  }
}
