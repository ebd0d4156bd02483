import { parseMicros } from '@auditrail/core'

const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }
const RELATIVE = /^(\d+(?:\.\d+)?)(ms|s|min|m|h|d|w)$/

/**
 * Reads a time option as microseconds since the epoch: an ISO 8601 time (`2026-05-27T14:30:00Z`, or anything
 * `Date.parse` reads) or a duration before `nowMs` (`90s`, `15m`, `2h`, `3d`, `1w`). Returns `undefined` when
 * it is neither.
 */
export function parseTimeArg(text: string, nowMs: number): number | undefined {
  const relative = RELATIVE.exec(text.trim())
  if (relative !== null) return Math.round((nowMs - Number(relative[1]) * (UNITS[relative[2] as string] as number)) * 1000)
  const exact = parseMicros(text.trim())
  if (!Number.isNaN(exact)) return exact
  const ms = Date.parse(text)
  return Number.isNaN(ms) ? undefined : ms * 1000
}
