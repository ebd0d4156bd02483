import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { checkedEntries, START_POSITION, type AuditEvent, type LogEntry } from '@auditrail/core'
import { createCsvSink, CSV_LOG_FILE, openCsvSnapshot, writeCsvLogFile } from '@auditrail/sink-csv'
import { event, HEADER, readText, useTempDirs } from './support/csv-fixtures.js'

const tempDir = useTempDirs()
const eventsOf = (entries: Iterable<LogEntry>): AuditEvent[] => [...entries].flatMap((entry) => (entry.kind === 'event' ? [entry.event] : []))

function writeAll(dir: string, events: readonly AuditEvent[]): void {
  const sink = createCsvSink({ rootLogDir: dir })
  for (const e of events) sink.write(e)
  sink.close()
}

describe('openCsvSnapshot: the CSV log reader the CLI uses', () => {
  it('streams both orders, reports progress, and resumes at the row after a position; a rewrite resumes by time', () => {
    const dir = tempDir()
    const file = join(dir, CSV_LOG_FILE)
    const first = [0, 1, 2].map((i) => event(i))
    writeAll(dir, first)
    const snapshot = openCsvSnapshot(file)
    const since = snapshot.since(START_POSITION)
    expect(snapshot.columns.names).toEqual(['timestamp', 'action_type', 'status', 'details', 'error'])
    expect(eventsOf(snapshot.entries('newest-first'))).toEqual([...first].reverse())
    const progress: number[] = []
    expect(eventsOf(snapshot.entries('oldest-first', { progress: (f) => progress.push(f) }))).toEqual(first)
    expect(progress.at(-1)).toBe(1)
    expect(eventsOf(since.entries)).toEqual(first)
    expect(since.position.file).toEqual({ ino: snapshot.ino, next: snapshot.size })
    snapshot.close()

    writeAll(dir, [event(3)])
    const appended = openCsvSnapshot(file)
    const next = appended.since(since.position)
    expect(eventsOf(next.entries)).toEqual([event(3)])
    appended.close()

    // An actor upgrades the file: one rewrite renamed over it, so the offset means nothing; the newest timestamp does.
    writeAll(dir, [event(4, { actor: 'ana' })])
    const upgraded = openCsvSnapshot(file)
    expect(upgraded.ino).not.toBe(since.position.file?.ino)
    expect(eventsOf(upgraded.since(next.position).entries)).toEqual([event(4, { actor: 'ana' })])
    upgraded.close()
  })

  it('writeCsvLogFile writes what the sink writes; a problem names file, line and byte', () => {
    const dir = tempDir()
    const events = [event(0), event(1, { actor: 'ana' })]
    writeAll(dir, events)
    const out = join(tempDir(), 'out.csv')
    expect(writeCsvLogFile(out, events)).toBe(2)
    expect(readText(out)).toBe(readText(join(dir, CSV_LOG_FILE)))

    const bad = join(dir, 'bad.csv')
    writeFileSync(bad, `${HEADER}${event(0).timestamp},pause,success,"{}",x"y"\r\n`)
    const snapshot = openCsvSnapshot(bad)
    try {
      expect(() => [...checkedEntries(snapshot, snapshot.entries('oldest-first'), 'test')]).toThrow(/line 2 \(byte 44\): cell 5: a quote inside an unquoted cell/)
    } finally {
      snapshot.close()
    }
  })
})
