import * as fs from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseMicros, type AuditEvent, type LogPosition } from '@auditrail/core'
import { checkedEntries, openLogReader, type LogReader, resolveLogTarget, type LogTarget } from '@auditrail/verify'
import { createRingBuffer } from './ring-buffer.js'

/** Where a follower is: the format reader's position (the newest event seen; for CSV, the file and the offset after its last row). */
export interface TailCursor {
  position: LogPosition
}

/** The last events of a log, oldest first, and the cursor to follow it from. */
export interface LogTail {
  readonly events: AuditEvent[]
  readonly cursor: TailCursor
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
    return { events: events.reverse(), cursor: { position: { newest } } }
  }
  const ring = createRingBuffer<AuditEvent>(count)
  let newest = Number.NEGATIVE_INFINITY
  let next = reader.bodyStart
  for (const { event, end } of checkedEntries(reader, reader.entries('oldest-first'))) {
    ring.push(event)
    newest = Math.max(newest, parseMicros(event.timestamp))
    next = end + 1
  }
  return { events: ring.toArray(), cursor: { position: { newest, file: { ino: reader.ino, next } } } }
}

/** Events written since `cursor`, oldest first, read by the format's own reader; advances the cursor. */
function readNew(target: LogTarget, cursor: TailCursor): AuditEvent[] {
  const reader = openLogReader(target)
  try {
    const since = reader.since(cursor.position)
    const fresh = [...checkedEntries(reader, since.entries)].map((entry) => entry.event)
    // Only once every new entry checked: a read that throws leaves the cursor where it was, for the next poll.
    cursor.position = since.position
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
