// `pnpm postgres:try`: a throw-away PostgreSQL server on loopback for trying the PostgreSQL store, until Ctrl-C.
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { POSTGRES_BIN, startPostgres } from './postgres-server.js'

if (!existsSync(join(POSTGRES_BIN, 'initdb'))) {
  process.stderr.write(`PostgreSQL's server programs are not in ${POSTGRES_BIN}: install them with \`apt-get install -y postgresql\` (or set AUDITRAIL_PG_BIN)\n`)
  process.exit(2)
}
const password = randomBytes(12).toString('hex')
const server = await startPostgres({ password })
// The password goes in PGPASSWORD (pg reads it), not in the URL: pnpm echoes each command it runs, URL included.
process.stdout.write(
  [
    `PostgreSQL ${server.port} is running on 127.0.0.1, data in ${server.dataDir} (removed when you stop it).`,
    `  export PGPASSWORD='${password}' AUDITRAIL_PG='postgres://postgres@127.0.0.1:${server.port}/postgres'`,
    `  npx -y pnpm@12.4.2 auditrail ship root_experiment --to "$AUDITRAIL_PG"`,
    `  npx -y pnpm@12.4.2 auditrail summary "$AUDITRAIL_PG"`,
    'Ctrl-C stops it.',
    '',
  ].join('\n'),
)
const stop = (): void => {
  void server.destroy().then(() => process.exit(0))
}
process.once('SIGINT', stop)
process.once('SIGTERM', stop)
setInterval(() => undefined, 1 << 30)
