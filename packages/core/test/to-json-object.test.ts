import { toJsonObject, type JsonIssue, type JsonObject } from '@auditrail/core'
import fc from 'fast-check'
import { describe, expect, test } from 'vitest'

function copyOf(value: unknown): JsonObject {
  const result = toJsonObject(value)
  if (!result.ok) throw new Error(`expected ok, got ${result.issue.path}: ${result.issue.message}`)
  return result.value
}

function issueOf(value: unknown): JsonIssue {
  const result = toJsonObject(value)
  if (result.ok) throw new Error('expected an issue')
  return result.issue
}

function isDeepFrozen(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return true
  return Object.isFrozen(value) && Object.values(value).every(isDeepFrozen)
}

class Point {
  constructor(readonly x: number) {}
}

describe('toJsonObject rejects what JSON would drop or change, naming the path', () => {
  test.each([
    ['NaN', { a: { b: [0, 1, Number.NaN] } }, 'details.a.b[2]', 'NaN is not representable'],
    ['Infinity', { x: Number.POSITIVE_INFINITY }, 'details.x', 'Infinity is not representable'],
    ['-Infinity', { x: Number.NEGATIVE_INFINITY }, 'details.x', '-Infinity is not representable'],
    ['a BigInt', { n: 10n }, 'details.n', '10n (a BigInt)'],
    ['a function', { f: () => 1 }, 'details.f', 'a function'],
    ['a symbol value', { s: Symbol('s') }, 'details.s', 'a symbol'],
    ['a Map', { m: new Map([[1, 2]]) }, 'details.m', 'a Map'],
    ['a Set', { s: new Set([1]) }, 'details.s', 'a Set'],
    ['a class instance', { p: new Point(1) }, 'details.p', 'a Point'],
    ['a Buffer', { b: Buffer.from('x') }, 'details.b', 'a Buffer'],
    ['an invalid Date', { d: new Date(Number.NaN) }, 'details.d', 'invalid Date'],
    ['undefined inside an array', { a: [1, undefined] }, 'details.a[1]', 'undefined is not representable'],
    ['a key that is not an identifier', { 'weird key': Number.NaN }, 'details["weird key"]', 'NaN'],
    ['a numeric key', { list: { 0: Number.NaN } }, 'details.list["0"]', 'NaN'],
  ])('%s', (_name, input, path, message) => {
    const issue = issueOf(input)
    expect(issue.path).toBe(path)
    expect(issue.message).toContain(message)
  })

  test('a sparse array hole', () => {
    // eslint-disable-next-line no-sparse-arrays
    expect(issueOf({ ids: ['s1', , 's3'] })).toEqual({ path: 'details.ids[1]', message: expect.stringContaining('sparse') as unknown })
  })

  test('symbol keys, at the top and nested', () => {
    expect(issueOf({ [Symbol('k')]: 1 }).path).toBe('details')
    expect(issueOf({ a: { [Symbol('k')]: 1 } })).toEqual({ path: 'details.a', message: expect.stringContaining('symbol keys') as unknown })
  })

  test('circular references, direct and through a child', () => {
    const self: Record<string, unknown> = { a: 1 }
    self['self'] = self
    expect(issueOf(self)).toEqual({ path: 'details.self', message: 'circular reference' })

    const parent: Record<string, unknown> = {}
    parent['child'] = { items: [parent] }
    expect(issueOf({ parent })).toEqual({ path: 'details.parent.child.items[0]', message: 'circular reference' })
  })

  test('a top-level value that is not a plain object', () => {
    for (const value of [[1, 2], 'text', 42, true, new Map(), new Point(0), new Date(0)]) {
      expect(issueOf(value).path, String(value)).toBe('details')
    }
    expect(issueOf([1]).message).toBe('expected a plain object, got an array')
  })

  test('nesting deeper than 200 levels is an issue at the first level too deep, however deep the input', () => {
    const nest = (levels: number): Record<string, unknown> => {
      let deep: unknown = {}
      for (let i = levels - 1; i >= 1; i--) deep = i % 2 === 1 ? { d: deep } : [deep]
      return deep as Record<string, unknown>
    }
    // Levels count objects and arrays alike, the details object being level 1: `nest(n)` is n levels deep.
    expect(toJsonObject(nest(200)).ok).toBe(true)
    for (const levels of [201, 200_000]) {
      const issue = issueOf(nest(levels))
      expect(issue.message).toBe("nested deeper than 200 levels, more than jq and Python's json can read")
      expect(issue.path.match(/\.d|\[0\]/g)).toHaveLength(200)
    }
  })

  test('-0 becomes 0, as JSON writes it', () => {
    const copy = copyOf({ z: -0, list: [-0, 0] })
    expect(Object.is(copy['z'], 0)).toBe(true)
    expect((copy['list'] as number[]).every((n) => Object.is(n, 0))).toBe(true)
  })

  test('uses the path it is given', () => {
    const result = toJsonObject({ x: Number.NaN }, 'payload')
    expect(result.ok ? undefined : result.issue.path).toBe('payload.x')
  })

  test('property: a bad value anywhere is reported at its exact path', () => {
    const bad = fc.constantFrom<unknown>(Number.NaN, Number.POSITIVE_INFINITY, 1n, () => 0, Symbol('x'), new Set(), new Point(2))
    const step = fc.oneof(
      fc.record({ key: fc.string() }),
      fc.record({ index: fc.nat(5), length: fc.integer({ min: 1, max: 6 }) }).map(({ index, length }) => ({ index: index % length, length })),
    )
    const render = (key: string): string => (/^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`)
    fc.assert(
      fc.property(fc.string(), fc.array(step, { maxLength: 6 }), bad, (topKey, steps, leaf) => {
        let value: unknown = leaf
        let path = ''
        for (const s of [...steps].reverse()) {
          if ('key' in s) {
            value = { [s.key]: value }
            path = `${render(s.key)}${path}`
          } else {
            const items: unknown[] = Array.from({ length: s.length }, () => 0)
            items[s.index] = value
            value = items
            path = `[${s.index}]${path}`
          }
        }
        expect(issueOf({ [topKey]: value }).path).toBe(`details${render(topKey)}${path}`)
      }),
    )
  })
})

describe('toJsonObject copies what JSON carries', () => {
  test('undefined and null details become an empty object', () => {
    expect(copyOf(undefined)).toEqual({})
    expect(copyOf(null)).toEqual({})
  })

  test('converts a Date to its ISO string', () => {
    expect(copyOf({ at: new Date('2026-05-27T14:30:00.123Z'), list: [new Date(0)] })).toEqual({
      at: '2026-05-27T14:30:00.123Z',
      list: ['1970-01-01T00:00:00.000Z'],
    })
  })

  test('omits keys whose value is undefined, as JSON.stringify does', () => {
    const copy = copyOf({ a: 1, b: undefined, nested: { c: undefined, d: null } })
    expect(Object.keys(copy)).toEqual(['a', 'nested'])
    expect(copy['nested']).toEqual({ d: null })
  })

  test('keeps an own __proto__ key as data, not as the prototype', () => {
    const input: unknown = JSON.parse('{"__proto__": {"polluted": true}, "ok": 1}')
    const copy = copyOf(input)
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype)
    expect(Object.keys(copy)).toEqual(['__proto__', 'ok'])
    expect((copy as { polluted?: unknown }).polluted).toBeUndefined()
    expect(JSON.stringify(copy)).toBe('{"__proto__":{"polluted":true},"ok":1}')
  })

  test('copies own keys only, even while Object.prototype carries an enumerable property (prototype pollution)', () => {
    const input = { a: 1, nested: { b: [2] } }
    expect(copyOf(input)).toEqual({ a: 1, nested: { b: [2] } })
    Object.defineProperty(Object.prototype, 'polluted', { value: 'yes', enumerable: true, configurable: true, writable: true })
    try {
      const copy = copyOf(input)
      expect(Object.keys(copy)).toEqual(['a', 'nested'])
      expect(Object.keys(copy.nested as object)).toEqual(['b'])
      expect(JSON.stringify(copy)).toBe('{"a":1,"nested":{"b":[2]}}')
    } finally {
      delete (Object.prototype as Record<string, unknown>)['polluted']
    }
    expect(Object.keys(copyOf(input))).toEqual(['a', 'nested'])
  })

  test('accepts null-prototype objects and shared (non-circular) references', () => {
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, { k: 'v' })
    const shared = { x: 1 }
    expect(copyOf({ bare, a: shared, b: [shared, shared] })).toEqual({ bare: { k: 'v' }, a: { x: 1 }, b: [{ x: 1 }, { x: 1 }] })
  })

  test('returns a frozen deep copy that later changes to the input do not reach', () => {
    const input = { params: { lr: 0.1 }, ids: ['s1', 's2'] }
    const copy = copyOf(input)
    expect(copy).not.toBe(input)
    expect(isDeepFrozen(copy)).toBe(true)
    input.params.lr = 99
    input.ids.push('s3')
    expect(copy).toEqual({ params: { lr: 0.1 }, ids: ['s1', 's2'] })
    expect(Object.isFrozen(input)).toBe(false)
  })

  test('property: the copy serializes exactly as the input and is deeply frozen', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (input) => {
        const copy = copyOf(input)
        // Compared as JSON text: fc.jsonValue may produce -0, which JSON writes as 0.
        expect(JSON.stringify(copy)).toBe(JSON.stringify(input))
        expect(isDeepFrozen(copy)).toBe(true)
      }),
    )
  })

  test('a getter that copies other details meanwhile (re-entry) leaves both copies and both issues intact', () => {
    const inner = { z: [1, { y: NaN }] }
    let innerIssue: JsonIssue | undefined
    let innerCopy: JsonObject | undefined
    const outer = {
      a: 1,
      get b() {
        innerIssue = issueOf(inner)
        innerCopy = copyOf({ q: ['r'] })
        return { c: [2, 3] }
      },
      d: 'e',
    }
    expect(copyOf(outer)).toEqual({ a: 1, b: { c: [2, 3] }, d: 'e' })
    expect(innerIssue?.path).toBe('details.z[1].y')
    expect(innerCopy).toEqual({ q: ['r'] })
    // And after an issue, the next walk starts clean.
    expect(issueOf({ k: [0, [undefined]] }).path).toBe('details.k[1][0]')
    expect(copyOf({ k: [0, [1]] })).toEqual({ k: [0, [1]] })
  })

  test('property: copies after refused inputs are unaffected by them (the walk state is reused)', () => {
    const bad = { bad: [1, { n: Infinity }] }
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.dictionary(fc.string(), fc.jsonValue()), fc.constant(bad)), { maxLength: 8 }), (inputs) => {
        for (const input of inputs) {
          const result = toJsonObject(input)
          if (input === bad) expect(result.ok ? 'ok' : result.issue.path).toBe('details.bad[1].n')
          else expect(result.ok && JSON.stringify(result.value) === JSON.stringify(input)).toBe(true)
        }
      }),
    )
  })
})
