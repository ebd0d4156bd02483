// Target 5: eight processes on one log together, against one process alone.
import { AuditLogger } from '../../packages/auditrail/dist/index.js'
import { runChild } from '../children/run-child.mjs'
import { median, tempDir } from '../measure.mjs'

/** Events each writer logs to the shared log before the start: its logger warmed up too (see children/writer.mjs). */
const SHARED_WARM_UP = 2_000

async function throughput(processes, perProcess) {
  const dir = tempDir(`writers-${processes}`)
  // Time for every child to start and warm up (22,000 events each, 8 at once on this machine's cores) before the start.
  const startAt = Date.now() + 300 + processes * 350
  const runs = await Promise.all(Array.from({ length: processes }, (_, id) => runChild('writer', dir, 'json', perProcess, id, startAt, SHARED_WARM_UP)))
  // A writer still warming up at the start would be measured competing with the others' warm-up: say so.
  const late = runs.filter((r) => r.late).length
  if (late > 0) process.stderr.write(`writers: ${late} of ${processes} processes were still warming up at the start\n`)
  const start = Math.min(...runs.map((r) => r.startMs))
  const end = Math.max(...runs.map((r) => r.endMs))
  const logger = new AuditLogger(dir, 'check', { format: 'json' })
  const stored = logger.getLogSummary().total_events
  logger.close()
  const expected = processes * (perProcess + SHARED_WARM_UP)
  if (stored !== expected) throw new Error(`writers: expected ${expected} events, found ${stored}`)
  return (end - start) * 1000 / (processes * perProcess)
}

/** Rows for the results table. */
export async function writerScenarios({ quick }) {
  const reps = quick ? 1 : 3
  const total = quick ? 4_000 : 80_000
  const one = []
  const eight = []
  for (let r = 0; r < reps; r++) {
    one.push(await throughput(1, total))
    eight.push(await throughput(8, total / 8))
  }
  const single = median(one)
  const together = median(eight)
  return [{ scenario: '8 processes on one log (per event, all together)', value: together, baseline: single, baselineName: '1 process', target: 'rate ≥ 0.5×', ok: single / together >= 0.5 }]
}
