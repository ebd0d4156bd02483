import { createHash, createHmac } from 'node:crypto'
import { readFileSync } from 'node:fs'
import {
  canonicalJson,
  chainHash,
  chainMessage,
  createChainVerifier,
  createEventLogger,
  createMemorySink,
  GENESIS_HASH,
  genesisHash,
  type AuditEvent,
  type Clock,
  type JsonObject,
  type JsonValue,
} from '@auditrail/core'
import { auditEventsArbitrary, jsonValueArbitrary } from '@auditrail/testkit'
import fc from 'fast-check'
import { describe, expect, test } from 'vitest'

/**
 * The chain format is a public contract (the README recomputes a hash in Python; logs written by earlier versions must
 * still verify). The fast paths of `canonicalJson`, `chainMessage` and the logger's stamping are checked here against
 * the plainest reading of RFC 8785: every object's keys sorted by UTF-16 code units, spelled out key by key, values as
 * `JSON.stringify` writes them, the outer object canonicalized like any other, hashed with a Hash object.
 */
function referenceCanonical(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value)
  if (Array.isArray(value)) return `[${value.map(referenceCanonical).join(',')}]`
  const keys = Object.keys(value).sort()
  return `{${keys.map((key) => `${JSON.stringify(key)}:${referenceCanonical((value as Record<string, unknown>)[key])}`).join(',')}}`
}

function referenceHash(event: AuditEvent, previousHash: string, hmacKey?: string): string {
  const fields: Record<string, unknown> = {
    timestamp: event.timestamp,
    action_type: event.action_type,
    status: event.status,
    details: event.details,
    error: event.error,
    seq: event.seq,
    prev: previousHash,
  }
  if (event.actor !== undefined) fields['actor'] = event.actor
  const digest = hmacKey === undefined ? createHash('sha256') : createHmac('sha256', hmacKey)
  return digest.update(referenceCanonical(fields), 'utf8').digest('hex')
}

/** Any UTF-16 code unit, lone surrogates included: strings JSON.stringify must escape differently from raw text. */
const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit))
const anyString = fc.oneof(fc.string({ unit: codeUnit, maxLength: 12 }), fc.string({ unit: 'grapheme', maxLength: 12 }))
/** Keys a sorted copy cannot reorder by assignment (array indices, `__proto__`), and keys differing only in case or accent. */
const awkwardKey = fc.oneof(anyString, fc.constantFrom('__proto__', '0', '9', '10', '4294967294', '4294967295', '01', '-1', 'a', 'A', 'é', 'e\u0301', '𝄞', '\uffff'))
/** Numbers whose shortest form is an exponent or many digits, and integers beyond 2^53. */
const awkwardNumber = fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => (Object.is(n, -0) ? 0 : n)), fc.constantFrom(1e21, 1e-7, 5e-324, 0.1, 9007199254740993, -1.5e300, 0.006000000000000001))
const { tree: awkwardValue } = fc.letrec<{ tree: JsonValue }>((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    awkwardNumber,
    anyString,
    fc.array(tie('tree'), { maxLength: 4 }),
    fc.dictionary(awkwardKey, tie('tree'), { maxKeys: 5 }).map(ownKeys),
  ),
}))

/** `record` rebuilt with every key an own data property (`__proto__` included), in its insertion order. */
function ownKeys(record: Record<string, JsonValue>): JsonObject {
  const out: Record<string, JsonValue> = {}
  for (const [key, value] of Object.entries(record)) Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true })
  return out
}

const awkwardDetails = fc.dictionary(awkwardKey, awkwardValue, { maxKeys: 6 }).map(ownKeys)

describe('canonicalJson equals the spelled-out RFC 8785 reference', () => {
  test('on awkward values (array-index and __proto__ keys, lone surrogates, exponent numbers)', () => {
    fc.assert(
      fc.property(awkwardValue, (value) => {
        expect(canonicalJson(value)).toBe(referenceCanonical(value))
      }),
      { seed: 16, numRuns: 2000 },
    )
  })

  test("on the testkit's JSON values", () => {
    fc.assert(
      fc.property(jsonValueArbitrary, (value) => {
        expect(canonicalJson(value as JsonValue)).toBe(referenceCanonical(value))
      }),
      { seed: 17, numRuns: 500 },
    )
  })
})

