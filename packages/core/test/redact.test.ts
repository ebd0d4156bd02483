import { createHmac } from 'node:crypto'
import { isAuditrailError, toJsonObject, type JsonObject, type JsonValue } from '@auditrail/core'
import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { createRedactor, REDACTED_MARKER, type RedactKey, type RedactOption, type RedactOptions } from '@auditrail/core'

/** Details as core hands them to the redactor: validated, deep-copied, deep-frozen. */
function details(value: unknown): JsonObject {
  const result = toJsonObject(value)
  if (!result.ok) throw new Error(`${result.issue.path}: ${result.issue.message}`)
  return result.value
}

const redact = (option: RedactOption, value: unknown) => createRedactor(option)(details(value))
const HMAC = /^hmac-sha256:[0-9a-f]{64}$/
const hmacOptions = (keys: readonly RedactKey[], hmacKey: string | Uint8Array = 'k1'): RedactOptions => ({ keys, replaceWith: { hmacKey } })

function isDeepFrozen(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return true
  return Object.isFrozen(value) && Object.values(value).every(isDeepFrozen)
}

describe('which values are replaced', () => {
  test('a plain name matches at any depth, and only that key', () => {
    const out = redact(['token'], { token: 't0', a: { b: { token: 't2', keep: 1 } }, tokens: 'x' })
    expect(out).toEqual({ token: REDACTED_MARKER, a: { b: { token: REDACTED_MARKER, keep: 1 } }, tokens: 'x' })
  })

  test('a plain name matches inside arrays, nested ones too', () => {
    const out = redact(['password'], { items: [{ password: 'p1' }, 3, [[{ password: { x: 1 }, user: 'u' }]]] })
    expect(out).toEqual({ items: [{ password: REDACTED_MARKER }, 3, [[{ password: REDACTED_MARKER, user: 'u' }]]] })
  })

  test('a dotted path starts at the root and follows every element of arrays along the way', () => {
    const input = { token: 'top', auth: [{ token: 'a' }, [{ token: 'b' }], 'plain', { other: 1 }], deep: { auth: { token: 'kept' } } }
    expect(redact(['auth.token'], input)).toEqual({
      token: 'top',
      auth: [{ token: REDACTED_MARKER }, [{ token: REDACTED_MARKER }], 'plain', { other: 1 }],
      deep: { auth: { token: 'kept' } },
    })
  })

  test('segment paths reach keys containing dots; the dotted string splits at every dot', () => {
    const input = { headers: { 'x.api-key': 'k1', x: { 'api-key': 'k2' } } }
    expect(redact([['headers', 'x.api-key']], input)).toEqual({ headers: { 'x.api-key': REDACTED_MARKER, x: { 'api-key': 'k2' } } })
    expect(redact(['headers.x.api-key'], input)).toEqual({ headers: { 'x.api-key': 'k1', x: { 'api-key': REDACTED_MARKER } } })
  })

  test('a one-segment path matches the top-level key only', () => {
    expect(redact([['token']], { token: 1, a: { token: 2 } })).toEqual({ token: REDACTED_MARKER, a: { token: 2 } })
  })

  test('a matched value is replaced whole, whatever its type', () => {
    const input = { s: { o: { a: 1 }, arr: [1, { s: 2 }], n: 0, z: null, b: false, e: '' } }
    expect(redact(['s.o', 's.arr', 's.n', 's.z', 's.b', 's.e'], input)).toEqual({
      s: { o: REDACTED_MARKER, arr: REDACTED_MARKER, n: REDACTED_MARKER, z: REDACTED_MARKER, b: REDACTED_MARKER, e: REDACTED_MARKER },
    })
    expect(redact(['s'], input)).toEqual({ s: REDACTED_MARKER })
  })

  test('matching is exact and case-sensitive by default; ignoreCase folds both sides', () => {
    const input = { Authorization: 'a', headers: { AUTHORIZATION: 'b', authorization: 'c' } }
    expect(redact(['authorization'], input)).toEqual({ Authorization: 'a', headers: { AUTHORIZATION: 'b', authorization: REDACTED_MARKER } })
    expect(redact({ keys: ['Authorization'], ignoreCase: true }, input)).toEqual({
      Authorization: REDACTED_MARKER,
      headers: { AUTHORIZATION: REDACTED_MARKER, authorization: REDACTED_MARKER },
    })
    expect(redact({ keys: ['HEADERS.Authorization'], ignoreCase: true }, input)).toEqual({
      Authorization: 'a',
      headers: { AUTHORIZATION: REDACTED_MARKER, authorization: REDACTED_MARKER },
    })
  })

  test('__proto__ and constructor are ordinary keys, and stay own properties in the copy', () => {
    const input = details(JSON.parse('{"__proto__": {"token": "t", "keep": 1}, "constructor": "c", "toString": {"token": "u"}}'))
    const out = redact(['token'], input)
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype)
    expect(Object.hasOwn(out, '__proto__')).toBe(true)
    expect(JSON.parse(JSON.stringify(out))).toEqual(JSON.parse('{"__proto__": {"token": "[REDACTED]", "keep": 1}, "constructor": "c", "toString": {"token": "[REDACTED]"}}'))
    const whole = redact(['__proto__', 'constructor'], input)
    expect(Object.getPrototypeOf(whole)).toBe(Object.prototype)
    expect(JSON.stringify(whole)).toBe('{"__proto__":"[REDACTED]","constructor":"[REDACTED]","toString":{"token":"u"}}')
    expect(JSON.stringify(redact(['__proto__.keep', ['constructor']], input))).toBe('{"__proto__":{"token":"t","keep":"[REDACTED]"},"constructor":"[REDACTED]","toString":{"token":"u"}}')
    // Names of Object.prototype members match nothing unless asked for.
    expect(createRedactor(['hasOwnProperty', 'valueOf'])(input)).toBe(input)
  })
})

