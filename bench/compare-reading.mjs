// A development aid, not part of `pnpm bench`: paired A/B of two builds of auditrail on the reading scenario's rows
// (JSON summary, streaming in both orders, CSV summary and streaming, open and append), each run a fresh process as in
// bench/scenarios/reading.mjs, the two builds alternated run by run on the same files, so drift hits both alike.
//
//   git worktree add /tmp/base <commit> && (cd /tmp/base && pnpm install && pnpm build)
//   A=/tmp/base B=$PWD [REPS=7] [ONLY=summary,newest,oldest,csv,csvoldest,csvnewest,open] [COUNT=1000000] node bench/compare-reading.mjs
import { execFileSync } from 'node:child_process'
import { copyFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { makeCsvLog, makeJsonLog } from './make-log.mjs'
import { cleanup, median, tempDir } from './measure.mjs'

if (process.argv[2] === '--child') {
  // One measured operation in this fresh process, with the build given: what bench/children/read-log.mjs and open-append.mjs do.
  const [, , , module, op, dir, format, order] = process.argv
  const { AuditLogger } = await import(module)
  const start = process.hrtime.bigint()
  const logger = new AuditLogger(dir, 'bench', { format })
  let count = 0
  if (op === 'summary') count = logger.getLogSummary().total_events
  else if (op === 'events') for await (const event of logger.readEventsAsync({ order })) if (event.timestamp) count++
  else logger.logEvent('pause', 'success', { step: 1 })
  const ms = Number(process.hrtime.bigint() - start) / 1e6
  logger.close()
  console.log(JSON.stringify({ ms, count, maxRssMb: process.resourceUsage().maxRSS / 1024 }))
  process.exit(0)
}

const builds = [process.env.A, process.env.B].map((root) => pathToFileURL(join(root, 'packages/auditrail/dist/index.js')).href)
const reps = Number(process.env.REPS ?? 7)
const count = Number(process.env.COUNT ?? 1_000_000)
const only = process.env.ONLY?.split(',')
const json = tempDir('ab-json')
makeJsonLog(join(json, 'audit_log.json'), count)
const csv = tempDir('ab-csv')
makeCsvLog(join(csv, 'audit_log.csv'), count)
// Appending changes the log: each build appends to its own copy, so both see the same sequence of files.
const appendDirs = builds.map((_, k) => {
  const dir = tempDir(`ab-open-${k}`)
  copyFileSync(join(json, 'audit_log.json'), join(dir, 'audit_log.json'))
  return dir
})
const self = fileURLToPath(import.meta.url)
const rows = [
  ['summary', 'getLogSummary JSON', () => ['summary', json, 'json']],
  ['newest', 'stream newest first', () => ['events', json, 'json', 'newest-first']],
  ['oldest', 'stream oldest first', () => ['events', json, 'json', 'oldest-first']],
  ['csv', 'getLogSummary CSV', () => ['summary', csv, 'csv']],
  ['csvoldest', 'stream CSV oldest first', () => ['events', csv, 'csv', 'oldest-first']],
  ['csvnewest', 'stream CSV newest first', () => ['events', csv, 'csv', 'newest-first']],
  ['open', 'open + append one', (k) => ['append', appendDirs[k], 'json']],
].filter(([key]) => only === undefined || only.includes(key))
for (const [, label, args] of rows) {
  const samples = [[], []]
  const peaks = [0, 0]
  for (let r = 0; r < reps; r++) {
    // Alternate which build goes first, so neither always runs on a cache the other warmed.
    const order = r % 2 === 0 ? [0, 1] : [1, 0]
    for (const k of order) {
      const out = JSON.parse(execFileSync(process.execPath, [self, '--child', builds[k], ...args(k)], { encoding: 'utf8' }).trim().split('\n').pop())
      samples[k].push(out.ms)
      peaks[k] = Math.max(peaks[k], out.maxRssMb)
    }
  }
  const [a, b] = samples.map(median)
  console.log(`${label.padEnd(22)} A ${a.toFixed(1).padStart(8)} ms (${peaks[0].toFixed(0)} MB)  B ${b.toFixed(1).padStart(8)} ms (${peaks[1].toFixed(0)} MB)  B/A ${(b / a).toFixed(3)}`)
}
cleanup()
