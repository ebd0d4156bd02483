import { createHash, createHmac } from 'node:crypto'
import {
  canonicalJson,
  chainHash,
  chainMessage,
  createChainVerifier,
  createEventLogger,
  createMemorySink,
  eventJson,
  formatChainHead,
  formatMicros,
  GENESIS_HASH,
  isAuditrailError,
  parseChainHead,
  type AuditEvent,
  type Clock,
  type JsonValue,
} from '@auditrail/core'
import { jsonValueArbitrary } from '@auditrail/testkit'
import fc from 'fast-check'
import { describe, expect, test } from 'vitest'

function steppingClock(): Clock {
  let micros = Date.UTC(2026, 4, 27, 14, 30, 0) * 1000
  return { now: () => formatMicros(micros++), observe: () => {} }
}

/** Rebuilds a value with its object keys in reverse insertion order, at every depth. */
function reverseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reverseKeys)
  if (value === null || typeof value !== 'object') return value
  const entries = Object.entries(value).reverse()
  const out: Record<string, unknown> = {}
  for (const [key, inner] of entries) Object.defineProperty(out, key, { value: reverseKeys(inner), enumerable: true, writable: true, configurable: true })
  return out
}

function chainOf(count: number, options: { hmacKey?: string; actor?: string } = {}): AuditEvent[] {
  const sink = createMemorySink()
  const logger = createEventLogger({ sinks: [sink], clock: steppingClock(), integrity: 'sha256-chain', ...options })
  for (let i = 0; i < count; i++) logger.logEvent(i % 2 === 0 ? 'pause' : 'resume', 'success', { step: i })
  logger.close()
  return [...sink.events]
}

describe('canonicalJson', () => {
  test('is key-order independent and parses back to the same value', () => {
    fc.assert(
      fc.property(jsonValueArbitrary, (value) => {
        const text = canonicalJson(value as JsonValue)
        expect(canonicalJson(reverseKeys(value) as JsonValue)).toBe(text)
        expect(JSON.parse(text)).toEqual(value)
      }),
      { seed: 6, numRuns: 300 },
    )
  })

  test('sorts keys at every depth, without whitespace (RFC 8785)', () => {
    expect(canonicalJson({ b: [{ z: 1, a: null }], a: 'é', '': true })).toBe('{"":true,"a":"é","b":[{"a":null,"z":1}]}')
  })

  test('array-index keys and __proto__ sort as strings too (the path that cannot reorder an object)', () => {
    expect(canonicalJson({ a: 3, '9': 2, '10': 1 })).toBe('{"10":1,"9":2,"a":3}')
    const withProto = JSON.parse('{"z":1,"__proto__":{"b":2,"a":1}}') as JsonValue
    expect(canonicalJson(withProto)).toBe('{"__proto__":{"a":1,"b":2},"z":1}')
  })
})

describe('chainHash', () => {
  const event = { timestamp: '2026-05-27T14:30:00.000000Z', action_type: 'pause', status: 'success' as const, details: { step: 1 }, error: null, seq: 1 }

  test('is SHA-256 of the documented message, or HMAC-SHA-256 with a key', () => {
    const message = chainMessage(event, GENESIS_HASH)
    expect(message).toBe(
      `{"action_type":"pause","details":{"step":1},"error":null,"prev":"${GENESIS_HASH}","seq":1,"status":"success","timestamp":"2026-05-27T14:30:00.000000Z"}`,
    )
    expect(chainHash(event, GENESIS_HASH)).toBe(createHash('sha256').update(message).digest('hex'))
    expect(chainHash(event, GENESIS_HASH, 'k')).toBe(createHmac('sha256', 'k').update(message).digest('hex'))
    expect(chainHash(event, GENESIS_HASH, 'k')).not.toBe(chainHash(event, GENESIS_HASH, 'other'))
  })

  test('covers every field, the actor, the seq and the previous hash', () => {
    const base = chainHash(event, GENESIS_HASH)
    const variants = [
      { ...event, timestamp: '2026-05-27T14:30:00.000001Z' },
      { ...event, action_type: 'resume' },
      { ...event, status: 'failed' as const },
      { ...event, details: { step: 2 } },
      { ...event, error: '' },
      { ...event, actor: 'alice' },
      { ...event, seq: 2 },
    ]
    const hashes = new Set([base, ...variants.map((v) => chainHash(v, GENESIS_HASH)), chainHash(event, 'f'.repeat(64))])
    expect(hashes.size).toBe(variants.length + 2)
  })
})

