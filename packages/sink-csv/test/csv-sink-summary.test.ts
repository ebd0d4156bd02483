import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { KNOWN_ACTION_TYPES, summarizeEvents } from '@auditrail/core'
import { createCsvSink, CSV_LOG_FILE } from '@auditrail/sink-csv'
import { headAt, type CsvHead } from '../src/csv-heads.js'
import { SPEC_COLUMNS, type CsvColumns } from '../src/csv-columns.js'
import { catchAuditrailError, event, useTempDirs } from './support/csv-fixtures.js'

const tempDir = useTempDirs()

// Action types our writer quotes (comma, quote) or guards against formulas, and cells around them that are hard to skip.
const actionTypes = [...KNOWN_ACTION_TYPES, 'with,comma', 'with "quotes"', '"', '=SUM(A1)', "'-1", '@at', ' spaced ', 'ünïcödé ✓']
const texts = ['', '"', 'a,b', 'x\r\ny', '\n', '\r', '=cmd', 'plain', '"quoted"', '😀']

const eventsArb = fc.array(
  fc.record({
    action_type: fc.constantFrom(...actionTypes),
    status: fc.constantFrom('success' as const, 'failed' as const),
    details: fc.oneof(fc.constant({}), fc.dictionary(fc.constantFrom('a', 'b,c', 'q"'), fc.constantFrom(...texts, 1, null, true))),
    error: fc.option(fc.constantFrom(...texts)),
    actor: fc.option(fc.constantFrom('ana', 'svc, "bot"', '=x', 'ü'), { nil: undefined }),
    chain: fc.boolean(),
  }),
  { minLength: 1, maxLength: 15 },
)

/** The heads of `text`'s records read by `headAt` one after the other, `undefined` as soon as one is not shaped as ours. */
function readRecordHeads(text: string, columns: CsvColumns): CsvHead[] | undefined {
  const latin1 = Buffer.from(text).toString('latin1')
  const ascii = latin1 === text
  const heads: CsvHead[] = []
  for (let at = 0; at < latin1.length; ) {
    const found = headAt(latin1, at, columns, ascii)
    if (found === undefined) return undefined
    heads.push(found.head)
    at = found.next
  }
  return heads
}

function logFile(text: string): string {
  const dir = tempDir()
  writeFileSync(join(dir, CSV_LOG_FILE), text)
  return dir
}

describe('CSV sink: summarize', () => {
  it('counts what read() returns, whatever the cells, columns and quoting', () => {
    fc.assert(
      fc.property(eventsArb, (specs) => {
        const sink = createCsvSink({ rootLogDir: tempDir() })
        specs.forEach(({ chain, ...fields }, i) => {
          const hash = chain ? { seq: i + 1, hash: 'a'.repeat(64) } : {}
          sink.write(event(i, { ...fields, error: fields.error, ...hash }))
        })
        expect(sink.summarize()).toEqual(summarizeEvents(sink.read()))
        expect(sink.summarize().total_events).toBe(specs.length)
        sink.close()
      }),
      { numRuns: 120 },
    )
  })

  it('reads the first three cells of the rows our writer produces, and nothing else', () => {
    const rows = [
      '2026-05-27T14:30:00.000001Z,pause,success,"{""a"":""x,\r\ny""}",\r\n',
      '2026-05-27T14:30:00.000002Z,"with ""quotes"", and a comma",failed,,"boom, ""really"""\r\n',
      "2026-05-27T14:30:00.000003Z,'=SUM(A1),success,,\n",
    ].join('')
    expect(readRecordHeads(rows, SPEC_COLUMNS)).toEqual([
      { action_type: 'pause', status: 'success' },
      { action_type: 'with "quotes", and a comma', status: 'failed' },
      { action_type: '=SUM(A1)', status: 'success' },
    ])
    // Rows of another shape are left to the full parser: a timestamp without six fraction digits, a cell too many,
    // an unknown status, a quote inside an unquoted cell.
    for (const row of ['2026-05-27T14:30:00Z,pause,success,,\r\n', '2026-05-27T14:30:00.000001Z,pause,success,,,\r\n', '2026-05-27T14:30:00.000001Z,pause,ok,,\r\n', '2026-05-27T14:30:00.000001Z,pause,success,a"b,\r\n']) {
      expect(readRecordHeads(row, SPEC_COLUMNS), row).toBeUndefined()
    }
  })

  it('counts rows in other shapes (as Python writes them) by parsing them, and refuses a bad row as read() does', () => {
    const header = 'timestamp,action_type,status,details,error\r\n'
    const python = logFile(`${header}2026-05-27T14:30:00+00:00,pause,success,{},\r\n2026-05-27T14:30:01.5+00:00,pause,failed,,x\r\n`)
    const sink = createCsvSink({ rootLogDir: python })
    expect(sink.summarize()).toEqual({ total_events: 2, by_action_type: { pause: 2 }, by_status: { success: 1, failed: 1 } })
    sink.close()

    const bad = createCsvSink({ rootLogDir: logFile(`${header}2026-05-27T14:30:00.000001Z,pause,success,,\r\n2026-05-27T14:30:00.000002Z,pause,ok,,\r\n`) })
    const fromSummary = catchAuditrailError(() => bad.summarize())
    const fromRead = catchAuditrailError(() => [...bad.read()])
    expect(fromSummary.code).toBe('decode')
    expect(fromSummary.message).toBe(fromRead.message)
    expect(fromSummary.message).toContain('record 3')
    bad.close()
  })

  it('summarizes a missing log as empty, creating nothing', () => {
    const sink = createCsvSink({ rootLogDir: join(tempDir(), 'absent') })
    expect(sink.summarize()).toEqual({ total_events: 0, by_action_type: {}, by_status: {} })
    sink.close()
  })
})

