import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { formatMicros, type AuditEvent } from '@auditrail/core'
import { createCsvSink } from '@auditrail/sink-csv'
import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { writeLogFile } from '../src/convert-command.js'
import { openLogAt, readEvents } from '@auditrail/verify'
import { runCli, tempDir } from './support/cli-process.js'

const HASH = (c: string): string => c.repeat(64)

// A log that gains an actor at its second event and the hash chain at its third: the CSV sink upgrades its file twice.
const events: AuditEvent[] = [
  { timestamp: '2026-05-27T14:30:00.000000Z', action_type: 'hp_change', status: 'success', details: { changed_params: { lr: 0.01 } }, error: null },
  { timestamp: '2026-05-27T14:30:01.000000Z', action_type: 'tag_add', status: 'success', details: { tag_name: 'defect' }, error: null, actor: '=cmd|calc' },
  { timestamp: '2026-05-27T14:30:02.000000Z', action_type: 'pause', status: 'failed', details: {}, error: '-1', actor: 'ana, "ops"', seq: 1, hash: HASH('a') },
  { timestamp: '2026-05-27T14:30:03.000000Z', action_type: '@resume', status: 'success', details: { step: 3 }, error: null, seq: 2, hash: HASH('b') },
]
const HEADER = 'timestamp,action_type,status,details,error,actor,seq,hash\r\n'

function csvLog(): { dir: string; file: string } {
  const dir = tempDir()
  const sink = createCsvSink({ rootLogDir: dir })
  for (const event of events) sink.write(event)
  sink.close()
  return { dir, file: join(dir, 'audit_log.csv') }
}

/** Events as read back: the same fields, each absent one absent (no key). */
function keysOf(list: readonly AuditEvent[]): string[][] {
  return list.map((event) => Object.keys(event))
}