describe('createEventLogger with integrity', () => {
  test('numbers events 1, 2, 3 and links each hash to the previous one', () => {
    const events = chainOf(4, { actor: 'alice' })
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4])
    expect(Object.keys(events[0] as AuditEvent)).toEqual(['timestamp', 'action_type', 'status', 'details', 'error', 'actor', 'seq', 'hash'])
    let previous = GENESIS_HASH
    for (const event of events) {
      expect(event.hash).toBe(chainHash({ ...event, seq: event.seq as number }, previous))
      previous = event.hash as string
    }
  })

  test('without integrity, events keep the spec fields only', () => {
    const sink = createMemorySink()
    const logger = createEventLogger({ sinks: [sink] })
    expect(Object.keys(logger.logEvent('pause', 'success'))).toEqual(['timestamp', 'action_type', 'status', 'details', 'error'])
  })

  test('a chained log refuses a writer without integrity, and the log is unchanged', () => {
    const sink = createMemorySink()
    createEventLogger({ sinks: [sink], integrity: 'sha256-chain' }).logEvent('pause', 'success')
    const plain = createEventLogger({ sinks: [sink] })
    let thrown: unknown
    try {
      plain.logEvent('resume', 'success')
    } catch (error) {
      thrown = error
    }
    expect(isAuditrailError(thrown) && thrown.code === 'options' && thrown.field === 'integrity').toBe(true)
    expect(sink.events).toHaveLength(1)
  })

  test('options are validated before anything happens', () => {
    const codeOf = (run: () => unknown): string | undefined => {
      try {
        run()
      } catch (error) {
        return isAuditrailError(error) ? `${error.code}:${error.field}` : 'other'
      }
      return undefined
    }
    // @ts-expect-error an unknown mode
    expect(codeOf(() => createEventLogger({ integrity: 'md5' }))).toBe('options:integrity')
    expect(codeOf(() => createEventLogger({ hmacKey: 'k' }))).toBe('options:hmacKey')
    expect(codeOf(() => createEventLogger({ integrity: 'sha256-chain', hmacKey: '' }))).toBe('options:hmacKey')
    expect(codeOf(() => createEventLogger({ integrity: 'sha256-chain', hmacKey: new Uint8Array(8) }))).toBeUndefined()
  })
})

describe('createChainVerifier', () => {
  const verify = (events: readonly AuditEvent[], options = {}): { findings: { problem: string; seq: number }[]; head: string | undefined } => {
    const verifier = createChainVerifier(options)
    const findings = events.flatMap((event) => verifier.check(event) ?? [])
    const end = verifier.finish()
    if (end !== undefined) findings.push(end)
    return { findings: findings.map((f) => ({ problem: f.problem, seq: f.seq })), head: verifier.head === undefined ? undefined : formatChainHead(verifier.head) }
  }

  test('an untouched chain verifies, with or without a key', () => {
    expect(verify(chainOf(5)).findings).toEqual([])
    expect(verify(chainOf(5, { hmacKey: 'k' }), { hmacKey: 'k' }).findings).toEqual([])
    expect(verify(chainOf(5, { hmacKey: 'k' }), { hmacKey: 'wrong' }).findings[0]).toEqual({ problem: 'hash-mismatch', seq: 1 })
  })

  test('names the first bad seq for an edit, a deletion, an insertion and a swap', () => {
    const events = chainOf(6)
    const at = (i: number): AuditEvent => events[i] as AuditEvent
    const edited = events.map((e, i) => (i === 2 ? { ...e, details: { step: 99 } } : e))
    expect(verify(edited).findings[0]).toEqual({ problem: 'hash-mismatch', seq: 3 })
    expect(verify(events.filter((_, i) => i !== 3)).findings[0]).toEqual({ problem: 'seq-gap', seq: 4 })
    expect(verify(events.slice(1)).findings[0]).toEqual({ problem: 'seq-gap', seq: 1 })
    const unchained: AuditEvent = { timestamp: at(2).timestamp, action_type: 'note_write', status: 'success', details: {}, error: null }
    expect(verify([...events.slice(0, 3), unchained, ...events.slice(3)]).findings).toEqual([{ problem: 'unchained', seq: 4 }])
    expect(verify([at(0), at(2), at(1), ...events.slice(3)]).findings[0]).toEqual({ problem: 'seq-gap', seq: 2 })
  })

  test('dropping the newest events is only seen against a pinned head', () => {
    const events = chainOf(6)
    const head = verify(events).head as string
    expect(head).toBe(`6:${events[5]?.hash}`)
    expect(verify(events.slice(0, 4)).findings).toEqual([])
    expect(verify(events.slice(0, 4), { expectHead: parseChainHead(head) }).findings).toEqual([{ problem: 'head-mismatch', seq: 5 }])
    expect(verify(events, { expectHead: parseChainHead(head) }).findings).toEqual([])
    expect(verify(events, { expectHead: { seq: 6, hash: 'a'.repeat(64) } }).findings).toEqual([{ problem: 'head-mismatch', seq: 6 }])
  })

  test('events written before integrity was turned on are counted, not flagged', () => {
    const sink = createMemorySink()
    createEventLogger({ sinks: [sink] }).logEvent('pause', 'success')
    const logger = createEventLogger({ sinks: [sink], integrity: 'sha256-chain' })
    logger.logEvent('resume', 'success')
    const verifier = createChainVerifier()
    expect(sink.events.map((e) => verifier.check(e))).toEqual([undefined, undefined])
    expect(verifier.unchainedBefore).toBe(1)
    expect(sink.events[1]?.seq).toBe(1)
  })

  test('seq 1 commits to the number of older unchained events: inserting or deleting one is seen', () => {
    const events = chainOf(3)
    const forged: AuditEvent = { timestamp: '2026-01-01T00:00:00.000000Z', action_type: 'pause', status: 'success', details: {}, error: null }
    expect(verify([forged, ...events]).findings).toEqual([{ problem: 'hash-mismatch', seq: 1 }])
    const sink = createMemorySink()
    const plain = createEventLogger({ sinks: [sink] })
    plain.logEvent('pause', 'success')
    plain.logEvent('resume', 'success')
    createEventLogger({ sinks: [sink], integrity: 'sha256-chain' }).logEvent('note_write', 'success')
    expect(verify(sink.events).findings).toEqual([])
    expect(verify(sink.events.slice(1)).findings).toEqual([{ problem: 'hash-mismatch', seq: 1 }])
  })

  test('parseChainHead refuses anything but <seq>:<64 hex>', () => {
    for (const bad of ['', '0:' + 'a'.repeat(64), '1:' + 'A'.repeat(64), '1:abc', 'x:' + 'a'.repeat(64)]) {
      expect(() => parseChainHead(bad)).toThrow(/expectHead: expected <seq>:<64 hex digits>/)
    }
  })
})

