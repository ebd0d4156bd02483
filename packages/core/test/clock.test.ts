import { AUDIT_TIMESTAMP_PATTERN, createClock, formatMicros, parseMicros, type Clock } from '@auditrail/core'
import fc from 'fast-check'
import { describe, expect, test } from 'vitest'

/** 2026-05-27T14:30:00Z, the spec's example day. */
const SPEC_DAY_MS = Date.UTC(2026, 4, 27, 14, 30, 0)

/** The clock re-anchors when the wall clock runs ahead of it by more than this (clock.ts `MAX_LAG_US`). */
const MAX_LAG_US = 2_000

/** Hand-driven time sources: the test steps the wall clock and the monotonic counter itself. */
function manualTime(startWallMs = SPEC_DAY_MS) {
  const state = { wallMs: startWallMs, monoNs: 1_000_000_000n }
  const clock: Clock = createClock({ wallMs: () => state.wallMs, monotonicNs: () => state.monoNs })
  return { state, clock }
}

/** Asserts each stamp sorts after the one before it, as text and as time (one assertion, for speed). */
function expectStrictlyIncreasing(stamps: readonly string[]): void {
  const broken = stamps.findIndex((stamp, i) => i > 0 && !(stamp > (stamps[i - 1] as string) && parseMicros(stamp) > parseMicros(stamps[i - 1] as string)))
  expect(broken === -1 ? 'strictly increasing' : `${stamps[broken - 1]} then ${stamps[broken]}`).toBe('strictly increasing')
}

describe('createClock with the real time sources', () => {
  test('writes ISO 8601 UTC with exactly six fractional digits and Z, at a fixed width', () => {
    const stamp = createClock().now()
    expect(stamp).toMatch(AUDIT_TIMESTAMP_PATTERN)
    expect(stamp).toHaveLength('2026-05-27T14:30:00.123456Z'.length)
  })

  test('is strictly increasing over many calls in a tight loop', () => {
    const clock = createClock()
    const stamps = Array.from({ length: 20_000 }, () => clock.now())
    expect(stamps.filter((stamp) => !AUDIT_TIMESTAMP_PATTERN.test(stamp))).toEqual([])
    expectStrictlyIncreasing(stamps)
  })

  test('starts near the wall clock', () => {
    const before = Date.now() * 1000
    const micros = parseMicros(createClock().now())
    const after = Date.now() * 1000
    // A bound on the value, not on elapsed time: the stamp lies between two wall-clock reads around it.
    expect(micros).toBeGreaterThanOrEqual(before)
    expect(micros).toBeLessThanOrEqual(after + 1_000)
  })
})

describe('createClock with injected time sources', () => {
  test('advances with the monotonic counter while the wall clock stands still', () => {
    const { state, clock } = manualTime()
    expect(clock.now()).toBe('2026-05-27T14:30:00.000000Z')
    state.monoNs += 1_234_567n
    expect(clock.now()).toBe('2026-05-27T14:30:00.001234Z')
  })

  test('keeps counting up, one microsecond at a time, when no time passes', () => {
    const { clock } = manualTime()
    expect([clock.now(), clock.now(), clock.now()]).toEqual([
      '2026-05-27T14:30:00.000000Z',
      '2026-05-27T14:30:00.000001Z',
      '2026-05-27T14:30:00.000002Z',
    ])
  })

  test('ignores a backward wall-clock step', () => {
    const { state, clock } = manualTime()
    const first = clock.now()
    state.wallMs -= 3_600_000
    state.monoNs += 5_000n
    expect(clock.now()).toBe('2026-05-27T14:30:00.000005Z')
    expect(clock.now() > first).toBe(true)
  })

  test('follows a forward wall-clock step once a millisecond of monotonic time has passed', () => {
    const { state, clock } = manualTime()
    clock.now()
    state.wallMs += 3_600_000
    // The wall clock is read once per millisecond of monotonic time: not yet.
    state.monoNs += 999_000n
    expect(clock.now()).toBe('2026-05-27T14:30:00.000999Z')
    state.monoNs += 1_000n
    expect(clock.now()).toBe('2026-05-27T15:30:00.000000Z')
  })

  test('truncates a fractional wall clock to whole microseconds', () => {
    const { state, clock } = manualTime(SPEC_DAY_MS + 0.1234567)
    expect(clock.now()).toBe('2026-05-27T14:30:00.000123Z')
    state.wallMs += 10.0000001
    state.monoNs += 1_000_000n
    expect(clock.now()).toBe('2026-05-27T14:30:00.010123Z')
  })

  test('property: over any wall-clock steps (forward and back) and monotonic advances, output is strictly increasing and sorts as it runs', () => {
    const step = fc.oneof(
      fc.record({ kind: fc.constant('wall' as const), ms: fc.integer({ min: -86_400_000, max: 86_400_000 }), fraction: fc.nat(999) }),
      fc.record({ kind: fc.constant('mono' as const), ns: fc.bigInt({ min: 0n, max: 5_000_000_000n }) }),
      fc.record({ kind: fc.constant('now' as const) }),
    )
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 200 }), (steps) => {
        const { state, clock } = manualTime()
        const stamps: string[] = []
        // The wall clock as the clock last read it: at creation, then whenever a millisecond of monotonic time has passed.
        // (In whole microseconds since the clock's creation, as the clock counts.)
        const originNs = state.monoNs
        let wallAtCheckMs = state.wallMs
        let checkedUs = 0n
        for (const s of steps) {
          if (s.kind === 'wall') state.wallMs += s.ms + s.fraction / 1000
          else if (s.kind === 'mono') state.monoNs += s.ns
          const monoUs = (state.monoNs - originNs) / 1000n
          if (monoUs - checkedUs >= 1_000n) {
            wallAtCheckMs = state.wallMs
            checkedUs = monoUs
          }
          const stamp = clock.now()
          expect(stamp).toMatch(AUDIT_TIMESTAMP_PATTERN)
          // It may run ahead of a wall clock that stepped back, but never lags the wall clock it last read by more than MAX_LAG_US.
          expect(parseMicros(stamp)).toBeGreaterThanOrEqual(Math.floor(wallAtCheckMs * 1000) - MAX_LAG_US)
          stamps.push(stamp)
        }
        expectStrictlyIncreasing(stamps)
        expect([...stamps].sort()).toEqual(stamps)
      }),
    )
  })
})

