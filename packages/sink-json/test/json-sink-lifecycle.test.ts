import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { AuditrailError, type FileIo } from '@auditrail/core'
import { createJsonSink, JSON_LOG_FILE, type JsonSinkOptions } from '../src/index.js'
import { createFaultyIo } from './faulty-io.js'
import { logPath, makeEvent, parseLog, readLogBytes, tempLogDir } from './event-factory.js'

function optionsError(options: unknown): AuditrailError {
  try {
    createJsonSink(options as JsonSinkOptions)
  } catch (error) {
    if (error instanceof AuditrailError) return error
    throw error
  }
  throw new Error('options accepted')
}

describe('lifecycle', () => {
  it('names itself and the file it writes', () => {
    const dir = tempLogDir()
    const sink = createJsonSink({ rootLogDir: dir })
    expect(sink.name).toBe('sink-json')
    expect(sink.path).toBe(join(dir, JSON_LOG_FILE))
    expect(JSON_LOG_FILE).toBe('audit_log.json')
    sink.close()
  })

  it('close is idempotent; write and read after close throw a closed error and touch nothing', () => {
    const dir = tempLogDir()
    const sink = createJsonSink({ rootLogDir: dir })
    sink.write(makeEvent(0))
    sink.close()
    sink.close()
    const before = readLogBytes(dir)
    expect(() => sink.write(makeEvent(1))).toThrow(expect.objectContaining({ name: 'AuditrailError', code: 'closed' }))
    expect(() => sink.read()).toThrow(expect.objectContaining({ code: 'closed' }))
    expect(readLogBytes(dir).equals(before)).toBe(true)
    expect(readdirSync(dir)).toEqual(['audit_log.json'])
  })

  it('a read iteration started before close and resumed after it throws closed', () => {
    const dir = tempLogDir()
    const sink = createJsonSink({ rootLogDir: dir })
    sink.write(makeEvent(0))
    const pending = sink.read()[Symbol.iterator]()
    sink.close()
    expect(() => pending.next()).toThrow(expect.objectContaining({ code: 'closed' }))
  })

  it('close releases the lock: another sink can write at once', () => {
    const dir = tempLogDir()
    const first = createJsonSink({ rootLogDir: dir, lock: { timeoutMs: 200 } })
    first.write(makeEvent(0))
    first.close()
    const second = createJsonSink({ rootLogDir: dir, lock: { timeoutMs: 200 } })
    second.write(makeEvent(1))
    second.close()
    expect(parseLog(dir)).toEqual([makeEvent(1), makeEvent(0)])
    expect(existsSync(`${logPath(dir)}.lock`)).toBe(false)
  })

  it('reading a log that does not exist yet yields nothing and creates nothing', () => {
    const root = tempLogDir()
    const dir = join(root, 'not', 'yet')
    const sink = createJsonSink({ rootLogDir: dir })
    expect([...sink.read()]).toEqual([])
    expect(existsSync(join(root, 'not'))).toBe(false)
    const empty = createJsonSink({ rootLogDir: root })
    expect([...empty.read({ order: 'oldest-first' })]).toEqual([])
    expect(readdirSync(root)).toEqual([])
    sink.close()
    empty.close()
  })

  it.each([
    ['no options', () => undefined, 'options'],
    ['a missing rootLogDir', (io: FileIo) => ({ io }), 'rootLogDir'],
    ['an empty rootLogDir', (io: FileIo) => ({ rootLogDir: '', io }), 'rootLogDir'],
    ['a non-string rootLogDir', (io: FileIo) => ({ rootLogDir: 42, io }), 'rootLogDir'],
    ['a bad durability', (io: FileIo, dir: string) => ({ rootLogDir: dir, durability: 'paranoid', io }), 'durability'],
  ])('rejects %s with an options error before any file is touched', (_name, options, field) => {
    const dir = tempLogDir()
    const io = createFaultyIo()
    const error = optionsError(options(io, dir))
    expect(error.code).toBe('options')
    expect(error.field).toBe(field)
    expect(error.message).toContain(field)
    expect(io.counts.calls).toBe(0)
    expect(readdirSync(dir)).toEqual([])
  })

  it("durability 'fsync' writes the same file and flushes data and directory", () => {
    const plainDir = tempLogDir()
    const syncDir = tempLogDir()
    const io = createFaultyIo()
    let syncs = 0
    const counting: FileIo = {
      ...io,
      fdatasyncSync(fd) {
        syncs++
        io.fdatasyncSync(fd)
      },
      fsyncSync(fd) {
        syncs++
        io.fsyncSync(fd)
      },
    }
    const plain = createJsonSink({ rootLogDir: plainDir })
    const synced = createJsonSink({ rootLogDir: syncDir, durability: 'fsync', io: counting })
    const events = Array.from({ length: 5 }, (_, i) => makeEvent(i, { blob: 'f'.repeat(i * 5_000) }))
    for (const event of events) {
      plain.write(event)
      synced.write(event)
    }
    expect(readLogBytes(syncDir).equals(readLogBytes(plainDir))).toBe(true)
    expect([...synced.read()]).toEqual([...events].reverse())
    expect(syncs).toBeGreaterThanOrEqual(events.length)
    plain.close()
    synced.close()
  })

  it('an abandoned read iteration closes its descriptor', () => {
    const dir = tempLogDir()
    const io = createFaultyIo()
    const sink = createJsonSink({ rootLogDir: dir, io })
    for (let i = 0; i < 5; i++) sink.write(makeEvent(i))
    const openBefore = io.openPaths.size
    for (const event of sink.read()) {
      expect(event).toEqual(makeEvent(4))
      break
    }
    for (const event of sink.read({ order: 'oldest-first' })) {
      expect(event).toEqual(makeEvent(0))
      break
    }
    // The sink may keep one descriptor of the log for its next write; no reader's descriptor is left.
    expect(io.openPaths.size).toBeLessThanOrEqual(Math.max(openBefore, 1))
    sink.close()
    expect(io.openPaths.size).toBe(0)
    expect(io.counts.opens).toBe(io.counts.closes)
  })

  it('a read iteration that throws midway closes its descriptor too', () => {
    const dir = tempLogDir()
    const io = createFaultyIo()
    const sink = createJsonSink({ rootLogDir: dir, io })
    for (let i = 0; i < 3; i++) sink.write(makeEvent(i))
    expect(() => {
      for (const _event of sink.read()) throw new Error('consumer failed')
    }).toThrow('consumer failed')
    sink.close()
    expect(io.openPaths.size).toBe(0)
    expect(io.counts.opens).toBe(io.counts.closes)
  })
})
