// Target 6: summaries and streaming reads of a large log, in fresh processes, against jq.
import { execFileSync, spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { runChild } from '../children/run-child.mjs'
import { makeCsvLog, makeJsonLog } from '../make-log.mjs'
import { median, tempDir } from '../measure.mjs'

function ensureJq(quick) {
  if (spawnSync('jq', ['--version']).status === 0) return true
  // A quick run (the test suite's smoke test) never installs anything; it reports without the jq baseline.
  if (quick) return false
  // The baseline: jq from Debian's packages, installed when missing (we run as root here).
  spawnSync('apt-get', ['install', '-y', 'jq'], { stdio: 'ignore' })
  return spawnSync('jq', ['--version']).status === 0
}

async function timed(reps, job) {
  const runs = []
  for (let r = 0; r < reps; r++) runs.push(await job())
  return { ms: median(runs.map((x) => x.ms)), maxRssMb: Math.max(...runs.map((x) => x.maxRssMb ?? 0)), heapGrowthMb: runs[0].heapGrowthMb }
}

/** Rows for the results table. */
export async function readingScenarios({ quick }) {
  const count = quick ? 20_000 : 1_000_000
  const reps = quick ? 1 : 3
  const dir = tempDir('reading')
  makeJsonLog(join(dir, 'audit_log.json'), count)
  const csvDir = tempDir('reading-csv')
  makeCsvLog(join(csvDir, 'audit_log.csv'), count)
  const summary = await timed(reps, () => runChild('read-log', dir, 'json', 'summary'))
  const newest = await timed(reps, () => runChild('read-log', dir, 'json', 'events', 'newest-first'))
  const oldest = await timed(reps, () => runChild('read-log', dir, 'json', 'events', 'oldest-first'))
  const csvSummary = await timed(1, () => runChild('read-log', csvDir, 'csv', 'summary'))
  const open = await timed(reps, () => runChild('open-append', dir, 'json'))
  const memory = await timed(1, () => runChild('open-append', dir, 'json', quick ? 20_000 : 200_000))
  let jqMs
  if (ensureJq(quick)) {
    const runs = []
    for (let r = 0; r < reps; r++) {
      const start = process.hrtime.bigint()
      execFileSync('jq', ['-c', 'reduce .[].action_type as $a ({}; .[$a] += 1)', join(dir, 'audit_log.json')], { maxBuffer: 1 << 20 })
      runs.push(Number(process.hrtime.bigint() - start) / 1e6)
    }
    jqMs = median(runs)
  }
  const n = count.toLocaleString('en')
  const ms = (x) => x * 1000
  return [
    { scenario: `getLogSummary, ${n} JSON events (ms; peak ${summary.maxRssMb.toFixed(0)} MB)`, value: ms(summary.ms), baseline: jqMs === undefined ? undefined : ms(jqMs), baselineName: 'jq reduce', target: '≤ 2 s, ≤ 200 MB, ≥ 5× jq', ok: summary.ms <= 2000 && summary.maxRssMb <= 200 && (jqMs === undefined || jqMs / summary.ms >= 5) },
    { scenario: `stream every event newest first, ${n} (ms; peak ${newest.maxRssMb.toFixed(0)} MB)`, value: ms(newest.ms), baseline: undefined, baselineName: '', target: '≤ 2 s, ≤ 200 MB', ok: newest.ms <= 2000 && newest.maxRssMb <= 200 },
    { scenario: `stream every event oldest first, ${n} (ms; peak ${oldest.maxRssMb.toFixed(0)} MB)`, value: ms(oldest.ms), baseline: undefined, baselineName: '', target: '≤ 2 s, ≤ 200 MB', ok: oldest.ms <= 2000 && oldest.maxRssMb <= 200 },
    { scenario: `getLogSummary, ${n} CSV rows (ms; peak ${csvSummary.maxRssMb.toFixed(0)} MB)`, value: ms(csvSummary.ms), baseline: undefined, baselineName: '', target: 'reported', ok: true },
    { scenario: `open a ${n}-event log and append one (ms)`, value: ms(open.ms), baseline: undefined, baselineName: '', target: '≤ 50 ms', ok: open.ms <= 50 },
    { scenario: `logger heap growth over ${quick ? '20,000' : '200,000'} more events`, value: Math.max(0, memory.heapGrowthMb), unit: 'MB', baseline: undefined, baselineName: '', target: '< 16 MB', ok: memory.heapGrowthMb < 16 },
  ]
}