describe('what is copied', () => {
  test('no match returns the very same object', () => {
    const input = details({ a: { b: [{ c: 1 }] }, token2: 'x' })
    expect(createRedactor(['token', 'a.b.token', ['a', 'c']])(input)).toBe(input)
    expect(createRedactor([])(input)).toBe(input)
    expect(createRedactor({ keys: [] })(input)).toBe(input)
  })

  test('a value equal to the marker counts as unchanged: no copy', () => {
    const input = details({ token: REDACTED_MARKER })
    expect(createRedactor(['token'])(input)).toBe(input)
  })

  test('untouched subtrees are shared; copies keep key order and are frozen', () => {
    const input = details({ first: { big: [1, 2, 3] }, a: { token: 's', side: { x: 1 } }, list: [{ y: 1 }, { token: 't' }], last: 1 })
    const out = createRedactor(['token'])(input)
    expect(out).not.toBe(input)
    expect(out['first']).toBe(input['first'])
    expect((out['a'] as JsonObject)['side']).toBe((input['a'] as JsonObject)['side'])
    expect((out['list'] as JsonValue[])[0]).toBe((input['list'] as JsonValue[])[0])
    expect(Object.keys(out)).toEqual(['first', 'a', 'list', 'last'])
    expect(isDeepFrozen(out)).toBe(true)
  })
})

