import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { HEADER_END, LAYOUT_TAIL, MIN_GAP, decodeHeader, encodeChunk, encodeHeader, encodePrefix, gapFor, isGapByte } from '../src/json-layout.js'

const head = (header: Buffer): Buffer => Buffer.concat([Buffer.from('['), header])

describe('header', () => {
  it('is 57 bytes of spaces and tabs after the opening bracket', () => {
    const header = encodeHeader({ gapEnd: 123_456, dirty: true })
    expect(header.length).toBe(HEADER_END - 1)
    expect([...header].every((byte) => byte === 0x20 || byte === 0x09)).toBe(true)
  })

  it('round-trips every gap end up to 2^40 and both dirty flags', () => {
    fc.assert(
      fc.property(fc.integer({ min: HEADER_END, max: 2 ** 40 }), fc.boolean(), (gapEnd, dirty) => {
        expect(decodeHeader(head(encodeHeader({ gapEnd, dirty })))).toEqual({ gapEnd, dirty })
      }),
    )
  })

  it('keeps JSON.parse happy: a header is whitespace inside the array', () => {
    fc.assert(
      fc.property(fc.integer({ min: HEADER_END, max: 2 ** 40 }), fc.boolean(), (gapEnd, dirty) => {
        expect(JSON.parse(`${head(encodeHeader({ gapEnd, dirty })).toString('latin1')}\n{"a":1}\n]\n`)).toEqual([{ a: 1 }])
      }),
    )
  })

  it.each([
    ['the Python original (indent 2)', '[\n  {\n    "timestamp": "2026-05-27T14:30:00.123456Z",\n    "action_type": "x"'],
    ['a compact array', '[{"timestamp":"2026-05-27T14:30:00.123456Z","action_type":"hp_change","status":"success"}]'],
    ['an empty array padded with spaces', `[${' '.repeat(80)}]`],
    ['garbage', 'this is not json at all, not even close to it, no no no no no'],
    ['an object', `{${' '.repeat(80)}}`],
  ])('rejects %s', (_name, text) => {
    expect(decodeHeader(Buffer.from(text))).toBeUndefined()
  })

  it('rejects a head shorter than the header', () => {
    const full = head(encodeHeader({ gapEnd: 100, dirty: false }))
    expect(decodeHeader(full.subarray(0, HEADER_END - 1))).toBeUndefined()
    expect(decodeHeader(full)).toEqual({ gapEnd: 100, dirty: false })
  })

  it('rejects a head whose magic, flag or position bytes are not header bytes', () => {
    const good = head(encodeHeader({ gapEnd: 4096, dirty: false }))
    for (const at of [0, 1, 8, 9, 10, HEADER_END - 1]) {
      const bad = Buffer.from(good)
      bad[at] = 0x0a
      expect(decodeHeader(bad), `byte ${at}`).toBeUndefined()
    }
  })
})

describe('prefix and chunks', () => {
  it('encodePrefix is "[", a clean header pointing past the gap, then the gap of spaces', () => {
    for (const gap of [0, 1, 100, MIN_GAP]) {
      const prefix = encodePrefix(gap)
      expect(prefix.length).toBe(HEADER_END + gap)
      expect(prefix[0]).toBe(0x5b)
      expect(decodeHeader(prefix.subarray(0, HEADER_END))).toEqual({ gapEnd: HEADER_END + gap, dirty: false })
      expect([...prefix.subarray(HEADER_END)].every((byte) => byte === 0x20)).toBe(true)
    }
  })

  it('encodePrefix with a length is the start of the whole prefix', () => {
    for (const [gap, length] of [[16_384, 16_384], [40_000, 16_384], [10, HEADER_END + 10], [100, HEADER_END]]) {
      expect(encodePrefix(gap as number, length)).toEqual(encodePrefix(gap as number).subarray(0, length))
    }
  })

  it('a prefix, a first chunk and the tail make a valid one-event array', () => {
    const text = Buffer.concat([encodePrefix(10), encodeChunk('{"a":1}', true), Buffer.from(LAYOUT_TAIL)]).toString()
    expect(JSON.parse(text)).toEqual([{ a: 1 }])
  })

  it('a chunk before an existing event ends with a comma; a first chunk does not', () => {
    expect(encodeChunk('{"a":1}', false).toString()).toBe('\n{"a":1},')
    expect(encodeChunk('{"a":1}', true).toString()).toBe('\n{"a":1}')
    expect(encodeChunk('{"é":"€"}', false).length).toBe(Buffer.byteLength('\n{"é":"€"},'))
  })

  it('gapFor grows with the body and always fits two chunks, never below the minimum', () => {
    fc.assert(
      fc.property(fc.nat({ max: 2 ** 32 }), fc.integer({ min: 1, max: 2 ** 24 }), (body, chunk) => {
        const gap = gapFor(body, chunk)
        expect(gap).toBeGreaterThanOrEqual(MIN_GAP)
        expect(gap).toBeGreaterThanOrEqual(2 * chunk)
        expect(gap).toBeGreaterThanOrEqual(body)
      }),
    )
    expect(gapFor(0, 1)).toBe(MIN_GAP)
    expect(gapFor(1_000_000, 10)).toBe(1_000_000)
    expect(gapFor(0, MIN_GAP)).toBe(2 * MIN_GAP)
  })

  it('isGapByte accepts exactly space and tab', () => {
    expect([0x20, 0x09].map(isGapByte)).toEqual([true, true])
    expect([0x0a, 0x0d, 0x5b, 0x2c, undefined].map(isGapByte)).toEqual([false, false, false, false, false])
  })
})
