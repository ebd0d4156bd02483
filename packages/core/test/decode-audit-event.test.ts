import {
  AuditrailError,
  canonicalTimestamp,
  decodeAuditEvent,
  decodeParsedAuditEvent,
  formatDecodeIssue,
  formatMicros,
  TimestampCodec,
  type AuditEvent,
  type DecodeSource,
} from '@auditrail/core'
import fc from 'fast-check'
import { describe, expect, test } from 'vitest'

const valid = {
  timestamp: '2026-05-27T14:30:00.123456Z',
  action_type: 'hp_change',
  status: 'success',
  details: { changed_params: { learning_rate: 0.001, batch_size: 32 } },
  error: null,
} as const

function decodeOk(input: unknown): AuditEvent {
  const result = decodeAuditEvent(input)
  if (result._tag === 'Left') throw new Error(`expected Right, got ${result.left.message}`)
  return result.right
}

function decodeError(input: unknown, source?: DecodeSource): AuditrailError {
  const result = decodeAuditEvent(input, source)
  if (result._tag === 'Right') throw new Error(`expected Left for ${JSON.stringify(input)}`)
  expect(result.left).toBeInstanceOf(AuditrailError)
  expect(result.left.code).toBe('decode')
  return result.left
}

function without(key: keyof typeof valid): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...valid }
  delete copy[key]
  return copy
}

describe('decodeAuditEvent: valid events', () => {
  test('decodes the spec example events', () => {
    expect(decodeOk(valid)).toEqual(valid)
    const failed = { ...valid, action_type: 'query_execute', status: 'failed', error: 'Invalid query syntax: unexpected token' }
    expect(decodeOk(failed)).toEqual(failed)
  })

  test('accepts the timestamps the Python original writes, and reads them in our form (Z, six digits)', () => {
    const read = {
      '2026-05-27T14:30:00+00:00': '2026-05-27T14:30:00.000000Z',
      '2026-05-27T14:30:00.123456+00:00': '2026-05-27T14:30:00.123456Z',
      '2026-05-27T14:30:00.5-00:00': '2026-05-27T14:30:00.500000Z',
      '2026-05-27T14:30:00.123456Z': '2026-05-27T14:30:00.123456Z',
      '2026-05-27T14:30:00Z': '2026-05-27T14:30:00.000000Z',
      '2026-05-27T14:30:00.123456789+00:00': '2026-05-27T14:30:00.123456789Z',
    }
    for (const [timestamp, canonical] of Object.entries(read)) {
      expect(decodeOk({ ...valid, timestamp }).timestamp, timestamp).toBe(canonical)
      expect(canonicalTimestamp(timestamp)).toBe(canonical)
      const parsed = JSON.parse(JSON.stringify({ ...valid, timestamp })) as unknown
      const fast = decodeParsedAuditEvent(parsed)
      expect(fast._tag === 'Right' && fast.right.timestamp).toBe(canonical)
    }
  })

  test('a timestamp without a zone is refused with the form expected', () => {
    const result = decodeAuditEvent({ ...valid, timestamp: '2026-05-27T14:30:00.123456' })
    expect(result._tag === 'Left' && result.left.message).toContain(
      'timestamp: expected an ISO 8601 UTC timestamp with its zone, such as 2026-05-27T14:30:00.123456Z, got "2026-05-27T14:30:00.123456"',
    )
  })

  test('passes unknown top-level keys through', () => {
    expect(decodeOk({ ...valid, experiment: 'my_experiment', user: { id: 7 } })).toMatchObject({ experiment: 'my_experiment', user: { id: 7 } })
  })

  test('accepts action types outside the spec list', () => {
    expect(decodeOk({ ...valid, action_type: 'custom.action' }).action_type).toBe('custom.action')
  })

  test('property: any event that went through JSON decodes to itself', () => {
    const event = fc.record({
      timestamp: fc.integer({ min: 0, max: 2_000_000_000 }).map((s) => formatMicros(s * 1_000_000)),
      action_type: fc.string({ minLength: 1 }).filter((s) => !/[\u0000-\u001f\u007f]/.test(s)),
      status: fc.constantFrom('success', 'failed'),
      details: fc.dictionary(fc.string(), fc.jsonValue()),
      error: fc.option(fc.string(), { nil: null }),
    })
    fc.assert(
      fc.property(event, (e) => {
        const parsed: unknown = JSON.parse(JSON.stringify(e))
        expect(decodeOk(parsed)).toEqual(parsed)
      }),
    )
  })
})

