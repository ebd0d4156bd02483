// Opens an existing (large) log and appends one event in a fresh process: the cost a restarted server pays.
import { AuditLogger } from '../../packages/auditrail/dist/index.js'

const [dir, format, extra] = process.argv.slice(2)
const start = process.hrtime.bigint()
const logger = new AuditLogger(dir, 'bench', { format })
logger.logEvent('pause', 'success', { step: 1 })
const ms = Number(process.hrtime.bigint() - start) / 1e6
let heapGrowthMb
if (extra !== undefined) {
  // The logger's memory must not grow with the log: write many more events, then compare the heap.
  globalThis.gc?.()
  const before = process.memoryUsage().heapUsed
  for (let i = 0; i < Number(extra); i++) logger.logEvent('tag_add', 'success', { tag_name: 'x', sample_ids: [`s${i}`] })
  globalThis.gc?.()
  heapGrowthMb = (process.memoryUsage().heapUsed - before) / 1024 / 1024
}
logger.close()
console.log(JSON.stringify({ ms, heapGrowthMb }))
