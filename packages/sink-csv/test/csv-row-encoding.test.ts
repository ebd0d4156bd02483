import fc from 'fast-check'
import { stringify } from 'csv-stringify/sync'
import { describe, expect, it } from 'vitest'
import { encodeCells, stringifyOptions } from '../src/csv-row.js'

// Strings dense in what quoting depends on: quotes, commas, CR, LF, CRLF, the empty string; and any Unicode.
const special = fc.constantFrom('"', ',', '\r', '\n', '\r\n', '""', ' ', "'", '=')
const cellText = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.array(fc.oneof(special, fc.string({ maxLength: 4 })), { maxLength: 8 }).map((parts) => parts.join('')),
  fc.constant(''),
)
const cells = fc.array(fc.option(cellText, { nil: null }), { minLength: 1, maxLength: 8 })

describe('CSV row encoding', () => {
  it.each(['\r\n', '\n'] as const)('equals csv-stringify with our options for arbitrary cells (record delimiter %j)', (delimiter) => {
    const options = stringifyOptions(delimiter)
    fc.assert(
      fc.property(cells, (row) => {
        expect(encodeCells(row, delimiter)).toBe(stringify([row], options))
      }),
      { numRuns: 3000 },
    )
  })

  it('agrees with csv-stringify on rows without a line break in any cell (all on the fast path)', () => {
    const noBreaks = fc.array(fc.option(cellText.map((s) => s.replace(/[\r\n]/g, '')), { nil: null }), { minLength: 1, maxLength: 8 })
    fc.assert(
      fc.property(noBreaks, (row) => {
        expect(encodeCells(row, '\r\n')).toBe(stringify([row], stringifyOptions('\r\n')))
      }),
      { numRuns: 3000 },
    )
  })

  it('writes null as an empty cell, the empty string as "", and quotes only what needs it', () => {
    expect(encodeCells([null, '', 'plain', 'a,b', 'say "hi"', 'two\nlines'], '\r\n')).toBe(',"",plain,"a,b","say ""hi""","two\nlines"\r\n')
  })
})