describe('decodeAuditEvent: invalid events', () => {
  test('names the bad status with the exact expected/got wording', () => {
    const error = decodeError({ ...valid, status: 'ok' })
    expect(error.message).toContain('status: expected "success" | "failed" | "error", got "ok"')
    expect(error.field).toBe('status')
    expect(error.issues).toEqual([{ path: 'status', expected: '"success" | "failed" | "error"', actual: 'ok' }])
  })

  test('names details when it is an array or a string', () => {
    for (const details of [[1, 2], 'lr=0.1', null]) {
      const error = decodeError({ ...valid, details })
      expect(error.issues).toEqual([{ path: 'details', expected: 'JsonObject', actual: details }])
      expect(error.message).toContain(`details: expected JsonObject, got ${JSON.stringify(details)}`)
    }
  })

  test('names a missing field by its name', () => {
    const error = decodeError(without('error'))
    expect(error.field).toBe('error')
    expect(error.issues).toEqual([{ path: 'error', expected: '(string | null)', actual: undefined }])
    expect(error.message).toContain('error: expected (string | null), got undefined')
  })

  test('reports every missing field, each at its own path', () => {
    const error = decodeError({ details: {} })
    expect(error.issues.map((i) => i.path)).toEqual(['timestamp', 'action_type', 'status', 'error'])
  })

  test('names an error of the wrong type, even an object with index-like keys', () => {
    expect(decodeError({ ...valid, error: 42 }).issues).toEqual([{ path: 'error', expected: '(string | null)', actual: 42 }])
    expect(decodeError({ ...valid, error: { 0: 'x' } }).issues.map((i) => i.path)).toEqual(['error'])
  })

  test('points into nested details at the innermost bad value', () => {
    // JSON cannot carry NaN, but decodeAuditEvent accepts any value, so it must locate one.
    const error = decodeError({ ...valid, details: { a: { b: [1, 2, 3, 4, Number.NaN] } } })
    expect(error.issues).toEqual([{ path: 'details.a.b[4]', expected: 'JsonValue', actual: Number.NaN }])
    expect(error.message).toContain('details.a.b[4]: expected JsonValue, got NaN')
  })

  test('rejects malformed timestamps and action types', () => {
    for (const timestamp of ['2026-05-27 14:30:00', '2026-05-27T14:30:00+02:00', '2026-13-45T99:99:99Z', 1_700_000_000]) {
      expect(decodeError({ ...valid, timestamp }).field).toBe('timestamp')
    }
    for (const action_type of ['', 'two\nlines', 7]) {
      expect(decodeError({ ...valid, action_type }).field).toBe('action_type')
    }
  })

  test('rejects a value that is not an object at all, naming the root', () => {
    const error = decodeError(null)
    expect(error.issues).toEqual([{ path: '', expected: 'AuditEvent', actual: null }])
    expect(error.message).toContain('value: expected AuditEvent, got null')
  })

  test('puts the source component, position and file in the message', () => {
    const error = decodeError({ ...valid, status: 'ok' }, { component: 'sink-json', file: 'root_experiment/audit_log.json', position: 'event 3' })
    expect(error.component).toBe('sink-json')
    expect(error.file).toBe('root_experiment/audit_log.json')
    expect(error.message).toBe(
      '[auditrail] [sink-json] event 3: not an audit event: status: expected "success" | "failed" | "error", got "ok" (root_experiment/audit_log.json)',
    )
  })

  test('property: any status other than the three is rejected with its value in the message', () => {
    fc.assert(
      fc.property(fc.string().filter((s) => s !== 'success' && s !== 'failed' && s !== 'error'), (status) => {
        const error = decodeError({ ...valid, status })
        expect(error.issues).toEqual([{ path: 'status', expected: '"success" | "failed" | "error"', actual: status }])
      }),
    )
  })
})

describe('formatDecodeIssue', () => {
  test('renders path, expectation and value, shortening long values', () => {
    expect(formatDecodeIssue({ path: 'details.x', expected: 'JsonValue', actual: Number.POSITIVE_INFINITY })).toBe(
      'details.x: expected JsonValue, got Infinity',
    )
    const long = formatDecodeIssue({ path: 'error', expected: 'string', actual: ['x'.repeat(200)] })
    expect(long.endsWith('…')).toBe(true)
    expect(long.length).toBeLessThan(120)
  })
})

describe('TimestampCodec', () => {
  // Timestamps that share their date and time to the second with an earlier valid one skip Date.parse: whatever the
  // order, each answer must be the one the full check gives.
  const pattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]00:00)$/
  const fullCheck = (s: string): boolean => pattern.test(s) && !Number.isNaN(Date.parse(s))
  const seconds = ['2026-05-27T14:30:00', '2026-05-27T14:30:01', '2026-02-30T00:00:00', '2026-13-01T00:00:00', '2026-05-27T24:61:00', '1999-12-31T23:59:59']
  const timestampArb = fc
    .tuple(fc.constantFrom(...seconds), fc.constantFrom('', '.1', '.123456', '.123456789', '.', '.1234567890'), fc.constantFrom('Z', '+00:00', '-00:00', '+01:00', ''))
    .map(([second, fraction, zone]) => `${second}${fraction}${zone}`)

  test('accepts exactly what the pattern and Date.parse accept, in any sequence', () => {
    fc.assert(
      fc.property(fc.array(timestampArb, { minLength: 1, maxLength: 30 }), (timestamps) => {
        for (const timestamp of timestamps) expect(TimestampCodec.is(timestamp), timestamp).toBe(fullCheck(timestamp))
      }),
    )
  })

  test('rejects an invalid month right after a valid timestamp', () => {
    expect(TimestampCodec.is('2026-05-27T14:30:00.000001Z')).toBe(true)
    expect(TimestampCodec.is('2026-05-27T14:30:00.5+00:00')).toBe(true)
    expect(TimestampCodec.is('2026-13-27T14:30:00.000001Z')).toBe(false)
  })
})
