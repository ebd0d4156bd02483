// A development aid, not part of `pnpm bench`: paired A/B of two builds of auditrail on the burst scenario, their
// batches alternated in one process, so that the machine's drift hits both alike (measured here: ±8% between runs).
//
//   git worktree add /tmp/base <commit> && (cd /tmp/base && pnpm install && pnpm build)
//   A=/tmp/base/packages/auditrail/dist/index.js B=$PWD/packages/auditrail/dist/index.js [FORMAT=csv] node bench/compare-builds.mjs
import { median, tempDir, cleanup } from './measure.mjs'
import { sampleEvent } from './make-log.mjs'

const A = (await import(process.env.A)).AuditLogger
const B = (await import(process.env.B)).AuditLogger
const format = process.env.FORMAT ?? 'json'
const reps = 7
const count = 20_000
const loggers = [new A(tempDir('a'), 'bench', { format }), new B(tempDir('b'), 'bench', { format })]
const samples = [[], []]
for (let r = 0; r < reps; r++) {
  loggers.forEach((logger, k) => {
    const start = process.hrtime.bigint()
    for (let i = 0; i < count; i++) {
      const e = sampleEvent(r * count + i)
      logger.logEvent(e.action_type, e.status, e.details, e.error)
    }
    samples[k].push(Number(process.hrtime.bigint() - start) / 1000 / count)
  })
}
for (const logger of loggers) logger.close()
const [a, b] = samples.map(median)
console.log(`A ${a.toFixed(3)} µs  B ${b.toFixed(3)} µs  B/A ${(b / a).toFixed(3)}`)
cleanup()