describe('HMAC replacement', () => {
  test('the digest is HMAC-SHA256 of the canonical JSON, prefixed', () => {
    const out = redact(hmacOptions(['password', 'nested']), { password: 's3cret', nested: { b: [1, 'x'], a: null } })
    expect(out['password']).toMatch(HMAC)
    expect(out['password']).toBe(`hmac-sha256:${createHmac('sha256', 'k1').update('"s3cret"').digest('hex')}`)
    expect(out['nested']).toBe(`hmac-sha256:${createHmac('sha256', 'k1').update('{"a":null,"b":[1,"x"]}').digest('hex')}`)
  })

  test('equal secrets give equal digests across events, keys and depths; different ones differ', () => {
    const redactor = createRedactor(hmacOptions(['token', 'api_key']))
    const one = redactor(details({ token: 'same', other: { api_key: 'same' } }))
    const two = redactor(details({ list: [{ token: 'same' }], token: 'different' }))
    const digest = one['token']
    expect(digest).toMatch(HMAC)
    expect((one['other'] as JsonObject)['api_key']).toBe(digest)
    expect(((two['list'] as JsonValue[])[0] as JsonObject)['token']).toBe(digest)
    expect(two['token']).not.toBe(digest)
    // Canonical JSON keeps types apart: the string "1" and the number 1 are different secrets.
    const typed = redactor(details({ token: '1', api_key: 1 }))
    expect(typed['token']).not.toBe(typed['api_key'])
  })

  test('the same object with a different key order gives the same digest', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 6 }), (value) => {
        const redactor = createRedactor(hmacOptions(['s']))
        const reversed = Object.fromEntries(Object.entries(value).reverse())
        expect(redactor(details({ s: reversed }))['s']).toBe(redactor(details({ s: value }))['s'])
      }),
    )
  })

  test('different keys give different digests; a string key equals its UTF-8 bytes', () => {
    const input = { token: 'same' }
    const k1 = redact(hmacOptions(['token'], 'k1'), input)['token']
    expect(redact(hmacOptions(['token'], 'k2'), input)['token']).not.toBe(k1)
    expect(redact(hmacOptions(['token'], new TextEncoder().encode('k1')), input)['token']).toBe(k1)
    expect(redact({ keys: ['token'], replaceWith: 'marker' }, input)['token']).toBe(REDACTED_MARKER)
  })

  test('a caller reusing its key buffer afterwards does not change the digests', () => {
    const key = new TextEncoder().encode('k1')
    const redactor = createRedactor(hmacOptions(['token'], key))
    const before = redactor(details({ token: 'x' }))['token']
    key.fill(0)
    expect(redactor(details({ token: 'x' }))['token']).toBe(before)
  })
})

describe('option validation', () => {
  test.each<[string, unknown, string, string]>([
    ['not an array or object', null, 'redact', 'got null'],
    ['a bare string', 'token', 'redact', 'got "token"'],
    ['missing keys', {}, 'redact.keys', 'got undefined'],
    ['keys not an array', { keys: 'token' }, 'redact.keys', 'got "token"'],
    ['an empty key', ['ok', ''], 'redact[1]', 'got ""'],
    ['an empty segment in the long form', { keys: ['a', 'b', 'c', 'a..b'] }, 'redact.keys[3]', 'segment 1 of "a..b"'],
    ['a leading dot', ['.a'], 'redact[0]', 'segment 0 of ".a"'],
    ['a trailing dot', ['a.'], 'redact[0]', 'segment 1 of "a."'],
    ['an empty segment array', [[]], 'redact[0]', 'got []'],
    ['an empty segment in an array', [['headers', '']], 'redact[0]', 'segment 1 of ["headers", ""]'],
    ['a non-string key', ['a', 42], 'redact[1]', 'got 42'],
    ['a non-string segment', [['a', 1]], 'redact[0]', 'got 1'],
    ['an object key', [{ path: 'a' }], 'redact[0]', 'got an object'],
    ['an unknown replaceWith', { keys: [], replaceWith: 'hash' }, 'redact.replaceWith', 'got "hash"'],
    ['an array replaceWith', { keys: [], replaceWith: [] }, 'redact.replaceWith', 'got []'],
    ['an empty string hmacKey', { keys: ['a'], replaceWith: { hmacKey: '' } }, 'redact.replaceWith.hmacKey', 'non-empty'],
    ['an empty Uint8Array hmacKey', { keys: ['a'], replaceWith: { hmacKey: new Uint8Array() } }, 'redact.replaceWith.hmacKey', 'non-empty'],
    ['a missing hmacKey', { keys: ['a'], replaceWith: {} }, 'redact.replaceWith.hmacKey', 'got undefined'],
    ['a number hmacKey', { keys: ['a'], replaceWith: { hmacKey: 12345 } }, 'redact.replaceWith.hmacKey', 'got number'],
    ['an unknown replaceWith field', { keys: ['a'], replaceWith: { hmacKey: 'k', algorithm: 'sha1' } }, 'redact.replaceWith.algorithm', 'unknown option'],
    ['a non-boolean ignoreCase', { keys: [], ignoreCase: 'yes' }, 'redact.ignoreCase', 'got "yes"'],
    ['a misspelt option', { keys: ['a'], ignorecase: true }, 'redact.ignorecase', 'unknown option'],
  ])('%s', (_name, option, field, message) => {
    let caught: unknown
    try {
      createRedactor(option as RedactOption)
    } catch (error) {
      caught = error
    }
    expect(isAuditrailError(caught, 'options')).toBe(true)
    if (!isAuditrailError(caught)) return
    expect(caught.field).toBe(field)
    expect(caught.message).toContain(`[auditrail] [core] ${field}: `)
    expect(caught.message).toContain(message)
    // The key is a secret: a malformed one is described, never echoed.
    expect(caught.message).not.toContain('12345')
  })
})

