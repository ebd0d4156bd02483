/** A source of audit timestamps. */
export interface Clock {
  /** The next timestamp: ISO 8601 UTC, six fractional digits, strictly greater than every earlier one. */
  now(): string
  /** Makes every later `now()` strictly greater than `timestamp` (e.g. the newest event already in a shared file). */
  observe(timestamp: string): void
}

/** Injectable time sources, for tests that step the wall clock. */
export interface ClockOptions {
  /** Wall-clock milliseconds since the epoch. Default `Date.now`. */
  readonly wallMs?: () => number
  /** A monotonic nanosecond counter. Default: the process's monotonic clock, through `performance.now()`. */
  readonly monotonicNs?: () => bigint
}

/** Re-anchor on the wall clock when it runs ahead of us by more than this (a forward step or accumulated drift). */
const MAX_LAG_US = 2_000

/**
 * Read the wall clock at most once per this much monotonic time. `Date.now()` costs about 45 ns, as much as the
 * monotonic read: once per event it was a measurable part of a burst, and a wall-clock step is still noticed within
 * a millisecond.
 */
const WALL_CHECK_US = 1_000

/**
 * A formatter that caches the millisecond part of the last timestamp it formatted: consecutive events mostly share it.
 * Each clock has its own, so that other callers formatting other times (a tool, a benchmark's sample events) do not
 * evict the clock's entry on every event: a miss costs a `Date#toISOString()`, about 0.35 µs.
 */
function createMicrosFormatter(): (micros: number) => string {
  let cachedMs = Number.NaN
  let cachedPrefix = ''
  return (micros) => {
    const ms = Math.floor(micros / 1000)
    if (ms !== cachedMs) {
      cachedMs = ms
      cachedPrefix = new Date(ms).toISOString().slice(0, 23)
    }
    const us = micros - ms * 1000
    return `${cachedPrefix}${us < 10 ? '00' : us < 100 ? '0' : ''}${us}Z`
  }
}

/** Formats microseconds since the epoch as `YYYY-MM-DDTHH:MM:SS.ffffffZ`. */
export const formatMicros: (micros: number) => string = createMicrosFormatter()

/** Parses an ISO 8601 UTC timestamp to microseconds since the epoch (fraction digits past six are dropped). */
export function parseMicros(timestamp: string): number {
  const match = /^(.{19})(?:\.(\d{1,9}))?(Z|[+-]00:00)$/.exec(timestamp)
  if (match === null) return Number.NaN
  const seconds = Date.parse(`${match[1]}Z`)
  const fraction = (match[2] ?? '').padEnd(6, '0').slice(0, 6)
  return seconds * 1000 + Number(fraction)
}

/**
 * A clock with real microsecond resolution: one wall-clock anchor plus monotonic deltas (as pino's `lib/time.js`),
 * strictly increasing even when the system clock steps back; it follows the wall clock forward, checking it once per
 * millisecond of monotonic time.
 */
export function createClock(options: ClockOptions = {}): Clock {
  const wallMs = options.wallMs ?? Date.now
  const injected = options.monotonicNs
  // Microseconds on the monotonic clock. By default from performance.now() (a double, in milliseconds with sub-µs
  // precision, also driven by the monotonic clock): about 30 ns cheaper per event than hrtime.bigint() and BigInt division.
  const monotonicUs: () => number =
    injected === undefined
      ? () => Math.floor(performance.now() * 1000)
      : (() => {
          const origin = injected()
          return () => Number((injected() - origin) / 1000n)
        })()
  // Whole microseconds: a fractional wall clock (e.g. `performance.timeOrigin + performance.now()`) would
  // otherwise give timestamps of varying width and equal strings for distinct times.
  const wallUsNow = (): number => Math.floor(wallMs() * 1000)
  let anchorUs = wallUsNow()
  let anchorMonoUs = monotonicUs()
  let checkedMonoUs = anchorMonoUs
  let last = -Infinity
  let lastText = ''
  const format = createMicrosFormatter()

  return {
    now() {
      const mono = monotonicUs()
      let micros = anchorUs + (mono - anchorMonoUs)
      if (mono - checkedMonoUs >= WALL_CHECK_US) {
        checkedMonoUs = mono
        const wallUs = wallUsNow()
        if (wallUs > micros + MAX_LAG_US) {
          anchorUs = wallUs
          anchorMonoUs = mono
          micros = wallUs
        }
      }
      last = micros > last ? micros : last + 1
      lastText = format(last)
      return lastText
    },
    observe(timestamp) {
      // Usually the newest stored event is the one this clock stamped last: fixed-width strings compare as times.
      if (timestamp.length === lastText.length && timestamp <= lastText) return
      const micros = parseMicros(timestamp)
      if (micros > last) last = micros
    },
  }
}
