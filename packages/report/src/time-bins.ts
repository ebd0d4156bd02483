import type { TimeBins } from './report-data.js'

/** Action types beyond this many are counted under `(other)` in the bins (the summary still counts each). */
const MAX_BIN_ACTIONS = 48
const OTHER = '(other)'

/** Counts events into time bins in one pass, whatever their order: bins double in width to stay at most `maxBins`. */
export function createTimeBins(maxBins: number): { add(us: number, action: string, failed: boolean): void; result(): TimeBins } {
  let width = 1
  // Key: bin × 2^7 + action × 2 + failed. Numbers, not strings: one map lookup per event.
  let counts = new Map<number, number>()
  let min = Number.POSITIVE_INFINITY
  let max = Number.NEGATIVE_INFINITY
  const names: string[] = []
  const indexOf = new Map<string, number>()
  let otherIndex: number | undefined
  const actionIndex = (action: string): number => {
    let index = indexOf.get(action)
    if (index !== undefined) return index
    if (names.length < MAX_BIN_ACTIONS) index = names.push(action) - 1
    else index = otherIndex ??= names.push(OTHER) - 1
    indexOf.set(action, index)
    return index
  }
  const widen = (): void => {
    width *= 2
    const merged = new Map<number, number>()
    for (const [key, n] of counts) {
      const bin = Math.floor(key / 128)
      const next = Math.floor(bin / 2) * 128 + (key - bin * 128)
      merged.set(next, (merged.get(next) ?? 0) + n)
    }
    counts = merged
    min = Math.floor(min / 2)
    max = Math.floor(max / 2)
  }
  return {
    add(us, action, failed) {
      let bin = Math.floor(us / width)
      min = Math.min(min, bin)
      max = Math.max(max, bin)
      while (max - min + 1 > maxBins) {
        widen()
        bin = Math.floor(us / width)
      }
      const key = bin * 128 + actionIndex(action) * 2 + (failed ? 1 : 0)
      counts.set(key, (counts.get(key) ?? 0) + 1)
    },
    result() {
      if (counts.size === 0) return { width, first: 0, count: 0, maxBins, actions: [], cells: [] }
      const byCell = new Map<number, [number, number]>()
      for (const [key, n] of counts) {
        const cell = key - (key % 2)
        const pair = byCell.get(cell) ?? [0, 0]
        pair[key % 2 === 1 ? 1 : 0] = (pair[key % 2 === 1 ? 1 : 0] ?? 0) + n
        byCell.set(cell, pair)
      }
      const cells: number[] = []
      for (const [cell, [success, failed]] of [...byCell].sort((a, b) => a[0] - b[0])) {
        const bin = Math.floor(cell / 128)
        cells.push(bin - min, (cell - bin * 128) / 2, success, failed)
      }
      return { width, first: min, count: max - min + 1, maxBins, actions: [...names], cells }
    },
  }
}
