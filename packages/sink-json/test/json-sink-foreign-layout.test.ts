import fc from 'fast-check'
import { writeFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { canonicalTimestamp, type JsonObject } from '@auditrail/core'
import { createJsonSink } from '../src/index.js'
import { decodeHeader, HEADER_END } from '../src/json-layout.js'
import { logPath, makeEvent, parseLog, python, readLogBytes, tempLogDir, viaJson } from './event-factory.js'

/** Three events as the Python original held them, oldest last; one has a key the spec does not name. */
const PYTHON_EVENTS = [
  {
    timestamp: '2026-05-27T14:30:10.789012+00:00',
    action_type: 'query_execute',
    status: 'failed',
    details: { query_type: 'natural_language', query_text: 'invalid syntax here' },
    error: 'Invalid query syntax: unexpected token',
    user: 'alice',
  },
  {
    timestamp: '2026-05-27T14:30:05.456789+00:00',
    action_type: 'tag_add',
    status: 'success',
    details: { tag_name: 'defect', samples_affected: 2, sample_ids: ['s1', 's2'], origins: ['train', 'val'], note: 'ünïcödé ✓' },
    error: null,
  },
  {
    timestamp: '2026-05-27T14:30:00+00:00',
    action_type: 'hp_change',
    status: 'success',
    details: { changed_params: { learning_rate: 0.001, batch_size: 32 } },
    error: null,
  },
]

/** Writes `events` exactly as the Python original does: `json.dump(events, f, indent=2)`. */
function writeAsPython(dir: string, events: unknown[]): void {
  python(
    'import json, sys\nevents = json.loads(sys.argv[2])\nwith open(sys.argv[1], "w") as f:\n    json.dump(events, f, indent=2)',
    logPath(dir),
    JSON.stringify(events),
  )
}

describe("continuing the Python original's indent-2 file", () => {
  it('reads it as it is, before any write, and leaves it untouched', () => {
    const dir = tempLogDir()
    writeAsPython(dir, PYTHON_EVENTS)
    const before = readLogBytes(dir)
    expect(before.toString()).toContain('[\n  {\n    "timestamp": "2026-05-27T14:30:10.789012+00:00",')
    const sink = createJsonSink({ rootLogDir: dir })
    // Read in our form (Z, six digits: canonicalTimestamp), while the file keeps them as Python wrote them.
    expect([...sink.read()].map((event) => event.timestamp)).toEqual(PYTHON_EVENTS.map((event) => canonicalTimestamp(event.timestamp)))
    expect([...sink.read({ order: 'oldest-first' })].map((event) => event.action_type)).toEqual(['hp_change', 'tag_add', 'query_execute'])
    sink.close()
    expect(readLogBytes(dir).equals(before)).toBe(true)
  })

  it('at the first write, converts it to our layout with the new event first and every old event kept', () => {
    const dir = tempLogDir()
    writeAsPython(dir, PYTHON_EVENTS)
    const sink = createJsonSink({ rootLogDir: dir })
    const added = makeEvent(1_000_000_000)
    sink.write(added)
    sink.close()
    const log = parseLog(dir) as Array<Record<string, unknown>>
    expect(log).toEqual([added, ...PYTHON_EVENTS])
    expect(Object.keys(log[1] ?? {})).toEqual(['timestamp', 'action_type', 'status', 'details', 'error', 'user'])
    const bytes = readLogBytes(dir)
    expect(decodeHeader(bytes.subarray(0, HEADER_END))).toMatchObject({ dirty: false })
    expect(bytes.toString().split('\n').slice(1, -2)).toHaveLength(4)
  })

  it('keeps the extra key through a read after conversion, and reads +00:00 timestamps in our form', () => {
    const dir = tempLogDir()
    writeAsPython(dir, PYTHON_EVENTS)
    const sink = createJsonSink({ rootLogDir: dir })
    sink.write(makeEvent(0))
    const read: unknown[] = [...sink.read()]
    sink.close()
    expect(read[1]).toEqual({ ...PYTHON_EVENTS[0], timestamp: canonicalTimestamp(PYTHON_EVENTS[0]?.timestamp ?? '') })
    expect(read[3]).toMatchObject({ timestamp: '2026-05-27T14:30:00.000000Z' })
    expect(readLogBytes(dir).toString()).toContain('"timestamp":"2026-05-27T14:30:00+00:00"')
  })

  it('continues appending in place after the conversion, and Python still reads it', () => {
    const dir = tempLogDir()
    writeAsPython(dir, PYTHON_EVENTS)
    const sink = createJsonSink({ rootLogDir: dir })
    const added = [makeEvent(0), makeEvent(1), makeEvent(2)]
    for (const event of added) sink.write(event)
    sink.close()
    const expected = [...[...added].reverse(), ...PYTHON_EVENTS]
    expect(parseLog(dir)).toEqual(expected)
    const out = python('import json, sys\nprint(json.dumps(json.load(open(sys.argv[1], encoding="utf-8"))))', logPath(dir))
    expect(JSON.parse(out)).toEqual(expected)
  })

  it('converts a compact one-line array written by another tool the same way', () => {
    const dir = tempLogDir()
    const old = [makeEvent(1), makeEvent(0)]
    writeFileSync(logPath(dir), JSON.stringify(old))
    const sink = createJsonSink({ rootLogDir: dir })
    sink.write(makeEvent(2))
    sink.close()
    expect(parseLog(dir)).toEqual([makeEvent(2), ...old])
  })

  it.each([
    ['an empty (0-byte) file', ''],
    ['a whitespace-only file', '  \n\t\n  '],
    ['an empty JSON array', '[]\n'],
    ['a byte-order mark and an empty array', '\ufeff[ ]'],
  ])('takes %s as an empty log', (_name, text) => {
    const dir = tempLogDir()
    writeFileSync(logPath(dir), text)
    const sink = createJsonSink({ rootLogDir: dir })
    expect([...sink.read()]).toEqual([])
    sink.write(makeEvent(0))
    sink.write(makeEvent(1))
    sink.close()
    expect(parseLog(dir)).toEqual([makeEvent(1), makeEvent(0)])
  })

  it('carries numbers over exactly as Python wrote them: integer ids above 2^53 and 1.0 stay as they were', () => {
    const dir = tempLogDir()
    python(
      'import json, sys\nevent = {"timestamp": "2026-05-27T14:30:00+00:00", "action_type": "tag_add", "status": "success",\n' +
        '  "details": {"sample_ids": [9007199254740993, 2**63 - 1], "lr": 1.0, "eps": 1e-07}, "error": None}\n' +
        'json.dump([event], open(sys.argv[1], "w"), indent=2)',
      logPath(dir),
    )
    const sink = createJsonSink({ rootLogDir: dir })
    sink.write(makeEvent(0))
    sink.close()
    const details = python('import json, sys\nprint(repr(json.load(open(sys.argv[1]))[1]["details"]))', logPath(dir)).trim()
    expect(details).toBe("{'sample_ids': [9007199254740993, 9223372036854775807], 'lr': 1.0, 'eps': 1e-07}")
  })

  it('converts any valid array of events, however it is indented, to the same events', () => {
    const detailsArb = fc.dictionary(fc.string({ unit: 'binary' }), fc.jsonValue({ maxDepth: 3, stringUnit: 'binary' }), { maxKeys: 4 })
    fc.assert(
      fc.property(fc.array(detailsArb, { maxLength: 6 }), fc.constantFrom<string | number>(0, 1, 2, '\t', ' \r\n'), (details, indent) => {
        const dir = tempLogDir()
        const old = details.map((d, i) => makeEvent(100 - i, d as JsonObject))
        writeFileSync(logPath(dir), typeof indent === 'number' && indent === 0 ? JSON.stringify(old) : JSON.stringify(old, null, indent))
        const sink = createJsonSink({ rootLogDir: dir })
        sink.write(makeEvent(1_000))
        sink.close()
        expect(parseLog(dir)).toEqual(viaJson([makeEvent(1_000), ...old]))
        expect(readLogBytes(dir).toString('utf8').split('\n')).toHaveLength(old.length + 4)
      }),
      { numRuns: 60 },
    )
  })
})
