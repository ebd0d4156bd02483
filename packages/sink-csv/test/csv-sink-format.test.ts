import { existsSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createCsvSink, CSV_COLUMNS, CSV_LOG_FILE } from '@auditrail/sink-csv'
import { event, HEADER, pythonReadCsv, readText, useTempDirs, viaJson, asPythonRow } from './support/csv-fixtures.js'

const tempDir = useTempDirs()

// The three rows of the spec's "CSV Format" example, at the spec's timestamps.
const specEvents = [
  event(123_456, { action_type: 'hp_change', details: { changed_params: { learning_rate: 0.001, batch_size: 32 } } }),
  event(5_456_789, { action_type: 'tag_add', details: { tag_name: 'defect', samples_affected: 5, sample_ids: ['s1', 's2'] } }),
  event(10_789_012, {
    action_type: 'query_execute',
    status: 'failed',
    details: { query_type: 'natural_language' },
    error: 'Invalid query syntax: unexpected token',
  }),
]

// The example as the spec prints it (spaced JSON, a quoted error, LF line ends).
const specText = [
  'timestamp,action_type,status,details,error',
  '2026-05-27T14:30:00.123456Z,hp_change,success,"{""changed_params"": {""learning_rate"": 0.001, ""batch_size"": 32}}",',
  '2026-05-27T14:30:05.456789Z,tag_add,success,"{""tag_name"": ""defect"", ""samples_affected"": 5, ""sample_ids"": [""s1"", ""s2""]}",',
  '2026-05-27T14:30:10.789012Z,query_execute,failed,"{""query_type"": ""natural_language""}","Invalid query syntax: unexpected token"',
  '',
].join('\n')

describe('CSV sink: file layout', () => {
  it('exports the spec header and file name', () => {
    expect(CSV_COLUMNS.join(',')).toBe('timestamp,action_type,status,details,error')
    expect(CSV_LOG_FILE).toBe('audit_log.csv')
  })

  it('creates nothing before the first write, then exactly the file with header and row', () => {
    const dir = tempDir()
    const sink = createCsvSink({ rootLogDir: dir })
    expect(sink.path).toBe(join(dir, 'audit_log.csv'))
    expect(readdirSync(dir)).toEqual([])
    expect(existsSync(sink.path)).toBe(false)
    sink.write(event(0))
    sink.flush()
    // Once the writer lets go of its lock, no temp file and no lock directory remain: only the log.
    expect(readdirSync(dir)).toEqual(['audit_log.csv'])
    expect(readText(sink.path)).toBe(`${HEADER}${event(0).timestamp},pause,success,"{""step"":0}",\r\n`)
    sink.close()
  })

  it('writes the spec example rows as the spec shows them, with compact JSON and minimal quoting', () => {
    const dir = tempDir()
    const sink = createCsvSink({ rootLogDir: dir })
    for (const e of specEvents) sink.write(e)
    sink.close()
    expect(readText(join(dir, CSV_LOG_FILE))).toBe(
      HEADER +
        '2026-05-27T14:30:00.123456Z,hp_change,success,"{""changed_params"":{""learning_rate"":0.001,""batch_size"":32}}",\r\n' +
        '2026-05-27T14:30:05.456789Z,tag_add,success,"{""tag_name"":""defect"",""samples_affected"":5,""sample_ids"":[""s1"",""s2""]}",\r\n' +
        '2026-05-27T14:30:10.789012Z,query_execute,failed,"{""query_type"":""natural_language""}",Invalid query syntax: unexpected token\r\n',
    )
  })

  it("reads the spec's own example file, and Python reads our file and the spec's as the same cells", () => {
    const ours = tempDir()
    const sink = createCsvSink({ rootLogDir: ours })
    for (const e of specEvents) sink.write(e)
    sink.close()
    const theirs = tempDir()
    writeFileSync(join(theirs, CSV_LOG_FILE), specText)
    const reader = createCsvSink({ rootLogDir: theirs })
    expect(viaJson([...reader.read()])).toEqual(viaJson(specEvents))
    reader.close()
    const [a, b] = pythonReadCsv([join(ours, CSV_LOG_FILE), join(theirs, CSV_LOG_FILE)])
    expect(a?.header).toEqual([...CSV_COLUMNS])
    expect(a?.events).toEqual(specEvents.map(asPythonRow))
    expect(b?.events).toEqual(a?.events)
  })

  it('appends rows oldest first, one line each', () => {
    const dir = tempDir()
    const sink = createCsvSink({ rootLogDir: dir })
    const events = [0, 1, 2, 3, 4].map((i) => event(i, { details: {} }))
    for (const e of events) sink.write(e)
    expect(readText(sink.path)).toBe(HEADER + events.map((e) => `${e.timestamp},pause,success,,\r\n`).join(''))
    expect([...sink.read()].map((e) => e.timestamp)).toEqual(events.map((e) => e.timestamp))
    sink.close()
  })
})