describe('CSV logs with actor, seq and hash columns', () => {
  test('the sink wrote the columns the events need, formula-guarded', () => {
    const { file } = csvLog()
    expect(readFileSync(file, 'utf8')).toBe(
      HEADER +
        '2026-05-27T14:30:00.000000Z,hp_change,success,"{""changed_params"":{""lr"":0.01}}",,,,\r\n' +
        `2026-05-27T14:30:01.000000Z,tag_add,success,"{""tag_name"":""defect""}",,'=cmd|calc,,\r\n` +
        `2026-05-27T14:30:02.000000Z,pause,failed,,'-1,"ana, ""ops""",1,${HASH('a')}\r\n` +
        `2026-05-27T14:30:03.000000Z,'@resume,success,"{""step"":3}",,,2,${HASH('b')}\r\n`,
    )
  })

  test('convert CSV → JSON keeps actor, seq and hash (and no empty ones), the guard undone', () => {
    const { file } = csvLog()
    const out = join(tempDir(), 'audit_log.json')
    expect(runCli(['convert', file, out])).toMatchObject({ code: 0, stderr: '' })
    const json = JSON.parse(readFileSync(out, 'utf8')) as AuditEvent[]
    expect(json).toEqual([...events].reverse())
    expect(keysOf(json)).toEqual(keysOf([...events].reverse()))
  })

  test('convert JSON → CSV gives, byte for byte, the file the CSV sink wrote (the columns found part way)', () => {
    const { file } = csvLog()
    const dir = tempDir()
    const json = join(dir, 'audit_log.json')
    writeFileSync(json, `[\n${[...events].reverse().map((e) => JSON.stringify(e)).join(',\n')}\n]\n`)
    const out = join(dir, 'back.csv')
    expect(runCli(['convert', json, out])).toMatchObject({ code: 0, stderr: '', stdout: `4 events: ${json} (json) → ${out} (csv)\n` })
    expect(readFileSync(out, 'utf8')).toBe(readFileSync(file, 'utf8'))
    // And once more through JSON: the round trip is exact.
    const again = join(dir, 'again.json')
    expect(runCli(['convert', out, again]).code).toBe(0)
    expect(JSON.parse(readFileSync(again, 'utf8'))).toEqual([...events].reverse())
  })

  test('convert JSON → CSV without those fields keeps the spec\'s five columns; with an actor only, six', () => {
    const dir = tempDir()
    const plain = events.map(({ timestamp, action_type, status, details, error }) => ({ timestamp, action_type, status, details, error }))
    const json = join(dir, 'plain.json')
    // A JSON log is newest first.
    writeFileSync(json, JSON.stringify([...plain].reverse()))
    expect(runCli(['convert', json, join(dir, 'plain.csv')]).code).toBe(0)
    expect(readFileSync(join(dir, 'plain.csv'), 'utf8').split('\r\n')[0]).toBe('timestamp,action_type,status,details,error')
    writeFileSync(json, JSON.stringify([{ ...plain[0], actor: 'bo' }, ...plain.slice(1)].reverse()))
    expect(runCli(['convert', json, join(dir, 'actor.csv'), '--force']).code).toBe(0)
    expect(readFileSync(join(dir, 'actor.csv'), 'utf8').split('\r\n').slice(0, 3)).toEqual([
      'timestamp,action_type,status,details,error,actor',
      '2026-05-27T14:30:00.000000Z,hp_change,success,"{""changed_params"":{""lr"":0.01}}",,bo',
      '2026-05-27T14:30:01.000000Z,tag_add,success,"{""tag_name"":""defect""}",,',
    ])
  })

  test('query and tail read them: JSON Lines with the fields, CSV with the header and the guard', () => {
    const { dir, file } = csvLog()
    const lines = runCli(['query', dir, '--jsonl', '--oldest-first']).stdout.trim().split('\n').map((line) => JSON.parse(line) as AuditEvent)
    expect(lines).toEqual(events)
    expect(keysOf(lines)).toEqual(keysOf(events))
    expect(runCli(['query', dir, '--csv', '--oldest-first']).stdout).toBe(readFileSync(file, 'utf8'))
    // From a JSON log, the columns the matching events need.
    const json = join(tempDir(), 'audit_log.json')
    expect(runCli(['convert', file, json]).code).toBe(0)
    expect(runCli(['query', json, '--csv', '--oldest-first']).stdout).toBe(readFileSync(file, 'utf8'))
    expect(runCli(['query', json, '--csv', '--action', 'hp_change']).stdout).toBe(
      'timestamp,action_type,status,details,error\r\n2026-05-27T14:30:00.000000Z,hp_change,success,"{""changed_params"":{""lr"":0.01}}",\r\n',
    )
    expect(runCli(['query', json, '--csv', '--action', 'tag_add']).stdout.split('\r\n')[0]).toBe('timestamp,action_type,status,details,error,actor')
    const tail = runCli(['tail', dir, '-n', '1', '--csv']).stdout
    expect(tail).toBe(`${HEADER}2026-05-27T14:30:03.000000Z,'@resume,success,"{""step"":3}",,,2,${HASH('b')}\r\n`)
    expect(runCli(['tail', json, '-n', '1', '--csv']).stdout).toBe(`timestamp,action_type,status,details,error,seq,hash\r\n2026-05-27T14:30:03.000000Z,'@resume,success,"{""step"":3}",,2,${HASH('b')}\r\n`)
  })

  test('a hand-written file with the extended header and LF line breaks reads as the sink\'s; a row short of a spec cell is an error', () => {
    const dir = tempDir()
    const file = join(dir, 'audit_log.csv')
    writeFileSync(file, `timestamp,action_type,status,details,error,actor\n2026-05-27T14:30:00Z,pause,success,,,\n2026-05-27T14:30:01Z,pause,failed,,"",'+x\n`)
    const lines = runCli(['query', file, '--jsonl', '--oldest-first']).stdout.trim().split('\n').map((line) => JSON.parse(line) as unknown)
    expect(lines).toEqual([
      // Read in our form: Z and six digits (canonicalTimestamp).
      { timestamp: '2026-05-27T14:30:00.000000Z', action_type: 'pause', status: 'success', details: {}, error: null },
      { timestamp: '2026-05-27T14:30:01.000000Z', action_type: 'pause', status: 'failed', details: {}, error: '', actor: '+x' },
    ])
    // The spec's five cells under a wider header: a row the Python original appended, read with an empty actor.
    writeFileSync(file, `timestamp,action_type,status,details,error,actor\r\n2026-05-27T14:30:00Z,pause,success,,\r\n`)
    // Read in the canonical form (six fractional digits), as every other writer's UTC timestamp is.
    expect(runCli(['query', file, '--jsonl']).stdout).toBe('{"timestamp":"2026-05-27T14:30:00.000000Z","action_type":"pause","status":"success","details":{},"error":null}\n')
    writeFileSync(file, `timestamp,action_type,status,details,error,actor\r\n2026-05-27T14:30:00Z,pause,success,\r\n`)
    const result = runCli(['query', file])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('line 2 (byte 50): expected 6 cells, got 4')
  })
})

