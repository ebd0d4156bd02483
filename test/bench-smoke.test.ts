import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { expect, it } from 'vitest'
import { formatRatio } from '../bench/ratio.mjs'

const run = promisify(execFile)
const bench = fileURLToPath(new URL('../bench/run.mjs', import.meta.url))

// A smoke test only: the quick benchmark runs and every scenario reports a figure. No timing is asserted.
it('pnpm bench --quick runs every scenario and reports each', async () => {
  const { stdout } = await run(process.execPath, [bench, '--quick', '--no-write'], { timeout: 240_000, maxBuffer: 1 << 24 })
  const rows = stdout.split('\n').filter((line) => /^\| .+ \| (yes|NO) \|$/.test(line))
  const scenarios = rows.map((row) => row.split(' | ')[0]?.slice(2) ?? '')
  for (const expected of [
    'JSON append, ',
    'JSON logEvent burst (validate',
    'CSV logEvent burst',
    'vs pino sync destination',
    'one event per event-loop turn',
    'another process waiting for the lock',
    'vs the original algorithm',
    "durability 'fsync'",
    'group commit, 64 producers',
    '8 processes on one log',
    'getLogSummary, ',
    'stream every event newest first',
    'stream every event oldest first',
    'open a ',
    'logger heap growth',
    'auditrail report, ',
    'report file size, ',
    'gRPC proxy: bare node:http2 forwarder (floor), 16 clients',
    'gRPC proxy: proxy audited (1 event/call), 16 clients',
    'gRPC proxy: proxy audited, 1 client, p50 latency added',
  ]) {
    expect(scenarios.some((name) => name.includes(expected)), expected).toBe(true)
  }
  for (const row of rows) expect(row).toMatch(/\| \d[\d,.]* (µs|ms|MB) \|/)
  expect(stdout).toMatch(/\d+ of \d+ targets met/)
}, 300_000)

it('the ratio column: two decimals, or how many times faster where two decimals would print 0.00×', () => {
  expect(formatRatio(3.79, 2.9)).toBe('1.31×')
  expect(formatRatio(7.02, 92.38)).toBe('0.08×')
  // The original algorithm's rows of bench/RESULTS.md: 5.49 µs against 2.4 ms, 5.23 µs against 8.5 ms.
  expect(formatRatio(5.49, 2400)).toBe('≈ 440× faster')
  expect(formatRatio(5.23, 8500)).toBe('≈ 1,600× faster')
})
