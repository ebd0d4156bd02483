import { InvalidArgumentError } from 'commander'
import { parseTimeArg } from './time-arg.js'

/** Commander parser for a non-negative integer option (`--limit`, `-n`). */
export function parseCount(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('expected a whole number, e.g. 10')
  return Number(value)
}

/** Commander parser for a positive integer option (`--limit`, `--interval`). */
export function parsePositive(value: string): number {
  const n = parseCount(value)
  if (n === 0) throw new InvalidArgumentError('expected a positive whole number, e.g. 10')
  return n
}

/** Commander parser for a time option, to microseconds: ISO 8601, or a duration ago such as `2h`. */
export function timeParser(now: () => number): (value: string) => number {
  return (value) => {
    const micros = parseTimeArg(value, now())
    if (micros === undefined) throw new InvalidArgumentError('expected an ISO 8601 time (2026-05-27T14:30:00Z) or a duration ago (30s, 15m, 2h, 3d, 1w)')
    return micros
  }
}

/** Commander collector for a repeatable option that also takes comma-separated values (`--action a,b --action c`). */
export function collectList(value: string, previous: readonly string[] = []): string[] {
  return [...previous, ...value.split(',').map((part) => part.trim()).filter((part) => part !== '')]
}
