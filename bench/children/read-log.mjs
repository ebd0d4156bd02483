// Reads a log in a fresh process, so its peak memory is the reader's alone: summary or full streaming read.
import { AuditLogger } from '../../packages/auditrail/dist/index.js'

const [dir, format, mode, order] = process.argv.slice(2)
const start = process.hrtime.bigint()
const logger = new AuditLogger(dir, 'bench', { format })
let count = 0
if (mode === 'summary') count = logger.getLogSummary().total_events
else for await (const event of logger.readEventsAsync({ order })) if (event.timestamp) count++
const ms = Number(process.hrtime.bigint() - start) / 1e6
logger.close()
console.log(JSON.stringify({ ms, count, maxRssMb: process.resourceUsage().maxRSS / 1024 }))
