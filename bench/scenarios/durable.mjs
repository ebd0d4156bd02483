// Target 4: durable mode against a bare write + fdatasync loop, and group commit with 64 producers.
import { closeSync, fdatasyncSync, openSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { AuditLogger } from '../../packages/auditrail/dist/index.js'
import { sampleEvent } from '../make-log.mjs'
import { perOp, tempDir } from '../measure.mjs'

/** Bare floor for durable writes: append + fdatasync per event. */
async function bareFsync(reps, count) {
  const fd = openSync(join(tempDir('fsync-floor'), 'floor.jsonl'), 'a')
  const result = await perOp(reps, count, () => {
    for (let i = 0; i < count; i++) {
      writeSync(fd, `${JSON.stringify(sampleEvent(i))}\n`)
      fdatasyncSync(fd)
    }
  })
  closeSync(fd)
  return result
}

/** Rows for the results table. */
export async function durableScenarios({ quick }) {
  const reps = quick ? 3 : 5
  const count = quick ? 100 : 1_000
  const floor = await bareFsync(reps, count)
  const logger = new AuditLogger(tempDir('fsync'), 'bench', { format: 'json', durability: 'fsync' })
  const ours = await perOp(reps, count, (r) => {
    for (let i = 0; i < count; i++) {
      const e = sampleEvent(r * count + i)
      logger.logEvent(e.action_type, e.status, e.details, e.error)
    }
  })
  logger.close()

  // 64 producers, each awaiting its own events: one fdatasync per event-loop turn serves them all.
  const producers = 64
  const perProducer = quick ? 10 : 60
  const group = new AuditLogger(tempDir('group'), 'bench', { format: 'json' })
  const grouped = await perOp(reps, producers * perProducer, async (r) => {
    await Promise.all(
      Array.from({ length: producers }, async (_, p) => {
        for (let i = 0; i < perProducer; i++) {
          const e = sampleEvent(r * 100_000 + p * 1000 + i)
          await group.logEventAsync(e.action_type, e.status, e.details, e.error)
        }
      }),
    )
  })
  group.close()
  return [
    { scenario: "JSON durability 'fsync', one caller (rate vs floor)", value: ours, baseline: floor, baselineName: 'write+fdatasync', target: 'rate ≥ 0.9×', ok: floor / ours >= 0.9 },
    { scenario: 'logEventAsync group commit, 64 producers', value: grouped, baseline: ours, baselineName: "per-event 'fsync'", target: 'rate ≥ 10×', ok: ours / grouped >= 10 },
  ]
}
