// One of several processes logging to one directory; yields to the event loop every 64 events, as a server would.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AuditLogger } from '../../packages/auditrail/dist/index.js'
import { sampleEvent } from '../make-log.mjs'

// sharedWarmUp: events logged to the shared log before the start (see below).
const [dir, format, count, id, startAt, sharedWarmUp] = process.argv.slice(2)

/** Logs `count` sample events, yielding to the event loop every 64. */
async function logMany(logger, count) {
  for (let i = 0; i < count; i++) {
    const e = sampleEvent(i)
    logger.logEvent(e.action_type, e.status, e.details, e.error)
    if (i % 64 === 63) await new Promise((resolve) => setImmediate(resolve))
  }
}

// Warm up first, on a log of its own: measured from cold, each of 8 processes would spend most of its share in V8's
// interpreter and compilers (and the single-process baseline only once), so the run would compare warm-ups.
const scratch = mkdtempSync(join(tmpdir(), 'auditrail-bench-warmup-'))
const warm = new AuditLogger(scratch, 'warm-up', { format })
await logMany(warm, 20_000)
warm.close()
rmSync(scratch, { recursive: true, force: true })
const logger = new AuditLogger(dir, `writer-${id}`, { format })
// Warm up this logger too: V8 optimized the hot path with the warm-up logger's closures inlined, and the first calls on
// a new logger deoptimize it ("wrong call target"). Each of 8 processes then recompiled during the measured run, taking
// a third of this machine's 2 cores from the writer holding the lock (the baseline recompiled too, on an idle core).
await logMany(logger, Number(sharedWarmUp))
const late = Date.now() > Number(startAt)
// Start together: every writer waits for the same wall-clock instant.
while (Date.now() < Number(startAt)) await new Promise((resolve) => setTimeout(resolve, 1))
const start = performance.timeOrigin + performance.now()
await logMany(logger, Number(count))
const end = performance.timeOrigin + performance.now()
logger.close()
console.log(JSON.stringify({ startMs: start, endMs: end, late }))
