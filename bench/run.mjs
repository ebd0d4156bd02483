// `pnpm bench [--quick] [--no-write]`: every performance target of the project, one table, bench/RESULTS.md.
import { execFileSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { cpus, totalmem } from 'node:os'
import { fileURLToPath } from 'node:url'
import { cleanup } from './measure.mjs'
import { formatRatio } from './ratio.mjs'
import { appendScenarios } from './scenarios/append.mjs'
import { durableScenarios } from './scenarios/durable.mjs'
import { postgresScenarios } from './scenarios/postgres.mjs'
import { proxyScenarios } from './scenarios/proxy.mjs'
import { readingScenarios } from './scenarios/reading.mjs'
import { reportScenarios } from './scenarios/report.mjs'
import { writerScenarios } from './scenarios/writers.mjs'

const quick = process.argv.includes('--quick')
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined
const write = !process.argv.includes('--no-write') && only === undefined

function fmt(us, unit) {
  if (us === undefined) return '—'
  if (unit === 'MB') return `${us.toFixed(1)} MB`
  return us >= 1000 ? `${(us / 1000).toFixed(us >= 100_000 ? 0 : 1)} ms` : `${us.toFixed(2)} µs`
}

function machine() {
  let filesystem = 'unknown'
  try {
    filesystem = execFileSync('df', ['-T', process.env.AUDITRAIL_BENCH_DIR ?? '/tmp'], { encoding: 'utf8' }).trim().split('\n')[1]?.split(/\s+/)[1] ?? filesystem
  } catch {
    // df missing: the filesystem is then reported as unknown.
  }
  return `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${process.platform}, temp filesystem ${filesystem}`
}

/** Writes back every dirty page (sync(1)), so that no group's disk work spills into the next group's timings. */
function settleDisk() {
  try {
    execFileSync('sync')
  } catch {
    // No sync(1): the groups then run back to back, as before.
  }
}

const rows = []
try {
  for (const [name, scenarios] of [
    ['append', appendScenarios],
    ['durable', durableScenarios],
    ['writers', writerScenarios],
    ['reading', readingScenarios],
    ['report', reportScenarios],
    ['postgres', postgresScenarios],
    ['proxy', proxyScenarios],
  ]) {
    if (only !== undefined && only !== name) continue
    process.stderr.write(`running ${name}…\n`)
    rows.push(...(await scenarios({ quick })))
    // Each group from a quiet machine: the previous group's files removed and its dirty pages written back (the append
    // group leaves two logs of a million events; their writeback, still going during the next group, slowed it).
    cleanup()
    settleDisk()
  }
} finally {
  cleanup()
}

const header = '| scenario | median | baseline | ratio | target | met |\n| --- | --- | --- | --- | --- | --- |'
const lines = rows.map((r) => {
  const ratio = r.baseline === undefined ? '—' : formatRatio(r.value, r.baseline)
  const baseline = r.baseline === undefined ? '—' : `${fmt(r.baseline)} (${r.baselineName})`
  return `| ${r.scenario} | ${fmt(r.value, r.unit)} | ${baseline} | ${ratio} | ${r.target} | ${r.ok ? 'yes' : 'NO'} |`
})
const table = [header, ...lines].join('\n')
process.stdout.write(`${table}\n\n${rows.filter((r) => r.ok).length} of ${rows.length} targets met${quick ? ' (quick sizes: figures are not the targets’ sizes)' : ''}\n`)
if (write && !quick) {
  const out = fileURLToPath(new URL('./RESULTS.md', import.meta.url))
  const text = `# Benchmark results\n\nMeasured by \`pnpm bench\` on ${new Date().toISOString().slice(0, 10)}: ${machine()}.\nMedians over repeated runs; per-event times unless the row says otherwise; each ratio is against a baseline measured in the same run (for rates, a ratio below 1 means faster than the baseline). The burst rows run each logger, pino and the floor in a process of their own, their batches interleaved round by round.\n\n${table}\n`
  writeFileSync(out, text)
  process.stdout.write(`written to ${out}\n`)
}