describe('CSV sink: empty cells', () => {
  it('writes {} details as an empty cell, a null error as an empty unquoted cell, an empty error as ""', () => {
    const dir = tempDir()
    const sink = createCsvSink({ rootLogDir: dir })
    const none = event(1, { details: {}, error: null })
    const empty = event(2, { status: 'failed', details: {}, error: '' })
    const text = event(3, { status: 'failed', details: { a: '' }, error: 'boom' })
    sink.write(none)
    sink.write(empty)
    sink.write(text)
    expect(readText(sink.path)).toBe(
      HEADER +
        `${none.timestamp},pause,success,,\r\n` +
        `${empty.timestamp},pause,failed,,""\r\n` +
        `${text.timestamp},pause,failed,"{""a"":""""}",boom\r\n`,
    )
    const [n, e, t] = [...sink.read()]
    expect(n?.error).toBeNull()
    expect(e?.error).toBe('')
    expect(n?.details).toEqual({})
    expect(e?.details).toEqual({})
    expect(t?.details).toEqual({ a: '' })
    sink.close()
  })
})

describe('CSV sink: a file with LF line ends', () => {
  it('is continued with LF rows, stays readable by us and by Python', () => {
    const dir = tempDir()
    const file = join(dir, CSV_LOG_FILE)
    const first = event(0, { details: { step: 1 } })
    const existing = `timestamp,action_type,status,details,error\n${first.timestamp},pause,success,"{""step"":1}",\n`
    writeFileSync(file, existing)
    const sink = createCsvSink({ rootLogDir: dir })
    const later = [
      event(1, { action_type: 'resume', details: {} }),
      event(2, { action_type: 'query_execute', status: 'failed', details: { q: 'a\nb' }, error: 'line one\nline two' }),
      event(3, { action_type: 'note_write', status: 'failed', details: {}, error: 'crlf\r\ninside, "quoted"' }),
      event(4, { action_type: 'pause', status: 'failed', details: {}, error: 'lone\rcarriage' }),
    ]
    for (const e of later) sink.write(e)
    const text = readText(file)
    expect(text.startsWith(existing)).toBe(true)
    expect(text.slice(existing.length).startsWith(`${later[0]?.timestamp},resume,success,,\n${later[1]?.timestamp},`)).toBe(true)
    expect(text.endsWith(`${later[3]?.timestamp},pause,failed,,"lone\rcarriage"\n`)).toBe(true)
    // Outside quoted cells there is no CR at all: every record ends in a bare LF.
    const unquoted = text.replace(/"(?:[^"]|"")*"/g, '')
    expect(unquoted).not.toContain('\r')
    expect(unquoted.split('\n')).toHaveLength(7)
    expect(viaJson([...sink.read()])).toEqual(viaJson([first, ...later]))
    sink.close()
    expect(pythonReadCsv([file])[0]?.events).toEqual([first, ...later].map(asPythonRow))
  })
})

describe('CSV sink: a long file', () => {
  it('reads 2,000 events back in order, as Python does', () => {
    const dir = tempDir()
    const sink = createCsvSink({ rootLogDir: dir })
    const events = Array.from({ length: 2_000 }, (_, i) =>
      event(i, { status: i % 7 === 0 ? 'failed' : 'success', details: { i, note: `n,"${i}"` }, error: i % 7 === 0 ? `e${i}\n` : null }),
    )
    for (const e of events) sink.write(e)
    expect(viaJson([...sink.read()])).toEqual(viaJson(events))
    expect([...sink.read({ order: 'newest-first' })].map((e) => e.timestamp)).toEqual(events.map((e) => e.timestamp).reverse())
    sink.close()
    expect(pythonReadCsv([sink.path])[0]?.events).toEqual(events.map(asPythonRow))
  })
})