describe('a chained event serialized once', () => {
  const text = fc.string({ minLength: 1, unit: 'grapheme' }).filter((s) => !/[\u0000-\u001f\u007f]/.test(s))

  test('the text a sink writes is JSON.stringify of the event, and its hash is chainHash of its fields', () => {
    fc.assert(
      fc.property(
        text,
        fc.constantFrom('success', 'failed'),
        fc.dictionary(fc.string(), jsonValueArbitrary, { maxKeys: 6 }),
        fc.option(fc.string(), { nil: null }),
        fc.option(text, { nil: undefined }),
        fc.option(fc.string({ minLength: 1 }), { nil: undefined }),
        (action, status, details, error, actor, hmacKey) => {
          const written: string[] = []
          const memory = createMemorySink()
          const sink = {
            ...memory,
            write: (event: AuditEvent) => {
              written.push(eventJson(event))
              memory.write(event)
            },
          }
          const logger = createEventLogger({ sinks: [sink], clock: steppingClock(), integrity: 'sha256-chain', ...(hmacKey === undefined ? {} : { hmacKey }) })
          let previous = GENESIS_HASH
          for (let i = 0; i < 2; i++) {
            const event = logger.logEvent(action, status, details as never, error, actor === undefined ? undefined : { actor })
            expect(written[i]).toBe(JSON.stringify(event))
            const { hash, ...fields } = event
            expect(hash).toBe(chainHash(fields as never, previous, hmacKey))
            // Stored in canonical key order, unless a key JavaScript enumerates first (an array index) prevents it.
            const plain = JSON.stringify(details)
            if (!/"(?:0|[1-9]\d*)":/.test(plain) && !plain.includes('"__proto__"')) expect(JSON.stringify(event.details)).toBe(canonicalJson(details as JsonValue))
            expect(event.details).toEqual(details)
            previous = hash as string
          }
          logger.close()
        },
      ),
      { seed: 17, numRuns: 300 },
    )
  })

  test('details JavaScript cannot hold in canonical order (an array-index key) are still hashed canonically', () => {
    const logger = createEventLogger({ sinks: [createMemorySink()], clock: steppingClock(), integrity: 'sha256-chain' })
    const event = logger.logEvent('note_write', 'success', { b: 1, '10': 2, '9': 3 })
    const { hash, ...fields } = event
    expect(hash).toBe(chainHash(fields as never, GENESIS_HASH))
    expect(eventJson(event)).toBe(JSON.stringify(event))
  })
})
