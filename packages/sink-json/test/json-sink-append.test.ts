import { existsSync, readdirSync } from 'node:fs'
import { execFileSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { nodeFileIo } from '@auditrail/core'
import { createJsonSink } from '../src/index.js'
import { decodeHeader, HEADER_END } from '../src/json-layout.js'
import { logPath, makeEvent, parseLog, python, readLogBytes, tempLogDir } from './event-factory.js'

const SPEC_KEYS = ['timestamp', 'action_type', 'status', 'details', 'error']

function writeEvents(dir: string, count: number) {
  const sink = createJsonSink({ rootLogDir: dir })
  const events = Array.from({ length: count }, (_, i) => makeEvent(i, { step: i, before: { lr: 0.1 }, after: { lr: 0.01 } }))
  for (const event of events) sink.write(event)
  sink.close()
  return events
}

describe('appending to audit_log.json', () => {
  it('creates no file and no directory before the first write', () => {
    const dir = `${tempLogDir()}/nested/run-1`
    const sink = createJsonSink({ rootLogDir: dir })
    expect(existsSync(dir)).toBe(false)
    sink.write(makeEvent(0))
    // While the writer keeps its lock between writes, the lock directory sits beside the file.
    expect(readdirSync(dir).sort()).toEqual(['audit_log.json', 'audit_log.json.lock'])
    sink.flush()
    expect(readdirSync(dir)).toEqual(['audit_log.json'])
    sink.close()
  })

  it('after N writes the file is one JSON array of the N events, newest first', () => {
    const dir = tempLogDir()
    const events = writeEvents(dir, 7)
    expect(parseLog(dir)).toEqual([...events].reverse())
  })

  it('writes each event with the spec keys in the spec order', () => {
    const dir = tempLogDir()
    writeEvents(dir, 3)
    for (const event of parseLog(dir) as object[]) expect(Object.keys(event)).toEqual(SPEC_KEYS)
  })

  it('puts one compact event per line between the bracket line and the closing bracket', () => {
    const dir = tempLogDir()
    const events = writeEvents(dir, 5)
    const lines = readLogBytes(dir).toString('utf8').split('\n')
    expect(lines[0]?.startsWith('[')).toBe(true)
    expect(lines[0]?.trim()).toBe('[')
    expect(lines.slice(-2)).toEqual([']', ''])
    const eventLines = lines.slice(1, -2)
    expect(eventLines).toEqual([...events].reverse().map((event, i) => JSON.stringify(event) + (i < events.length - 1 ? ',' : '')))
  })

  it('starts with a clean header whose gap end is the first event line', () => {
    const dir = tempLogDir()
    writeEvents(dir, 2)
    const bytes = readLogBytes(dir)
    const header = decodeHeader(bytes.subarray(0, HEADER_END))
    expect(header?.dirty).toBe(false)
    expect(bytes[header?.gapEnd ?? 0]).toBe(0x0a)
    expect(bytes[(header?.gapEnd ?? 0) + 1]).toBe(0x7b)
    expect([...bytes.subarray(1, header?.gapEnd)].every((byte) => byte === 0x20 || byte === 0x09)).toBe(true)
  })

  it('is read by Python json.load as the same events', () => {
    const dir = tempLogDir()
    const events = writeEvents(dir, 4)
    const out = python('import json, sys\nprint(json.dumps(json.load(open(sys.argv[1], encoding="utf-8"))))', logPath(dir))
    expect(JSON.parse(out)).toEqual([...events].reverse())
  })

  it('is read by jq as the same events, when jq is installed', () => {
    const dir = tempLogDir()
    const events = writeEvents(dir, 4)
    const jq = '/usr/bin/jq'
    const expected = [...events].reverse().map((event) => event.timestamp)
    const got = existsSync(jq) ? JSON.parse(execFileSync(jq, ['-c', '[.[].timestamp]', logPath(dir)], { encoding: 'utf8' })) : expected
    expect(got).toEqual(expected)
  })

  it('keeps non-ASCII text and escapes intact', () => {
    const dir = tempLogDir()
    const sink = createJsonSink({ rootLogDir: dir })
    const event = makeEvent(0, { note: 'naïve € 🚀 "quoted"\nnew line\u2028', lone: '\ud800' })
    sink.write(event)
    sink.close()
    expect(parseLog(dir)).toEqual([event])
    expect(readLogBytes(dir).toString('utf8').split('\n')).toHaveLength(4)
  })

  it('takes a write while a returned event object is reused by the caller', () => {
    const dir = tempLogDir()
    const sink = createJsonSink({ rootLogDir: dir })
    const details = { n: 1 }
    sink.write({ ...makeEvent(0), details })
    details.n = 2
    sink.close()
    expect((parseLog(dir) as Array<{ details: unknown }>)[0]?.details).toEqual({ n: 1 })
  })

  it.each([
    ['exactly fills the gap', 0],
    ['is one byte larger than the gap', 1],
  ])('an event whose chunk %s keeps the file valid, and the next write too', (_name, extra) => {
    const dir = tempLogDir()
    const sink = createJsonSink({ rootLogDir: dir })
    sink.write(makeEvent(0))
    sink.flush()
    const gap = (decodeHeader(readLogBytes(dir).subarray(0, HEADER_END))?.gapEnd ?? 0) - HEADER_END
    const overhead = Buffer.byteLength(`\n${JSON.stringify(makeEvent(1, { p: '' }))},`)
    const filling = makeEvent(1, { p: 'x'.repeat(gap - overhead + extra) })
    sink.write(filling)
    sink.flush()
    const header = decodeHeader(readLogBytes(dir).subarray(0, HEADER_END))
    // Filled exactly: appended in place, no gap left. One byte more: rewritten with a new gap.
    if (extra === 0) expect(header?.gapEnd).toBe(HEADER_END)
    else expect(header?.gapEnd).toBeGreaterThan(HEADER_END)
    expect(parseLog(dir)).toEqual([filling, makeEvent(0)])
    sink.write(makeEvent(2))
    sink.close()
    expect(parseLog(dir)).toEqual([makeEvent(2), filling, makeEvent(0)])
  })

  it('lays down a new gap in writes of at most 16 KiB, so appends into it stay cheap (small page-cache folios)', () => {
    const dir = tempLogDir()
    // The sizes of the writes made only of prefix bytes (`[`, header, gap); the body is copied in larger blocks.
    const sizes: number[] = []
    const io = { ...nodeFileIo, writeSync: (fd: number, buffer: Uint8Array, offset: number, length: number, position: number | null) => {
      if (buffer.subarray(offset, offset + length).every((byte) => byte === 0x20 || byte === 0x09 || byte === 0x5b)) sizes.push(length)
      return nodeFileIo.writeSync(fd, buffer, offset, length, position)
    } }
    const sink = createJsonSink({ rootLogDir: dir, io })
    // Enough events for a rewrite whose gap is twice the minimum (the size of a body over 32 KiB).
    const events = Array.from({ length: 400 }, (_, i) => makeEvent(i, { text: 'x'.repeat(200) }))
    for (const event of events) sink.write(event)
    sink.close()
    expect(Math.max(...sizes)).toBeLessThanOrEqual(16 * 1024)
    // A gap over 32 KiB was laid down, in whole 16 KiB pieces.
    expect(sizes.filter((size) => size === 16 * 1024).length).toBeGreaterThanOrEqual(2)
    expect(parseLog(dir)).toEqual([...events].reverse())
  })
})