describe('Clock.observe', () => {
  test('makes the next timestamp greater than an observed future one', () => {
    const { clock } = manualTime()
    clock.observe('2030-01-01T00:00:00.999999Z')
    expect(clock.now()).toBe('2030-01-01T00:00:01.000000Z')
  })

  test('accepts the Python original timestamps (+00:00, no fraction)', () => {
    const { clock } = manualTime()
    clock.observe('2030-01-01T00:00:00+00:00')
    expect(clock.now()).toBe('2030-01-01T00:00:00.000001Z')
  })

  test('does not move the clock for a past or unparseable timestamp', () => {
    const { clock } = manualTime()
    clock.observe('2001-01-01T00:00:00.000000Z')
    clock.observe('not a timestamp')
    expect(clock.now()).toBe('2026-05-27T14:30:00.000000Z')
  })

  test('property: after observing any timestamp, now() sorts after it', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1_000_000_000, max: 1_000_000_000 }), fc.nat(999_999), (offsetS, fractionUs) => {
        const { clock } = manualTime()
        clock.now()
        const observed = formatMicros((SPEC_DAY_MS / 1000 + offsetS) * 1_000_000 + fractionUs)
        clock.observe(observed)
        expect(clock.now() > observed).toBe(true)
      }),
    )
  })
})

describe('formatMicros and parseMicros', () => {
  const instant = fc
    .tuple(fc.date({ min: new Date('1700-01-01T00:00:00Z'), max: new Date('2250-01-01T00:00:00Z'), noInvalidDate: true }), fc.nat(999))
    .map(([date, us]) => date.getTime() * 1000 + us)

  test('formats the spec example', () => {
    expect(formatMicros(SPEC_DAY_MS * 1000 + 123_456)).toBe('2026-05-27T14:30:00.123456Z')
  })

  test('property: parse inverts format, and the text matches the audit pattern', () => {
    fc.assert(
      fc.property(instant, (micros) => {
        const text = formatMicros(micros)
        expect(text).toMatch(AUDIT_TIMESTAMP_PATTERN)
        expect(parseMicros(text)).toBe(micros)
      }),
    )
  })

  test('property: string order equals time order', () => {
    fc.assert(
      fc.property(instant, instant, (a, b) => {
        expect(formatMicros(a) < formatMicros(b)).toBe(a < b)
      }),
    )
  })

  test('parses Python isoformat output and shorter or longer fractions', () => {
    const base = SPEC_DAY_MS * 1000
    expect(parseMicros('2026-05-27T14:30:00+00:00')).toBe(base)
    expect(parseMicros('2026-05-27T14:30:00.123456+00:00')).toBe(base + 123_456)
    expect(parseMicros('2026-05-27T14:30:00Z')).toBe(base)
    expect(parseMicros('2026-05-27T14:30:00.5Z')).toBe(base + 500_000)
    expect(parseMicros('2026-05-27T14:30:00.012Z')).toBe(base + 12_000)
    expect(parseMicros('2026-05-27T14:30:00.123456789Z')).toBe(base + 123_456)
  })

  test('returns NaN for text that is not an ISO 8601 UTC timestamp', () => {
    for (const text of ['', 'yesterday', '2026-05-27 14:30:00', '2026-05-27T14:30:00+02:00', '2026-05-27T14:30:00.Z']) {
      expect(parseMicros(text), text).toBeNaN()
    }
  })
})
