import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { formatMicros, type AuditEvent } from '@auditrail/core'
import { createCsvSink, guardFormula, unguardFormula } from '@auditrail/sink-csv'
import { parseRows } from '../src/csv-rows.js'
import { BASE_MICROS, event, pythonReadCsv, useTempDirs } from './support/csv-fixtures.js'

const tempDir = useTempDirs()

// Each value, and the cell written for it (what Python's csv module and a spreadsheet see).
const cases: [string, string][] = [
  ['=SUM(A1:A2)', "'=SUM(A1:A2)"],
  ['+1', "'+1"],
  ['-1', "'-1"],
  ['@cmd', "'@cmd"],
  ['\tindented', "'\tindented"],
  ['\rreturn', "'\rreturn"],
  ['=HYPERLINK("http://evil.example","click")', '\'=HYPERLINK("http://evil.example","click")'],
  ["'=already guarded by hand", "''=already guarded by hand"],
  ["''-1", "'''-1"],
  ["'", "'"],
  ["''", "''"],
  ["'quoted'", "'quoted'"],
  ['plain text', 'plain text'],
  ['a=b', 'a=b'],
  [' =leading space', ' =leading space'],
  ['', ''],
]

describe('formula guard', () => {
  it.each(cases)('guards %j as %j, and unguards it back', (value, cell) => {
    expect(guardFormula(value)).toBe(cell)
    expect(unguardFormula(cell)).toBe(value)
  })

  it('is a bijection: every string round-trips; a string that needs no guard is left alone both ways', () => {
    const dense = fc
      .tuple(fc.array(fc.constantFrom("'", '=', '+', '-', '@', '\t', '\r', 'a', ' '), { maxLength: 5 }), fc.string({ unit: 'grapheme', maxLength: 10 }))
      .map(([head, tail]) => head.join('') + tail)
    fc.assert(
      fc.property(fc.oneof(dense, fc.string({ unit: 'grapheme' })), (value) => {
        const cell = guardFormula(value)
        expect(unguardFormula(cell)).toBe(value)
        // Nothing a spreadsheet would run is ever written.
        expect(cell).not.toMatch(/^[=+\-@\t\r]/)
        if (!/^'*[=+\-@\t\r]/.test(value)) {
          expect(cell).toBe(value)
          expect(unguardFormula(value)).toBe(value)
        }
      }),
      { numRuns: 2000 },
    )
  })
})

describe('CSV sink: formula injection', () => {
  it('writes guarded cells for action_type, error and actor, reads the values back, and Python sees the guarded text', () => {
    const dir = tempDir()
    const sink = createCsvSink({ rootLogDir: dir })
    // action_type and actor cannot hold control characters (tab, CR): those cases go to the error only.
    const events = cases.map(([value], i) =>
      event(i, {
        action_type: value === '' || /[\t\r]/.test(value) ? 'pause' : value,
        status: 'failed',
        error: value,
        ...(value === '' || /[\t\r]/.test(value) ? {} : { actor: value }),
      }),
    )
    for (const e of events) sink.write(e)
    expect([...sink.read()]).toEqual(events)
    sink.close()
    const python = pythonReadCsv([sink.path])[0]
    expect(python?.header).toEqual(['timestamp', 'action_type', 'status', 'details', 'error', 'actor'])
    expect(python?.events.map((row) => [row.action_type, row.error, row.actor])).toEqual(
      cases.map(([value, cell]) => (value === '' || /[\t\r]/.test(value) ? ['pause', cell, ''] : [cell, cell, cell])),
    )
  })

  it('reads a file written before the guard as before: only a cell of apostrophes then =+-@ tab or CR changes', () => {
    const dir = tempDir()
    const rows = ['-1', "'quoted'", "'", "'=x"].map((error, i) => `${event(i).timestamp},pause,failed,,${error}\r\n`)
    writeFileSync(join(dir, 'audit_log.csv'), `timestamp,action_type,status,details,error\r\n${rows.join('')}`)
    const sink = createCsvSink({ rootLogDir: dir })
    expect([...sink.read()].map((e) => e.error)).toEqual(['-1', "'quoted'", "'", '=x'])
    sink.close()
  })
})

// Strings dense in what the guard and quoting act on, and any Unicode.
const tricky = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc
    .tuple(fc.array(fc.constantFrom("'", '=', '+', '-', '@', '\t', '\r', '\n', '"', ','), { maxLength: 5 }), fc.string({ maxLength: 10 }))
    .map(([head, tail]) => head.join('') + tail),
)
// eslint-disable-next-line no-control-regex
const noControl = tricky.filter((s) => s.length > 0 && !/[\u0000-\u001f\u007f]/.test(s))

describe('CSV sink: any text round-trips', () => {
  it('arbitrary error, action_type and actor strings read back exactly, through the sink and through parseRows', () => {
    const eventsArb = fc
      .array(fc.record({ action_type: noControl, error: fc.option(tricky, { nil: null }), actor: fc.option(noControl, { nil: undefined }) }), { minLength: 1, maxLength: 8 })
      .map((rows) =>
        rows.map(({ action_type, error, actor }, i): AuditEvent =>
          Object.freeze({
            timestamp: formatMicros(BASE_MICROS + i),
            action_type,
            status: error === null ? ('success' as const) : ('failed' as const),
            details: {},
            error,
            ...(actor === undefined ? {} : { actor }),
          }),
        ),
      )
    fc.assert(
      fc.property(eventsArb, (events) => {
        const sink = createCsvSink({ rootLogDir: tempDir() })
        for (const e of events) sink.write(e)
        expect([...sink.read()]).toEqual(events)
        expect(parseRows(readFileSync(sink.path, 'utf8'), sink.path)).toEqual(events)
        sink.close()
      }),
      { numRuns: 150 },
    )
  })
})
