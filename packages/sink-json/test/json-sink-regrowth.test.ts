import { readdirSync, readlinkSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { AuditrailError, type AuditEvent } from '@auditrail/core'
import { createRecordingIo, type RecordingIo } from '@auditrail/testkit'
import { createJsonSink, type JsonSinkOptions } from '../src/index.js'
import { createJsonLogFile } from '../src/json-log-file.js'
import { createRegrower } from '../src/regrow-job.js'
import { createFaultyIo } from './faulty-io.js'
import { logPath, makeEvent, parseLog, tempLogDir } from './event-factory.js'

/** An event of about `bytes` bytes, so a few dozen fill a gap. */
function sized(i: number, bytes = 400): AuditEvent {
  return makeEvent(i, { n: i, pad: 'x'.repeat(bytes) })
}

const temps = (dir: string): string[] => readdirSync(dir).filter((name) => name.endsWith('.tmp'))

/** Descriptors open in this process that point at files under `dir`. */
function openUnder(dir: string): string[] {
  return readdirSync('/proc/self/fd').flatMap((fd) => {
    try {
      const target = readlinkSync(join('/proc/self/fd', fd))
      return target.startsWith(dir) ? [target] : []
    } catch {
      // Closed between the listing and the readlink.
      return []
    }
  })
}

/** Writes events with `sink` until one of its background regrowths is under way (a temporary file exists). */
function writeUntilJob(sink: ReturnType<typeof createJsonSink>, dir: string, events: AuditEvent[], limit = 2000): void {
  for (let i = events.length; i < limit; i++) {
    const event = sized(i)
    sink.write(event)
    events.push(event)
    if (temps(dir).length > 0) return
  }
  throw new Error(`no regrowth started within ${limit} events`)
}

describe('regrowth in a worker thread (the default for logs over minBodyBytes)', () => {
  it('a burst across many regrowths keeps every event, newest first; the copies run beside it; close leaves nothing open', () => {
    const dir = tempLogDir()
    const sink = createJsonSink({ rootLogDir: dir, regrowth: { minBodyBytes: 0 } })
    const events: AuditEvent[] = []
    let sawTemp = 0
    for (let i = 0; i < 6000; i++) {
      const event = sized(i)
      sink.write(event)
      events.push(event)
      if (i % 20 === 0 && temps(dir).length > 0) sawTemp++
    }
    expect(sawTemp, 'a temporary file was being built while the writer went on').toBeGreaterThan(0)
    expect([...sink.read()]).toEqual([...events].reverse())
    sink.close()
    expect(parseLog(dir)).toEqual([...events].reverse())
    expect(temps(dir)).toEqual([])
    expect(openUnder(dir)).toEqual([])
  })

  it('close() in the middle of a job removes its temporary file and closes every descriptor', () => {
    const dir = tempLogDir()
    const sink = createJsonSink({ rootLogDir: dir, regrowth: { minBodyBytes: 0 } })
    const events: AuditEvent[] = []
    writeUntilJob(sink, dir, events)
    sink.close()
    expect(temps(dir)).toEqual([])
    expect(openUnder(dir)).toEqual([])
    expect(parseLog(dir)).toEqual([...events].reverse())
  })

  it('{ mode: "sync" } never starts one', () => {
    const dir = tempLogDir()
    const io = createRecordingIo()
    const sink = createJsonSink({ rootLogDir: dir, io, regrowth: { mode: 'sync', minBodyBytes: 0 } })
    for (let i = 0; i < 500; i++) sink.write(sized(i))
    sink.close()
    // A plain rewrite creates its temporary file and renames it; it never opens one again by name.
    expect(io.ops.filter((op) => op.kind === 'open' && op.path.endsWith('.tmp') && !op.created)).toEqual([])
  })
})

describe('the background protocol, run inline through io', () => {
  const inline = (dir: string, io: JsonSinkOptions['io']): JsonSinkOptions => ({ rootLogDir: dir, ...(io === undefined ? {} : { io }), regrowth: { mode: 'inline', minBodyBytes: 0 } })

  it('builds the new file through io, then renames it over the log at a later append, before it is full', () => {
    const dir = tempLogDir()
    const io = createRecordingIo()
    const sink = createJsonSink(inline(dir, io))
    const events = Array.from({ length: 400 }, (_, i) => sized(i))
    for (const event of events) sink.write(event)
    sink.close()
    expect(parseLog(dir)).toEqual([...events].reverse())
    const reopened = io.ops.filter((op) => op.kind === 'open' && op.path.endsWith('.tmp') && !op.created)
    const renamed = io.ops.filter((op) => op.kind === 'rename')
    expect(reopened.length).toBeGreaterThan(0)
    expect(renamed.length).toBeGreaterThan(0)
    expect(temps(dir)).toEqual([])
  })

  it('a job whose log another writer replaced meanwhile is abandoned: nothing lost, its temporary file removed', () => {
    const dir = tempLogDir()
    const mine = createJsonSink(inline(dir, createRecordingIo()))
    const events: AuditEvent[] = []
    writeUntilJob(mine, dir, events)
    mine.flush()
    // Another writer's event too big for the gap: it rewrites the log into a new inode.
    const other = createJsonSink({ rootLogDir: dir, regrowth: { mode: 'sync' } })
    const huge = makeEvent(events.length, { pad: 'y'.repeat(400_000) })
    other.write(huge)
    other.close()
    events.push(huge)
    for (let i = events.length, end = i + 5; i < end; i++) {
      const event = sized(i)
      mine.write(event)
      events.push(event)
    }
    mine.close()
    expect(parseLog(dir)).toEqual([...events].reverse())
    expect(temps(dir)).toEqual([])
  })

  it('a temporary file removed under it (another writer cleaning up) only costs the job', () => {
    const dir = tempLogDir()
    const sink = createJsonSink(inline(dir, createRecordingIo()))
    const events: AuditEvent[] = []
    writeUntilJob(sink, dir, events)
    for (const name of temps(dir)) rmSync(join(dir, name))
    for (let i = events.length, end = i + 600; i < end; i++) {
      const event = sized(i)
      sink.write(event)
      events.push(event)
    }
    sink.close()
    expect(parseLog(dir)).toEqual([...events].reverse())
    expect(temps(dir)).toEqual([])
  })

  it('a job that fails (ENOSPC on the new file) leaves the log valid; the next growth succeeds', () => {
    const dir = tempLogDir()
    const io = createFaultyIo()
    const sink = createJsonSink(inline(dir, io))
    const events = Array.from({ length: 800 }, (_, i) => sized(i))
    for (const event of events.slice(0, 100)) sink.write(event)
    // The next temporary-file write is the first of a background job (its gap is low long before it is full).
    let failures = 0
    io.failWrites((path) => path.endsWith('.tmp') && failures++ < 1)
    for (const event of events.slice(100)) sink.write(event)
    sink.close()
    expect(failures, 'temporary-file writes after the failed one').toBeGreaterThan(1)
    expect(parseLog(dir)).toEqual([...events].reverse())
    expect(temps(dir)).toEqual([])
    expect(logPath(dir)).toBe(join(dir, 'audit_log.json'))
  })
})

describe('regrowth options', () => {
  const refused = (regrowth: unknown, withIo = false): AuditrailError => {
    try {
      createJsonSink({ rootLogDir: tempLogDir(), regrowth: regrowth as JsonSinkOptions['regrowth'], ...(withIo ? { io: createFaultyIo() } : {}) })
    } catch (error) {
      if (error instanceof AuditrailError) return error
      throw error
    }
    throw new Error('accepted')
  }

  it.each([
    [5, 'regrowth'],
    [{ mode: 'later' }, 'regrowth.mode'],
    [{ minBodyBytes: -1 }, 'regrowth.minBodyBytes'],
    [{ minBodyBytes: 1.5 }, 'regrowth.minBodyBytes'],
  ])('%j is an options error naming %s', (regrowth, field) => {
    const error = refused(regrowth)
    expect(error.code).toBe('options')
    expect(error.field).toBe(field)
  })

  it('a worker with a custom io is refused (the worker thread calls node:fs), naming the field', () => {
    const error = refused({ mode: 'worker' }, true)
    expect(error.code).toBe('options')
    expect(error.field).toBe('regrowth.mode')
    expect(error.message).toContain('inline')
  })
})

describe('a shared log', () => {
  /** Appends `count` sized events through the file handler directly, with the regrower told whether others wait. */
  function appendWith(othersWaiting: boolean, count: number): RecordingIo {
    const dir = tempLogDir()
    const io = createRecordingIo()
    const file = logPath(dir)
    const regrower = createRegrower({ mode: 'inline', minBodyBytes: 0 }, { io, customIo: true, file, fileMode: 0o600, fsync: false, othersWaiting: () => othersWaiting })
    const log = createJsonLogFile(io, file, false, 0o600, regrower)
    log.load(true)
    for (let i = 0; i < count; i++) {
      const event = sized(i)
      log.append(JSON.stringify(event), event)
    }
    log.tidy()
    log.close()
    expect(parseLog(dir)).toHaveLength(count)
    return io
  }
  const backgroundJobs = (io: RecordingIo): number => io.ops.filter((op) => op.kind === 'open' && op.path.endsWith('.tmp') && !op.created).length

  it('starts no background job while another writer waits for the lock (each would copy the same log)', () => {
    expect(backgroundJobs(appendWith(false, 600))).toBeGreaterThan(0)
    expect(backgroundJobs(appendWith(true, 600))).toBe(0)
  })
})