describe('writeLogFile', () => {
  test('begins again with wider columns from an array; a one-shot iterator that would need it is refused, nothing written', () => {
    const dir = tempDir()
    expect(writeLogFile(join(dir, 'array.csv'), 'csv', events)).toBe(4)
    expect(readFileSync(join(dir, 'array.csv'), 'utf8')).toBe(readFileSync(csvLog().file, 'utf8'))
    function* once(): Generator<AuditEvent> {
      yield* events
    }
    expect(() => writeLogFile(join(dir, 'once.csv'), 'csv', once())).toThrow(/one-shot iterator cannot be read again; nothing written/)
    expect(existsSync(join(dir, 'once.csv'))).toBe(false)
    expect(writeLogFile(join(dir, 'factory.csv'), 'csv', once)).toBe(4)
    expect(readFileSync(join(dir, 'factory.csv'), 'utf8')).toBe(readFileSync(join(dir, 'array.csv'), 'utf8'))
  })
})

describe("the CLI's CSV reader", () => {
  test('reads arbitrary action_type, error and actor strings, and seq and hash, exactly as the sink wrote them', () => {
    const tricky = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 20 }),
      fc.tuple(fc.array(fc.constantFrom("'", '=', '+', '-', '@', '\t', '\r', '\n', '"', ','), { maxLength: 5 }), fc.string({ maxLength: 8 })).map(([h, t]) => h.join('') + t),
    )
    // eslint-disable-next-line no-control-regex
    const text = tricky.filter((s) => s.length > 0 && !/[\u0000-\u001f\u007f]/.test(s))
    const row = fc.record({ action_type: text, error: fc.option(tricky, { nil: null }), actor: fc.option(text, { nil: undefined }), chained: fc.boolean() })
    fc.assert(
      fc.property(fc.array(row, { minLength: 1, maxLength: 6 }), (rows) => {
        const events = rows.map(({ action_type, error, actor, chained }, i): AuditEvent =>
          Object.freeze({
            timestamp: formatMicros(1_780_000_000_000_000 + i),
            action_type,
            status: error === null ? ('success' as const) : ('failed' as const),
            details: {},
            error,
            ...(actor === undefined ? {} : { actor }),
            ...(chained ? { seq: i + 1, hash: HASH(String(i % 10)) } : {}),
          }),
        )
        const dir = tempDir()
        const sink = createCsvSink({ rootLogDir: dir })
        for (const event of events) sink.write(event)
        sink.close()
        const reader = openLogAt(dir)
        try {
          const read = [...readEvents(reader, 'oldest-first')]
          expect(read).toEqual(events)
          expect(keysOf(read)).toEqual(keysOf(events))
        } finally {
          reader.close()
          rmSync(dir, { recursive: true, force: true })
        }
      }),
      { numRuns: 100 },
    )
  })
})
