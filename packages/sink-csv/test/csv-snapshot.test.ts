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

describe('openCsvSnapshot heads(): the summary path', () => {
  it('gives the head of every row read() gives, over blocks, rows in other shapes, non-ASCII cells and a torn last row', () => {
    const dir = tempDir()
    const file = join(dir, CSV_LOG_FILE)
    // Some 2.5 MiB of rows, so rows straddle the reader's 1 MiB blocks; every 997th row as the Python original writes it.
    const long = 'x'.repeat(300)
    const rows: string[] = []
    for (let i = 0; i < 8000; i++) {
      const time = `2026-05-27T14:${String(Math.floor(i / 600) % 60).padStart(2, '0')}:${String(Math.floor(i / 10) % 60).padStart(2, '0')}.${String(i).padStart(6, '0')}Z`
      if (i % 997 === 0) rows.push(`${time.replace('Z', '+00:00')},tag_add,failed,,\r\n`)
      else rows.push(`${time},"ünï, ""${i % 3}""",success,"{""a"":""${long}""}","a line\r\nbreak"\r\n`)
    }
    writeFileSync(file, `${HEADER}${rows.join('')}2026-05-28T00:00:00.000000Z,pause,succ`)
    const snapshot = openCsvSnapshot(file)
    const problems: string[] = []
    const heads = [...snapshot.heads('oldest-first', (entry) => problems.push(entry.severity))]
    const events = [...snapshot.events('oldest-first', (entry) => expect(entry.severity).toBe('warning'))]
    snapshot.close()
    expect(heads).toHaveLength(8000)
    // A row in another shape is decoded whole: its head is the event itself.
    const pick = ({ action_type, status }: Pick<AuditEvent, 'action_type' | 'status'>): object => ({ action_type, status })
    expect(heads.map(pick)).toEqual(events.map(pick))
    expect(heads[1]).toEqual({ action_type: 'ünï, "1"', status: 'success' })
    expect(problems).toEqual(['warning'])
  })
})
