// One runner of the burst scenarios, in a process of its own, timing a batch of events each time the parent asks.
// Own process: in one process, four AuditLogger configurations (JSON, CSV, chained, redacted) shared V8's type feedback
// for core's code, so each was measured through code optimized for all four (3–5% slower than in a process of its
// own, as a user's process has), while pino and the floor ran on code of their own.
import { closeSync, openSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import pino from 'pino'
import { AuditLogger } from '../../packages/auditrail/dist/index.js'
import { sampleEvent } from '../make-log.mjs'
import { nextTurn } from '../measure.mjs'

/** `kind`: `floor` (JSON.stringify + fs.writeSync), `pino` (synchronous destination), or an AuditLogger format. */
function makeRunner(kind, dir, options) {
  if (kind === 'floor') {
    const fd = openSync(join(dir, 'floor.jsonl'), 'a')
    return {
      async batch(start, count, perTurn) {
        for (let i = 0; i < count; i++) {
          writeSync(fd, `${JSON.stringify(sampleEvent(start + i))}\n`)
          if (perTurn) await nextTurn()
        }
      },
      close: () => closeSync(fd),
    }
  }
  if (kind === 'pino') {
    const destination = pino.destination({ dest: join(dir, 'pino.log'), sync: true })
    const logger = pino({ base: undefined }, destination)
    return {
      async batch(start, count, perTurn) {
        for (let i = 0; i < count; i++) {
          logger.info(sampleEvent(start + i))
          if (perTurn) await nextTurn()
        }
      },
      close: () => destination.flushSync(),
    }
  }
  const logger = new AuditLogger(dir, 'bench', { format: kind, ...options })
  return {
    async batch(start, count, perTurn) {
      for (let i = 0; i < count; i++) {
        const e = sampleEvent(start + i)
        logger.logEvent(e.action_type, e.status, e.details, e.error)
        if (perTurn) await nextTurn()
      }
    },
    close: () => logger.close(),
  }
}

const [kind, dir, options] = process.argv.slice(2)
const runner = makeRunner(kind, dir, JSON.parse(options ?? '{}'))
process.on('message', async ({ start, count, perTurn }) => {
  const begin = process.hrtime.bigint()
  await runner.batch(start, count, perTurn)
  process.send({ us: Number(process.hrtime.bigint() - begin) / 1000 / count })
})
// The parent is done with this runner: close it (its files stay for the parent's cleanup) and let the process end.
process.on('disconnect', () => runner.close())
