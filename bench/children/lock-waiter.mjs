// Another process that wants to log one event while the parent logs once per turn: how long does it wait?
import { AuditLogger } from '../../packages/auditrail/dist/index.js'

const [dir, format] = process.argv.slice(2)
const logger = new AuditLogger(dir, 'waiter', { format })
const start = process.hrtime.bigint()
logger.logEvent('note_write', 'success', { note: 'from another process' })
const ms = Number(process.hrtime.bigint() - start) / 1e6
logger.close()
console.log(JSON.stringify({ ms }))