describe('chainMessage and chainHash equal the reference', () => {
  const chained = fc.tuple(auditEventsArbitrary({ minLength: 1, maxLength: 3 }), awkwardDetails, fc.option(anyString, { nil: undefined }), fc.nat(), fc.oneof(fc.constant(GENESIS_HASH), anyString))
  test('for any event, previous hash, actor and seq, with and without an HMAC key', () => {
    fc.assert(
      fc.property(chained, ([events, details, actor, seq, previous]) => {
        for (const base of events) {
          for (const event of [{ ...base, seq }, { ...base, details, seq, ...(actor === undefined ? {} : { actor }) }] as (AuditEvent & { seq: number })[]) {
            const fields = { ...event }
            delete (fields as { hash?: string }).hash
            expect(chainMessage(event, previous)).toBe(referenceCanonical({ ...fields, prev: previous }))
            expect(chainHash(event, previous)).toBe(referenceHash(event, previous))
            expect(chainHash(event, previous, 'k')).toBe(referenceHash(event, previous, 'k'))
          }
        }
      }),
      { seed: 18, numRuns: 400 },
    )
  })

  test('the genesis of a chain started on a log of unchained events is the documented SHA-256', () => {
    for (const count of [1, 2, 1000]) expect(genesisHash(count)).toBe(createHash('sha256').update(`auditrail-chain-start:${count}`).digest('hex'))
    expect(genesisHash(0)).toBe(GENESIS_HASH)
  })
})

/** A clock that hands out the given timestamps in order. */
function replayClock(timestamps: readonly string[]): Clock {
  let next = 0
  return { now: () => timestamps[next++] as string, observe: () => {} }
}

describe("the logger's stamping equals the reference", () => {
  test('every event it logs carries the reference hash of its fields and its predecessor', () => {
    fc.assert(
      fc.property(auditEventsArbitrary({ minLength: 1, maxLength: 6 }), fc.array(awkwardDetails, { maxLength: 6 }), fc.boolean(), (events, extra, keyed) => {
        const sink = createMemorySink()
        const hmacKey = keyed ? 'key' : undefined
        const logger = createEventLogger({ sinks: [sink], clock: replayClock(events.map((e) => e.timestamp)), integrity: 'sha256-chain', ...(hmacKey === undefined ? {} : { hmacKey }) })
        events.forEach((e, i) => logger.logEvent(e.action_type, e.status, extra[i] ?? e.details, e.error, i % 2 === 0 ? { actor: `actor ${i}` } : undefined))
        logger.close()
        let previous = GENESIS_HASH
        for (const event of sink.events) {
          expect(event.hash).toBe(referenceHash(event, previous, hmacKey))
          previous = event.hash as string
        }
      }),
      { seed: 19, numRuns: 200 },
    )
  })
})

describe('chains written before the fast paths (fixtures/chain-v1.json, by commit 810feb9)', () => {
  const fixture = JSON.parse(readFileSync(new URL('./fixtures/chain-v1.json', import.meta.url), 'utf8')) as Record<'sha256' | 'hmac' | 'actor', AuditEvent[]>
  const cases = [
    ['sha256', undefined],
    ['hmac', 'fixture-key'],
    ['actor', undefined],
  ] as const

  test.each(cases)('%s: verify, and every stored hash is recomputed exactly', (name, hmacKey) => {
    const events = fixture[name]
    expect(events.length).toBe(8)
    const verifier = createChainVerifier(hmacKey === undefined ? {} : { hmacKey })
    let previous = GENESIS_HASH
    for (const event of events) {
      expect(verifier.check(event)).toBeUndefined()
      expect(chainHash({ ...event, seq: event.seq as number }, previous, hmacKey)).toBe(event.hash)
      previous = event.hash as string
    }
    expect(verifier.finish()).toBeUndefined()
  })

  test.each(cases)('%s: the logger, given the same input and clock, writes the same hashes', (name, hmacKey) => {
    const stored = fixture[name]
    const sink = createMemorySink()
    const logger = createEventLogger({ sinks: [sink], clock: replayClock(stored.map((e) => e.timestamp)), integrity: 'sha256-chain', ...(hmacKey === undefined ? {} : { hmacKey }) })
    for (const e of stored) logger.logEvent(e.action_type, e.status, e.details, e.error, e.actor === undefined ? undefined : { actor: e.actor })
    logger.close()
    expect(sink.events.map((e) => e.hash)).toEqual(stored.map((e) => e.hash))
  })
})
