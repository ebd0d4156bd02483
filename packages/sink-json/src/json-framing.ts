import type { Framing, Mark } from '@auditrail/core'

/** Where the scanner is, outside strings and nested values. */
type Expect = 'open' | 'first' | 'value' | 'comma' | 'done' | 'junk'

/** The JSON array scanner's state at a byte: immutable, so a reverse read can checkpoint it. */
export interface JsonScanState {
  readonly depth: number
  readonly inString: boolean
  readonly escaped: boolean
  /** Inside a bare scalar element (number, `true`, …) at depth 1. */
  readonly scalar: boolean
  readonly expect: Expect
}

const QUOTE = 0x22
const BACKSLASH = 0x5c

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09
}

/**
 * Finds the elements of one JSON array of any layout (the Python original's indent-2, one per line,
 * all on one line): a record per element, from its first byte to just after its last. Reports misplaced
 * commas, content after the array and an array cut short; the elements themselves are parsed by the reader.
 */
export const jsonArrayFraming: Framing<JsonScanState> = {
  initial: { depth: 0, inString: false, escaped: false, scalar: false, expect: 'open' },
  scan(block, base, state, marks) {
    let { depth, inString, escaped, scalar, expect } = state
    const problem = (i: number, message: string): void => {
      marks.push({ kind: 'problem', at: base + i, severity: 'error', message })
    }
    for (let i = 0; i < block.length; i++) {
      const b = block[i] as number
      if (inString) {
        if (escaped) escaped = false
        else if (b === BACKSLASH) escaped = true
        else if (b === QUOTE) {
          inString = false
          if (depth === 1) {
            marks.push({ kind: 'end', at: base + i + 1 })
            expect = 'comma'
          }
        }
        continue
      }
      if (scalar) {
        if (!isSpace(b) && b !== 0x2c && b !== 0x5d) continue
        marks.push({ kind: 'end', at: base + i })
        scalar = false
        expect = 'comma'
      }
      if (depth >= 2) {
        if (b === QUOTE) inString = true
        else if (b === 0x7b || b === 0x5b) depth++
        else if (b === 0x7d || b === 0x5d) {
          depth--
          if (depth === 1) {
            marks.push({ kind: 'end', at: base + i + 1 })
            expect = 'comma'
          }
        }
        continue
      }
      if (isSpace(b)) continue
      if (depth === 1) {
        if (b === 0x5d) {
          if (expect === 'value') problem(i, 'a comma before the closing bracket')
          depth = 0
          expect = 'done'
        } else if (b === 0x2c) {
          if (expect === 'comma') expect = 'value'
          else problem(i, 'unexpected comma')
        } else {
          if (expect === 'comma') problem(i, 'missing comma before this event')
          marks.push({ kind: 'start', at: base + i })
          if (b === 0x7b || b === 0x5b) depth = 2
          else if (b === QUOTE) inString = true
          else scalar = true
        }
        continue
      }
      if (expect === 'open' && b === 0x5b) {
        depth = 1
        expect = 'first'
      } else if (expect === 'open' || expect === 'done') {
        problem(i, expect === 'open' ? 'not a JSON array (expected "[")' : 'content after the closing bracket')
        expect = 'junk'
      }
    }
    return { depth, inString, escaped, scalar, expect }
  },
  finish(state, end, marks: Mark[]) {
    if (state.expect === 'open') marks.push({ kind: 'problem', at: end, severity: 'error', message: 'no JSON array in the file' })
    else if (state.depth > 0 || state.inString) {
      marks.push({ kind: 'problem', at: end, severity: 'error', message: 'the file ends inside the array (truncated?)' })
    }
  },
}