describe('properties', () => {
  const key = fc.constantFrom('a', 'b', 'token', 'Token', 'x.y', '__proto__', 'constructor', REDACTED_MARKER)
  const { object: objectArbitrary } = fc.letrec((tie) => ({
    value: fc.oneof({ depthSize: 'small' }, fc.constantFrom<JsonValue>(null, true, 0, 1.5, 'v', REDACTED_MARKER), tie('array'), tie('object')),
    array: fc.array(tie('value'), { maxLength: 3 }),
    object: fc.dictionary(key, tie('value'), { maxKeys: 4 }),
  }))
  const inputArbitrary = objectArbitrary.map(details)
  const redactKey: fc.Arbitrary<RedactKey> = fc.oneof(key, fc.array(key, { minLength: 1, maxLength: 3 }), fc.array(key, { minLength: 2, maxLength: 3 }).map((s) => s.join('.')))
  const keysArbitrary = fc.array(redactKey, { maxLength: 4 })
  const modeArbitrary = fc.constantFrom<RedactOptions['replaceWith']>('marker', { hmacKey: 'k' })

  test('matched values are replaced as if alone, everything else is unchanged, and the input is never mutated', () => {
    fc.assert(
      fc.property(inputArbitrary, keysArbitrary, modeArbitrary, (input, keys, replaceWith) => {
        // An independent model of matching: the last key of a position's key path is a plain name, or the whole key path is a path.
        const names = keys.filter((k): k is string => typeof k === 'string' && !k.includes('.'))
        const paths = keys.filter((k) => typeof k !== 'string' || k.includes('.')).map((k) => (typeof k === 'string' ? k.split('.') : k))
        const matched = (keyPath: readonly string[]) =>
          names.includes(keyPath.at(-1)!) || paths.some((p) => p.length === keyPath.length && p.every((s, i) => s === keyPath[i]))
        const alone = createRedactor({ keys: [['v']], replaceWith })
        const expected = (value: JsonValue) => alone(details({ v: value }))['v']

        const snapshot = structuredClone(input)
        const out = createRedactor({ keys, replaceWith })(input)
        let anyMatch = false
        const check = (before: JsonValue, after: JsonValue | undefined, keyPath: readonly string[]): void => {
          if (before === null || typeof before !== 'object') return void expect(after).toBe(before)
          expect(typeof after).toBe('object')
          if (Array.isArray(before)) {
            expect(Array.isArray(after) && after.length === before.length).toBe(true)
            return before.forEach((item, i) => check(item, (after as JsonValue[])[i], keyPath))
          }
          const afterObject = after as JsonObject
          expect(Object.keys(afterObject)).toEqual(Object.keys(before))
          for (const [k, value] of Object.entries(before as JsonObject)) {
            const path = [...keyPath, k]
            if (matched(path)) {
              anyMatch = true
              expect(afterObject[k]).toBe(expected(value))
            } else check(value, afterObject[k], path)
          }
        }
        check(input, out, [])
        if (!anyMatch) expect(out).toBe(input)
        expect(input).toEqual(snapshot)
        expect(JSON.stringify(input)).toBe(JSON.stringify(snapshot))
        expect(isDeepFrozen(out)).toBe(true)
      }),
      { numRuns: 500 },
    )
  })
})
