// Timing helpers: medians over repetitions, each repetition timing a whole batch with process.hrtime.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** Median of numbers. */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

/** Runs `batch()` (which performs `count` operations) `reps` times; returns the median µs per operation. */
export async function perOp(reps, count, batch) {
  const samples = []
  for (let r = 0; r < reps; r++) {
    const start = process.hrtime.bigint()
    await batch(r)
    samples.push(Number(process.hrtime.bigint() - start) / 1000 / count)
  }
  return median(samples)
}

/** A fresh temporary directory, removed by `cleanup()`. */
const made = []
export function tempDir(label) {
  const dir = mkdtempSync(join(process.env.AUDITRAIL_BENCH_DIR ?? tmpdir(), `auditrail-bench-${label}-`))
  made.push(dir)
  return dir
}

/** Removes every directory `tempDir` made. */
export function cleanup() {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true })
}

/** Waits for the next turn of the event loop. */
export const nextTurn = () => new Promise((resolve) => setImmediate(resolve))
