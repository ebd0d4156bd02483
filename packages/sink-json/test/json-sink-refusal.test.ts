import { readdirSync, writeFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { AuditrailError } from '@auditrail/core'
import { createJsonSink } from '../src/index.js'
import { logPath, makeEvent, readLogBytes, tempLogDir } from './event-factory.js'

/** A valid file in our layout holding `count` events. */
function ourLog(dir: string, count: number): Buffer {
  const sink = createJsonSink({ rootLogDir: dir })
  for (let i = 0; i < count; i++) sink.write(makeEvent(i))
  sink.close()
  return readLogBytes(dir)
}

function refusal(dir: string): AuditrailError {
  try {
    createJsonSink({ rootLogDir: dir })
  } catch (error) {
    if (error instanceof AuditrailError) return error
    throw error
  }
  throw new Error('createJsonSink accepted the file')
}

const event = JSON.stringify(makeEvent(0))

describe('a file that is not a JSON array of events is refused, byte for byte untouched', () => {
  it.each([
    ['garbage text', 'this is not JSON\n'],
    ['a JSON object', '{"events": []}\n'],
    ['a JSON string', '"audit"\n'],
    ['JSON null', 'null'],
    ['a truncated array', '[{"timestamp": "2026'],
    ['a truncated indent-2 file', `[\n  ${event},\n  {\n    "timestamp": "2026-05-27T14:30:00.1`],
    ['an array with an event and a number', `[${event}, 42]`],
    ['an array holding a nested array', `[[${event}]]`],
    ['NaN, which Python writes for a float nan', `[{"timestamp":"2026-05-27T14:30:00Z","action_type":"x","status":"success","details":{"v":NaN},"error":null}]`],
  ])('%s', (_name, text) => {
    const dir = tempLogDir()
    writeFileSync(logPath(dir), text)
    const error = refusal(dir)
    expect(error.code).toBe('corrupt')
    expect(error.message).toContain(logPath(dir))
    expect(error.message).toContain('[sink-json]')
    expect(readLogBytes(dir).toString()).toBe(text)
    expect(readdirSync(dir)).toEqual(['audit_log.json'])
  })

  it('an array holding a non-event names the event and the field', () => {
    const dir = tempLogDir()
    const text = JSON.stringify([{ ...makeEvent(0), status: 'ok' }, makeEvent(1)], null, 2)
    writeFileSync(logPath(dir), text)
    const error = refusal(dir)
    expect(error.code).toBe('corrupt')
    expect(error.message).toContain('event 1')
    expect(error.message).toContain('status')
    expect(error.message).toContain('"ok"')
    expect(error.message).toContain(logPath(dir))
    expect(readLogBytes(dir).toString()).toBe(text)
  })

  it('names a later bad event by its position, and an offending value that holds parentheses in full', () => {
    const dir = tempLogDir()
    const text = JSON.stringify([makeEvent(2), makeEvent(1), { ...makeEvent(0), status: 'ok (legacy)' }])
    writeFileSync(logPath(dir), text)
    const error = refusal(dir)
    expect(error.code).toBe('corrupt')
    expect(error.message).toContain('event 3')
    expect(error.message).toContain('"ok (legacy)"')
    expect(error.message).toContain(logPath(dir))
  })

  it.each([
    ['the closing bracket cut off', (bytes: Buffer) => bytes.subarray(0, bytes.length - 2)],
    ['the file cut inside the header', (bytes: Buffer) => bytes.subarray(0, 30)],
    ['a gap end pointing past the end', (bytes: Buffer) => Buffer.concat([bytes.subarray(0, 20), Buffer.alloc(38, 0x09), bytes.subarray(58)])],
  ])('our layout with %s', (_name, damage) => {
    const dir = tempLogDir()
    const damaged = damage(ourLog(dir, 3))
    writeFileSync(logPath(dir), damaged)
    const error = refusal(dir)
    expect(error.code).toBe('corrupt')
    expect(error.message).toContain(logPath(dir))
    expect(readLogBytes(dir).equals(damaged)).toBe(true)
  })

  it('a file damaged after the sink opened it is refused at the next write, untouched', () => {
    const dir = tempLogDir()
    const bytes = ourLog(dir, 2)
    const sink = createJsonSink({ rootLogDir: dir })
    const damaged = bytes.subarray(0, bytes.length - 2)
    writeFileSync(logPath(dir), damaged)
    expect(() => sink.write(makeEvent(9))).toThrow(expect.objectContaining({ code: 'corrupt' }))
    expect(() => [...sink.read()]).toThrow(expect.objectContaining({ code: 'corrupt' }))
    sink.close()
    expect(readLogBytes(dir).equals(damaged)).toBe(true)
  })

  it('damage inside the body of our layout makes read() throw corrupt naming the byte, file untouched', () => {
    const dir = tempLogDir()
    const bytes = ourLog(dir, 3)
    const damaged = Buffer.concat([bytes.subarray(0, bytes.length - 20), Buffer.from('\n]\n')])
    writeFileSync(logPath(dir), damaged)
    const sink = createJsonSink({ rootLogDir: dir })
    const read = (): unknown[] => [...sink.read()]
    expect(read).toThrow(expect.objectContaining({ code: 'corrupt', message: expect.stringMatching(/byte \d+: not valid JSON/) }))
    sink.close()
    expect(readLogBytes(dir).equals(damaged)).toBe(true)
  })
})
