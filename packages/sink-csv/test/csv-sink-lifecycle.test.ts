import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createCsvSink, CSV_LOG_FILE, type CsvSinkOptions } from '@auditrail/sink-csv'
import { catchAuditrailError, event, useTempDirs, viaJson } from './support/csv-fixtures.js'

const tempDir = useTempDirs()

describe('CSV sink: close', () => {
  it('is idempotent, and write or read after it throws closed, leaving the file as it was', () => {
    const dir = tempDir()
    const sink = createCsvSink({ rootLogDir: dir })
    sink.write(event(0))
    const bytes = readFileSync(sink.path)
    sink.close()
    expect(() => sink.close()).not.toThrow()
    const onWrite = catchAuditrailError(() => sink.write(event(1)))
    expect(onWrite.code).toBe('closed')
    expect(onWrite.message).toContain('[sink-csv]')
    expect(onWrite.message).toContain(sink.path)
    const onRead = catchAuditrailError(() => [...sink.read()])
    expect(onRead.code).toBe('closed')
    expect(readFileSync(sink.path).equals(bytes)).toBe(true)
    expect(readdirSync(dir)).toEqual([CSV_LOG_FILE])
  })

  it('can be closed before any write; nothing is created and later use throws closed', () => {
    const dir = tempDir()
    const sink = createCsvSink({ rootLogDir: dir })
    sink.close()
    sink.close()
    expect(catchAuditrailError(() => sink.write(event(0))).code).toBe('closed')
    expect(readdirSync(dir)).toEqual([])
  })

  it('releases the lock on close, so another sink can write at once', () => {
    const dir = tempDir()
    const a = createCsvSink({ rootLogDir: dir, lock: { timeoutMs: 200 } })
    a.write(event(0))
    a.close()
    const b = createCsvSink({ rootLogDir: dir, lock: { timeoutMs: 200 } })
    b.write(event(1))
    expect([...b.read()].map((e) => e.timestamp)).toEqual([event(0).timestamp, event(1).timestamp])
    b.close()
  })
})

describe('CSV sink: options', () => {
  const invalid: [string, (dir: string) => unknown, string][] = [
    ['an empty rootLogDir', () => ({ rootLogDir: '' }), 'rootLogDir'],
    ['a numeric rootLogDir', () => ({ rootLogDir: 42 }), 'rootLogDir'],
    ['a missing rootLogDir', () => ({}), 'rootLogDir'],
    ['an unknown durability', (dir) => ({ rootLogDir: join(dir, 'logs'), durability: 'sometimes' }), 'durability'],
    ['a boolean durability', (dir) => ({ rootLogDir: join(dir, 'logs'), durability: true }), 'durability'],
    ['null options', () => null, 'options'],
  ]

  it.each(invalid)('refuses %s with an options error, before any I/O', (_, make, field) => {
    const dir = tempDir()
    const error = catchAuditrailError(() => createCsvSink(make(dir) as CsvSinkOptions))
    expect(error.code).toBe('options')
    expect(error.field).toBe(field)
    expect(error.message).toContain(field)
    expect(error.message).toContain('[sink-csv]')
    expect(readdirSync(dir)).toEqual([])
  })

  it("creates a rootLogDir that does not exist yet, recursively, at the first write and not before", () => {
    const root = tempDir()
    const dir = join(root, 'experiment', 'logs')
    const sink = createCsvSink({ rootLogDir: dir })
    expect(existsSync(join(root, 'experiment'))).toBe(false)
    sink.write(event(0))
    sink.flush()
    expect(readdirSync(dir)).toEqual([CSV_LOG_FILE])
    expect(viaJson([...sink.read()])).toEqual(viaJson([event(0)]))
    sink.close()
  })

  it("durability 'fsync' writes the same bytes as the default", () => {
    const events = [
      event(0),
      event(1, { details: {} }),
      event(2, { status: 'failed', details: { q: '"x", y' }, error: 'e\r\nf' }),
      event(3, { status: 'failed', error: '' }),
    ]
    const plain = createCsvSink({ rootLogDir: tempDir() })
    const synced = createCsvSink({ rootLogDir: tempDir(), durability: 'fsync' })
    const explicit = createCsvSink({ rootLogDir: tempDir(), durability: 'process' })
    for (const e of events) for (const sink of [plain, synced, explicit]) sink.write(e)
    const bytes = readFileSync(plain.path)
    expect(readFileSync(synced.path).equals(bytes)).toBe(true)
    expect(readFileSync(explicit.path).equals(bytes)).toBe(true)
    expect(viaJson([...synced.read()])).toEqual(viaJson(events))
    for (const sink of [plain, synced, explicit]) sink.close()
  })

  it('resolves a relative rootLogDir against the working directory', () => {
    const dir = tempDir()
    const sink = createCsvSink({ rootLogDir: relative(process.cwd(), dir) })
    expect(sink.path).toBe(join(dir, CSV_LOG_FILE))
    sink.write(event(0))
    sink.flush()
    expect(readdirSync(dir)).toEqual([CSV_LOG_FILE])
    sink.close()
  })
})
