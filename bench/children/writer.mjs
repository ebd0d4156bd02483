// One of several processes logging to one directory; yields to the event loop every 64 events, as a server would.
import { AuditLogger } from '../../packages/auditrail/dist/index.js'
import { sampleEvent } from '../make-log.mjs'

const [dir, format, count, id, startAt] = process.argv.slice(2)
const logger = new AuditLogger(dir, `writer-${id}`, { format })
// Start together: every writer waits for the same wall-clock instant.
while (Date.now() < Number(startAt)) await new Promise((resolve) => setTimeout(resolve, 1))
const start = performance.timeOrigin + performance.now()
for (let i = 0; i < Number(count); i++) {
  const e = sampleEvent(i)
  logger.logEvent(e.action_type, e.status, e.details, e.error)
  if (i % 64 === 63) await new Promise((resolve) => setImmediate(resolve))
}
const end = performance.timeOrigin + performance.now()
logger.close()
console.log(JSON.stringify({ startMs: start, endMs: end }))
