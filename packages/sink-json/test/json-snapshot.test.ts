import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { checkedEntries, START_POSITION, type AuditEvent, type LogEntry } from '@auditrail/core'
import { createJsonSink, JSON_LOG_FILE, openJsonSnapshot, writeJsonLogFile, writeJsonLogFileFrom } from '@auditrail/sink-json'
import { makeEvent, tempLogDir } from './event-factory.js'

const eventsOf = (entries: Iterable<LogEntry>): AuditEvent[] => [...entries].flatMap((entry) => (entry.kind === 'event' ? [entry.event] : []))

function writeAll(dir: string, events: readonly AuditEvent[]): void {
  const sink = createJsonSink({ rootLogDir: dir })
  for (const event of events) sink.write(event)
  sink.close()
}

describe('openJsonSnapshot: the JSON log reader the CLI uses', () => {
  it('streams both orders of the sink\'s layout in one pass, reports progress, and resumes after a position', () => {
    const dir = tempLogDir()
    const file = join(dir, JSON_LOG_FILE)
    const first = [0, 1, 2].map((i) => makeEvent(i))
    writeAll(dir, first)
    const snapshot = openJsonSnapshot(file)
    try {
      expect(snapshot).toMatchObject({ format: 'json', layout: { kind: 'lines' } })
      expect(snapshot.singlePass('oldest-first')).toBe(true)
      expect(eventsOf(snapshot.entries('newest-first'))).toEqual([...first].reverse())
      const progress: number[] = []
      expect(eventsOf(snapshot.entries('oldest-first', { progress: (f) => progress.push(f) }))).toEqual(first)
      expect(progress.at(-1)).toBe(1)
      const since = snapshot.since(START_POSITION)
      expect(eventsOf(since.entries)).toEqual(first)
      writeAll(dir, [makeEvent(3), makeEvent(4)])
      // The snapshot is the file as opened: the later appends are not in it.
      expect(eventsOf(snapshot.since(START_POSITION).entries)).toEqual(first)
      const later = openJsonSnapshot(file)
      expect(eventsOf(later.since(since.position).entries)).toEqual([makeEvent(3), makeEvent(4)])
      later.close()
    } finally {
      snapshot.close()
    }
  })

  it('reads the Python original\'s indent-2 array, and writeJsonLogFile\'s output is the sink\'s layout', () => {
    const dir = tempLogDir()
    const python = join(dir, 'python.json')
    const events = [2, 1, 0].map((i) => makeEvent(i))
    writeFileSync(python, JSON.stringify(events, null, 2))
    const snapshot = openJsonSnapshot(python)
    expect(snapshot.layout.kind).toBe('array')
    expect(snapshot.singlePass('oldest-first')).toBe(false)
    expect(eventsOf(snapshot.entries('oldest-first'))).toEqual([...events].reverse())
    snapshot.close()
    const out = join(dir, JSON_LOG_FILE)
    expect(writeJsonLogFile(out, events, { sizeHint: 1000 })).toBe(3)
    const written = openJsonSnapshot(out)
    expect(written.layout.kind).toBe('lines')
    expect(eventsOf(written.entries('newest-first'))).toEqual(events)
    written.close()
    writeAll(dir, [makeEvent(3)])
    const sink = createJsonSink({ rootLogDir: dir })
    expect([...sink.read()]).toEqual([makeEvent(3), ...events])
    sink.close()
  })

  it('writeJsonLogFileFrom writes the same file from an async source, and a source that fails leaves the old file and no temporary one', async () => {
    const dir = tempLogDir()
    const events = [2, 1, 0].map((i) => makeEvent(i))
    const source = async function* (fail: boolean): AsyncGenerator<AuditEvent> {
      for (const event of events) {
        await new Promise((resolve) => setImmediate(resolve))
        yield event
      }
      if (fail) throw new Error('cursor lost')
    }
    const sync = join(dir, 'sync.json')
    const out = join(dir, 'async.json')
    writeJsonLogFile(sync, events, { sizeHint: 1000 })
    expect(await writeJsonLogFileFrom(out, source(false), { sizeHint: 1000 })).toBe(3)
    expect(readFileSync(out)).toEqual(readFileSync(sync))
    expect(statSync(out).mode & 0o777).toBe(0o600)
    await expect(writeJsonLogFileFrom(out, source(true))).rejects.toThrow('cursor lost')
    expect(readFileSync(out)).toEqual(readFileSync(sync))
    expect(readdirSync(dir).sort()).toEqual(['async.json', 'sync.json'])
  })

  it('names the file, line and byte of a problem', () => {
    const dir = tempLogDir()
    const file = join(dir, 'bad.json')
    writeFileSync(file, `[\n${JSON.stringify(makeEvent(1))},\n{"timestamp": 1}\n]\n`)
    const snapshot = openJsonSnapshot(file)
    try {
      expect(() => [...checkedEntries(snapshot, snapshot.entries('newest-first'), 'test')]).toThrow(/line 3 \(byte \d+\): not an audit event/)
      expect(() => [...checkedEntries(snapshot, snapshot.entries('newest-first'), 'test')]).toThrow(file)
    } finally {
      snapshot.close()
    }
  })

  it('gives each event of our layout its own line\'s bytes, and a line that is not one event per line an error, in both orders', () => {
    const dir = tempLogDir()
    const file = join(dir, 'lines.json')
    const [a, b, c, d] = [0, 1, 2, 3].map((i) => JSON.stringify(makeEvent(i)))
    // A line holding two events, and an empty line: valid JSON as a whole, which the reader must still refuse per line.
    for (const body of [`${a},${b},\n${c},\n${d}`, `${a},\n\n${c},\n${d}`]) {
      const text = `[\n${body}\n]\n`
      writeFileSync(file, text)
      const snapshot = openJsonSnapshot(file)
      try {
        for (const order of ['newest-first', 'oldest-first'] as const) {
          const entries = [...snapshot.entries(order)]
          expect(entries.some((entry) => entry.kind === 'problem' && entry.severity === 'error')).toBe(true)
          for (const entry of entries) if (entry.kind === 'event') expect(JSON.parse(text.slice(entry.start, entry.end).replace(/,$/, ''))).toEqual(entry.event)
        }
      } finally {
        snapshot.close()
      }
    }
  })
})
