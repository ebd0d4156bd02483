import { appendFileSync, mkdirSync, readFileSync, renameSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createCsvSink, CSV_LOG_FILE } from '@auditrail/sink-csv'
import { event, HEADER, useTempDirs } from './support/csv-fixtures.js'

const tempDir = useTempDirs()
const row = `${event(0).timestamp},pause,success,"{""step"":0}",\r\n`
const whole = `${event(1).timestamp},resume,success,,`

// What a crash can leave after the last whole row, and what the next writer makes of it: a tail torn between the CR
// and LF of its line break is provably one whole event, the in-flight one, kept; anything else is cut off, even when
// it parses as an event: without its line break it may be a row cut inside its unquoted last cell.
const torn: [string, string, string][] = [
  ['a whole row missing its line break', whole, ''],
  ['a row cut inside its unquoted error cell (it would parse as an event with a shortened error)', `${event(1).timestamp},checkpoint_restore,failed,,Checkpoint`, ''],
  ['a whole row torn between CR and LF', `${whole}\r`, `${whole}\r\n`],
  ['a row cut inside its status', `${event(1).timestamp},resume,succ`, ''],
  ['a row cut inside a quoted cell, right after a line break of that cell', `${event(1).timestamp},query_execute,failed,,"line one\r\n`, ''],
]

describe('CSV sink: repairing a torn last row', () => {
  it.each(torn)('%s: the next write keeps every whole row and repairs the tail', (_, tail, kept) => {
    const dir = tempDir()
    const file = join(dir, CSV_LOG_FILE)
    writeFileSync(file, HEADER + row + tail)
    const sink = createCsvSink({ rootLogDir: dir })
    const next = event(9)
    sink.write(next)
    sink.close()
    const text = readFileSync(file, 'utf8')
    expect(text.startsWith(HEADER + row + kept)).toBe(true)
    const stored = [...createCsvSink({ rootLogDir: dir }).read()].map((e) => e.timestamp)
    expect(stored).toEqual([event(0).timestamp, ...(kept === '' ? [] : [event(1).timestamp]), next.timestamp])
  })

  it('after taking over a dead writer\'s stale lock, checks the whole file: a torn cell holding a fake whole row is cut off', () => {
    const dir = tempDir()
    const file = join(dir, CSV_LOG_FILE)
    // The last line looks like a whole row, but it sits inside the quoted cell the crash left open.
    writeFileSync(file, `${HEADER}${row}${event(1).timestamp},x,failed,,"a\r\n${event(2).timestamp},y,success,,\r\n`)
    mkdirSync(`${file}.lock`)
    const longAgo = new Date(Date.now() - 60_000)
    utimesSync(`${file}.lock`, longAgo, longAgo)
    const sink = createCsvSink({ rootLogDir: dir })
    sink.write(event(9))
    expect([...sink.read()].map((e) => e.timestamp)).toEqual([event(0).timestamp, event(9).timestamp])
    sink.close()
  })

  it('repairs a torn row another writer appended after this sink last wrote', () => {
    const dir = tempDir()
    const sink = createCsvSink({ rootLogDir: dir })
    sink.write(event(0))
    sink.write(event(1, { status: 'failed', error: 'a "quoted" error' }))
    sink.flush()
    appendFileSync(sink.path, `${event(2).timestamp},query_execute,failed,,"first line\nsecond\n`)
    sink.write(event(3))
    expect([...sink.read()].map((e) => e.timestamp)).toEqual([0, 1, 3].map((i) => event(i).timestamp))
    sink.close()
  })

  it('checks the whole new file when it was replaced by another one, even a longer one', () => {
    const dir = tempDir()
    const sink = createCsvSink({ rootLogDir: dir })
    sink.write(event(0))
    sink.write(event(1))
    sink.flush()
    const size = readFileSync(sink.path).length
    // The open quote lies before the old end of file; the rest (longer than the old file) holds no quote.
    const replacement = `${HEADER}${row}${event(5).timestamp},query_execute,failed,,"torn\n${'x'.repeat(size)}\n`
    writeFileSync(join(dir, 'replacement'), replacement)
    renameSync(join(dir, 'replacement'), sink.path)
    sink.write(event(6))
    expect([...sink.read()].map((e) => e.timestamp)).toEqual([event(0).timestamp, event(6).timestamp])
    sink.close()
  })
})
