import * as fs from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseMicros, type AuditEvent } from '@auditrail/core'
import { checkedEntries, openLogReader, type LogReader, resolveLogTarget, type LogTarget } from '@auditrail/verify'
import { createRingBuffer } from './ring-buffer.js'

/** Where a follower is: the newest event seen, and for CSV the offset after the last complete row and its file. */
export interface TailCursor {
  newest: number
  csv?: { ino: number; next: number }
}

/** The last events of a log, oldest first, and the cursor to follow it from. */
export interface LogTail {
  readonly events: AuditEvent[]
  readonly cursor: TailCursor
}

function inode(file: string): number {
  return fs.statSync(file).ino
}

/** Reads the last `count` events in one pass: newest first from a JSON log, through a ring from a CSV log. */
export function readLogTail(reader: LogReader, count: number): LogTail {
  if (reader.format === 'json') {
    const events: AuditEvent[] = []
    let newest = Number.NEGATIVE_INFINITY
    for (const { event } of checkedEntries(reader, reader.entries('newest-first'))) {
      newest = Math.max(newest, parseMicros(event.timestamp))
      if (events.length >= count) break
      events.push(event)
    }
    return { events: events.reverse(), cursor: { newest } }
  }
  const ring = createRingBuffer<AuditEvent>(count)
  let newest = Number.NEGATIVE_INFINITY
  let next = reader.bodyStart
  for (const { event, end } of checkedEntries(reader, reader.entries('oldest-first'))) {
    ring.push(event)
    newest = Math.max(newest, parseMicros(event.timestamp))
    next = end + 1
  }
  return { events: ring.toArray(), cursor: { newest, csv: { ino: inode(reader.file), next } } }
}

/** Events written since `cursor`, oldest first; advances the cursor. */
function readNew(target: LogTarget, cursor: TailCursor): AuditEvent[] {
  const reader = openLogReader(target)
  try {
    const fresh: AuditEvent[] = []
    if (target.format === 'json') {
      // The JSON log grows at its head and timestamps strictly increase: read newest first up to the last seen.
      for (const { event } of checkedEntries(reader, reader.entries('newest-first'))) {
        if (parseMicros(event.timestamp) <= cursor.newest) break
        fresh.push(event)
      }
      fresh.reverse()
    } else {
      const ino = inode(target.file)
      // Same file, not shrunk: read only the rows appended since. Otherwise it was replaced: read it all.
      const resume = cursor.csv !== undefined && cursor.csv.ino === ino && cursor.csv.next <= reader.size ? cursor.csv.next : reader.bodyStart
      let next = resume
      for (const { event, end } of checkedEntries(reader, reader.entries('oldest-first', { from: resume }))) {
        next = end + 1
        if (parseMicros(event.timestamp) > cursor.newest || resume !== reader.bodyStart) fresh.push(event)
      }
      cursor.csv = { ino, next }
    }
    for (const event of fresh) cursor.newest = Math.max(cursor.newest, parseMicros(event.timestamp))
    return fresh
  } finally {
    reader.close()
  }
}

/** Options of {@link followLog}. */
export interface FollowOptions {
  /** The command's `[log]` argument, resolved again until a log appears there. */
  readonly path: string
  readonly intervalMs: number
  readonly signal: AbortSignal
  readonly onEvents: (events: readonly AuditEvent[]) => void
}

/** Polls this many times without a change of the file's stat before reading anyway (coarse-mtime file systems). */
const FORCED_READ_EVERY = 20
/** A read that fails this many polls in a row ends the follow; fewer are a writer caught mid-rewrite. */
const MAX_FAILED_POLLS = 20

/**
 * Follows a log until `signal` aborts: each poll, when the file's stat changed, prints the events newer than
 * the newest seen. Works for any writer, in any process; a file replaced by a rewrite is picked up.
 */
export async function followLog(target: LogTarget | undefined, cursor: TailCursor, options: FollowOptions): Promise<void> {
  let seen = ''
  let polls = 0
  let failed = 0
  while (!options.signal.aborted) {
    try {
      await sleep(options.intervalMs, undefined, { signal: options.signal })
    } catch {
      return // aborted: a requested stop, not a failure
    }
    try {
      target ??= resolveLogTarget(options.path)
      const stat = fs.statSync(target.file, { bigint: true })
      const key = `${stat.ino}:${stat.size}:${stat.mtimeNs}:${stat.ctimeNs}`
      if (key === seen && ++polls % FORCED_READ_EVERY !== 0) continue
      seen = key
      const events = readNew(target, cursor)
      if (events.length > 0) options.onEvents(events)
      failed = 0
    } catch (error) {
      seen = ''
      if (++failed >= MAX_FAILED_POLLS && target !== undefined) throw error
    }
  }
}
