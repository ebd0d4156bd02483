// One writer process of the PostgreSQL "8 writers" row: connects, warms up, prints "ready", waits for "go" on stdin,
// then logs `count` events one at a time (one commit each) and prints {"us": per-event µs} as its last line.
import { createInterface } from 'node:readline'
import { createEventLogger } from '../../packages/core/dist/index.js'
import { createPostgresSink } from '../../packages/sink-postgres/dist/index.js'

const [url, host, count, table] = process.argv.slice(2)
const logger = createEventLogger({ sinks: [createPostgresSink({ connection: url, host, table, migrate: false })], integrity: 'sha256-chain' })
for (let i = 0; i < 20; i++) await logger.logEventAsync('tag_add', 'success', { writer: host, warmup: i })
process.stdout.write('ready\n')
const lines = createInterface({ input: process.stdin })
for await (const line of lines) if (line === 'go') break
const start = process.hrtime.bigint()
for (let i = 0; i < Number(count); i++) await logger.logEventAsync('tag_add', 'success', { writer: host, i, sample_ids: [`s${i}`] })
const us = Number(process.hrtime.bigint() - start) / 1000 / Number(count)
logger.close()
process.stdout.write(`${JSON.stringify({ us })}\n`)
process.exit(0)
