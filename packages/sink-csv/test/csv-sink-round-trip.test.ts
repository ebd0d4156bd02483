import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { formatMicros, KNOWN_ACTION_TYPES, type AuditEvent, type JsonObject } from '@auditrail/core'
import { createCsvSink, CSV_LOG_FILE } from '@auditrail/sink-csv'
import { asPythonRow, BASE_MICROS, HEADER, pythonReadCsv, useTempDirs, viaJson } from './support/csv-fixtures.js'

const tempDir = useTempDirs()

// Cells that stress RFC 4180 quoting and UTF-8: quotes, commas, line breaks of every kind, backslashes,
// a NUL, astral emoji (surrogate pairs), a ZWJ sequence, right-to-left text, a BOM, a formula-looking text.
const nastyStrings = [
  '"',
  '""',
  '"quoted"',
  ',',
  'a,b,"c"',
  '\r\n',
  '\n',
  '\r',
  'line one\r\nline two\nline three\rline four',
  'ends with CR\r',
  '\\',
  'C:\\path\\"x"\\',
  '\\n is not a newline',
  '\u0000',
  'nul\u0000inside',
  '😀',
  '👩‍👩‍👧‍👦 family',
  'שלום, עולם',
  'مرحبا "بالعالم"',
  '\uFEFFbom first',
  '=SUM(A1:A2)',
  ' leading and trailing spaces ',
  '\t',
]

const actionTypes = [...KNOWN_ACTION_TYPES, 'custom_action', 'with,comma', 'with "quotes"', 'ünïcödé ✓', '動作']

const errorArb = fc.oneof(fc.option(fc.string({ unit: 'grapheme' })), fc.constantFrom<string | null>(null, '', ...nastyStrings))

const detailsArb: fc.Arbitrary<JsonObject> = fc.oneof(
  fc.dictionary(fc.string(), fc.jsonValue()) as fc.Arbitrary<JsonObject>,
  fc.dictionary(fc.string({ unit: 'grapheme' }), fc.jsonValue({ stringUnit: 'grapheme', maxDepth: 2 })) as fc.Arbitrary<JsonObject>,
  fc.dictionary(fc.constantFrom('a', 'b', 'query_text', 'note'), fc.constantFrom(...nastyStrings)),
  fc.constant({}),
)

const eventsArb = fc
  .array(
    fc.record({
      action_type: fc.constantFrom(...actionTypes),
      status: fc.constantFrom('success' as const, 'failed' as const),
      details: detailsArb,
      error: errorArb,
    }),
    { minLength: 1, maxLength: 12 },
  )
  .map((rows) => rows.map((row, i): AuditEvent => Object.freeze({ timestamp: formatMicros(BASE_MICROS + i), ...row })))

describe('CSV sink: round trip', () => {
  it('read() returns exactly the events written, oldest first, and reversed with newest-first', () => {
    const written: { file: string; events: AuditEvent[] }[] = []
    fc.assert(
      fc.property(eventsArb, (events) => {
        const sink = createCsvSink({ rootLogDir: tempDir() })
        for (const e of events) sink.write(e)
        const read = [...sink.read()]
        // Through JSON: -0 in details is written as 0, which is the only change JSON makes.
        expect(viaJson(read)).toEqual(viaJson(events))
        // null and '' errors stay apart.
        expect(read.map((e) => e.error)).toEqual(events.map((e) => e.error))
        expect(viaJson([...sink.read({ order: 'newest-first' })])).toEqual(viaJson([...events].reverse()))
        expect(viaJson([...sink.read({ order: 'oldest-first' })])).toEqual(viaJson(events))
        sink.close()
        written.push({ file: sink.path, events })
      }),
      { numRuns: 120 },
    )
    // One python3 process for every file of the run: csv.reader must see the same cells.
    const python = pythonReadCsv(written.map((w) => w.file))
    expect(python).toHaveLength(written.length)
    written.forEach((w, i) => {
      expect(python[i]?.header, w.file).toEqual(['timestamp', 'action_type', 'status', 'details', 'error'])
      expect(python[i]?.events, w.file).toEqual(w.events.map(asPythonRow))
    })
  })

  it('writes every row as RFC 4180: CRLF between records, and CR or LF only inside quoted cells', () => {
    fc.assert(
      fc.property(eventsArb, (events) => {
        const sink = createCsvSink({ rootLogDir: tempDir() })
        for (const e of events) sink.write(e)
        sink.close()
        const text = readFileSync(sink.path, 'utf8')
        expect(text.endsWith('\r\n')).toBe(true)
        // Drop quoted cells: what remains must hold exactly one CRLF per record and no other CR or LF.
        const outside = text.replace(/"(?:[^"]|"")*"/g, 'Q')
        expect(outside.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/)
        expect(outside.split('\r\n')).toHaveLength(events.length + 2)
        // A quote never opens in the middle of an unquoted cell.
        for (const line of outside.split('\r\n')) expect(line).not.toContain('"')
      }),
      { numRuns: 100 },
    )
  })

  it('events split across restarted sinks read back as one sequence, from every sink', () => {
    const split = eventsArb.chain((events) => fc.tuple(fc.constant(events), fc.array(fc.nat(events.length), { maxLength: 4 })))
    fc.assert(
      fc.property(split, ([events, cuts]) => {
        const dir = tempDir()
        const bounds = [0, ...[...cuts].sort((a, b) => a - b), events.length]
        for (let s = 0; s + 1 < bounds.length; s++) {
          const sink = createCsvSink({ rootLogDir: dir })
          for (const e of events.slice(bounds[s], bounds[s + 1])) sink.write(e)
          expect(viaJson([...sink.read()])).toEqual(viaJson(events.slice(0, bounds[s + 1])))
          sink.close()
        }
        const text = readFileSync(join(dir, CSV_LOG_FILE), 'utf8')
        expect(text.indexOf(HEADER, 1)).toBe(-1)
      }),
      { numRuns: 60 },
    )
  })
})
