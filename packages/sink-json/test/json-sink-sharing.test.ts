import { describe, expect, it } from 'vitest'
import { createFileLock } from '@auditrail/core'
import { createJsonSink } from '../src/index.js'
import { logPath, makeEvent, parseLog, readLogBytes, tempLogDir } from './event-factory.js'

describe('several sinks on one rootLogDir', () => {
  it('a restarted sink continues the file, keeping every earlier event', () => {
    const dir = tempLogDir()
    const events = Array.from({ length: 9 }, (_, i) => makeEvent(i))
    for (const batch of [events.slice(0, 3), events.slice(3, 5), events.slice(5)]) {
      const sink = createJsonSink({ rootLogDir: dir })
      for (const event of batch) sink.write(event)
      sink.close()
    }
    expect(parseLog(dir)).toEqual([...events].reverse())
  })

  it('a restarted sink reads what the previous one wrote, both orders', () => {
    const dir = tempLogDir()
    const first = createJsonSink({ rootLogDir: dir })
    const events = [makeEvent(0), makeEvent(1), makeEvent(2)]
    for (const event of events) first.write(event)
    first.close()
    const second = createJsonSink({ rootLogDir: dir })
    expect([...second.read()]).toEqual([...events].reverse())
    expect([...second.read({ order: 'oldest-first' })]).toEqual(events)
    second.close()
  })

  it('two sinks alive at once interleave their writes, each on top of the other', () => {
    const dir = tempLogDir()
    const a = createJsonSink({ rootLogDir: dir, lock: { timeoutMs: 2_000 } })
    const b = createJsonSink({ rootLogDir: dir, lock: { timeoutMs: 2_000 } })
    const events = Array.from({ length: 12 }, (_, i) => makeEvent(i, { writer: i % 2 === 0 ? 'a' : 'b' }))
    for (const [i, event] of events.entries()) {
      ;(i % 2 === 0 ? a : b).write(event)
      expect(parseLog(dir)).toEqual(events.slice(0, i + 1).reverse())
    }
    expect([...a.read()]).toEqual([...events].reverse())
    expect([...b.read({ order: 'oldest-first' })]).toEqual(events)
    a.close()
    b.close()
  })

  it('two sinks interleave across gap-growth rewrites (the other sink must follow the new file)', () => {
    const dir = tempLogDir()
    const a = createJsonSink({ rootLogDir: dir, lock: { timeoutMs: 2_000 } })
    const b = createJsonSink({ rootLogDir: dir, lock: { timeoutMs: 2_000 } })
    // 9 KB events outgrow the 16 KB initial gap every couple of writes.
    const events = Array.from({ length: 16 }, (_, i) => makeEvent(i, { blob: String(i).repeat(9_000) }))
    for (const [i, event] of events.entries()) (i % 3 === 0 ? a : b).write(event)
    expect(parseLog(dir)).toEqual([...events].reverse())
    expect([...a.read()].map((event) => event.timestamp)).toEqual([...events].reverse().map((event) => event.timestamp))
    a.close()
    b.close()
  })

  it('a sink that only reads does not block another sink from writing', () => {
    const dir = tempLogDir()
    const writer = createJsonSink({ rootLogDir: dir, lock: { timeoutMs: 500 } })
    const reader = createJsonSink({ rootLogDir: dir, lock: { timeoutMs: 500 } })
    writer.write(makeEvent(0))
    writer.write(makeEvent(1))
    const iterator = reader.read()[Symbol.iterator]()
    expect(iterator.next().value).toEqual(makeEvent(1))
    // The iteration is still open: the lock must not be held across it.
    writer.write(makeEvent(2))
    expect(iterator.next().value).toEqual(makeEvent(0))
    expect(iterator.next().done).toBe(true)
    expect(parseLog(dir)).toEqual([makeEvent(2), makeEvent(1), makeEvent(0)])
    writer.close()
    reader.close()
  })

  it('an open read iteration keeps its snapshot while another sink rewrites the file', () => {
    const dir = tempLogDir()
    const writer = createJsonSink({ rootLogDir: dir, lock: { timeoutMs: 500 } })
    const reader = createJsonSink({ rootLogDir: dir, lock: { timeoutMs: 500 } })
    const events = [makeEvent(0), makeEvent(1), makeEvent(2)]
    for (const event of events) writer.write(event)
    const iterator = reader.read({ order: 'oldest-first' })[Symbol.iterator]()
    expect(iterator.next().value).toEqual(events[0])
    const big = makeEvent(3, { blob: 'b'.repeat(40_000) })
    writer.write(big)
    expect([iterator.next().value, iterator.next().value, iterator.next().done]).toEqual([events[1], events[2], true])
    expect([...reader.read()]).toEqual([big, ...[...events].reverse()])
    writer.close()
    reader.close()
  })

  it('a writer that cannot get the lock in time throws locked and changes nothing; it writes once the lock is free', () => {
    const dir = tempLogDir()
    const sink = createJsonSink({ rootLogDir: dir, lock: { timeoutMs: 50 } })
    sink.write(makeEvent(0))
    sink.flush()
    const before = readLogBytes(dir)
    const other = createFileLock(logPath(dir), 'another-process')
    other.acquire()
    try {
      expect(() => sink.write(makeEvent(1))).toThrow(expect.objectContaining({ code: 'locked', message: expect.stringContaining('.lock') }))
      expect(() => [...sink.read()]).toThrow(expect.objectContaining({ code: 'locked' }))
      expect(readLogBytes(dir).equals(before)).toBe(true)
    } finally {
      other.release()
    }
    sink.write(makeEvent(1))
    sink.close()
    expect(parseLog(dir)).toEqual([makeEvent(1), makeEvent(0)])
  })
})
