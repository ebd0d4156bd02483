import { execFile } from 'node:child_process'
import { appendFileSync, chownSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** Where Debian's PostgreSQL 15 server programs are (`AUDITRAIL_PG_BIN` names others). */
export const POSTGRES_BIN = process.env.AUDITRAIL_PG_BIN ?? '/usr/lib/postgresql/15/bin'

/** The superuser's password in every test server: tests check that it never shows in a message. */
export const TEST_PASSWORD = 'pg-test-secret-4c1e9'

/** A real PostgreSQL server in a temporary data directory, on a loopback port. */
export interface PostgresServer {
  readonly port: number
  readonly dataDir: string
  /** `postgres://postgres:<password>@127.0.0.1:<port>/postgres`. */
  readonly url: string
  /** (Re)starts the server on the same data directory and port; resolves once it accepts connections. */
  start(): Promise<void>
  /** SIGKILL of the postmaster and every backend: a crash, as of the machine, for the database. */
  kill9(): Promise<void>
  /** Fast shutdown (`pg_ctl stop -m fast`). */
  stop(): Promise<void>
  /** Stops it and removes the data directory. */
  destroy(): Promise<void>
}

/** A free loopback TCP port (the OS's choice, released for the server to take). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0))
    })
  })
}

/** Runs a server program; as root through `runuser -u postgres`, since PostgreSQL refuses to run as root. */
function asPostgres(program: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<{ stdout: string }> {
  const options = { env: { ...process.env, ...env }, maxBuffer: 16 << 20 }
  if (!runsAsRoot()) return run(join(POSTGRES_BIN, program), [...args], options)
  return run('runuser', ['-u', 'postgres', '--', join(POSTGRES_BIN, program), ...args], options)
}

function runsAsRoot(): boolean {
  return process.getuid?.() === 0
}

function makeDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'auditrail-pg-'))
  chownToPostgres(dir)
  return dir
}

function chownToPostgres(path: string): void {
  if (!runsAsRoot()) return // a normal user runs the server as themself, in their own directory
  const { uid, gid } = postgresIds()
  chownSync(path, uid, gid)
}

function postgresIds(): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith('postgres:'))
  const fields = (line ?? '').split(':')
  return { uid: Number(fields[2]), gid: Number(fields[3]) }
}

function serverAt(dataDir: string, port: number, password = TEST_PASSWORD): PostgresServer {
  const data = join(dataDir, 'data')
  const server: PostgresServer = {
    port,
    dataDir: data,
    url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`,
    async start() {
      await asPostgres('pg_ctl', ['start', '-w', '-t', '60', '-D', data, '-l', join(dataDir, 'server.log'), '-o', `-p ${port}`])
    },
    async kill9() {
      let pid: number
      try {
        pid = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0])
      } catch {
        return // not running: nothing to kill
      }
      const children = await run('pgrep', ['-P', String(pid)]).then(
        (r) => r.stdout.split('\n').filter(Boolean).map(Number),
        () => [] as number[], // pgrep exits 1 when there are none
      )
      for (const victim of [pid, ...children]) {
        try {
          process.kill(victim, 'SIGKILL')
        } catch {
          // already gone
        }
      }
      // Wait until every one of them is gone, so that a restart finds no shared memory still attached.
      const deadline = Date.now() + 10_000
      for (const victim of [pid, ...children]) {
        while (Date.now() < deadline) {
          try {
            process.kill(victim, 0)
            await new Promise((r) => setTimeout(r, 20))
          } catch {
            break
          }
        }
      }
    },
    async stop() {
      await asPostgres('pg_ctl', ['stop', '-w', '-m', 'fast', '-D', data]).catch(() => undefined)
    },
    async destroy() {
      await server.stop()
      await server.kill9()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
  return server
}

/** Options of {@link startPostgres}. */
export interface StartPostgresOptions {
  /** Extra `postgresql.conf` lines. */
  readonly config?: readonly string[]
  /** The superuser's password; default {@link TEST_PASSWORD}. */
  readonly password?: string
}

/** Creates (initdb, scram passwords, fsync on) and starts a server; the caller destroys it. */
export async function startPostgres(options: StartPostgresOptions = {}): Promise<PostgresServer> {
  const dir = makeDataDir()
  const data = join(dir, 'data')
  const pwfile = join(dir, 'pwfile')
  const password = options.password ?? TEST_PASSWORD
  writeFileSync(pwfile, `${password}\n`)
  chownToPostgres(pwfile)
  await asPostgres('initdb', ['-D', data, '-U', 'postgres', '--auth=scram-sha-256', `--pwfile=${pwfile}`, '--no-instructions', '-E', 'UTF8', '--locale=C'])
  const port = await freePort()
  appendFileSync(
    join(data, 'postgresql.conf'),
    [
      "listen_addresses = '127.0.0.1'",
      `port = ${port}`,
      `unix_socket_directories = '${dir}'`,
      'fsync = on',
      'synchronous_commit = on',
      'max_connections = 60',
      'shared_buffers = 64MB',
      ...(options.config ?? []),
      '',
    ].join('\n'),
  )
  const server = serverAt(dir, port, password)
  await server.start()
  return server
}

/** A primary and a synchronous standby streaming from it, on one machine. */
export interface ReplicatedPair {
  readonly primary: PostgresServer
  readonly standby: PostgresServer
  /** `postgres://…@127.0.0.1:<primary>,127.0.0.1:<standby>/postgres?target_session_attrs=read-write`. */
  readonly multiHostUrl: string
  /** Promotes the standby to a primary (`pg_ctl promote`), resolving once it accepts writes. */
  promote(): Promise<void>
  destroy(): Promise<void>
}

/**
 * Starts a primary with `synchronous_standby_names = 'standby1'` and `synchronous_commit = on`, then a standby made by
 * `pg_basebackup -R` streaming from it: a commit is acknowledged only once the standby has flushed it too.
 */
export async function startReplicatedPair(): Promise<ReplicatedPair> {
  const primary = await startPostgres({ config: ['wal_level = replica', 'max_wal_senders = 5', "synchronous_standby_names = 'standby1'", 'wal_keep_size = 256MB'] })
  const dir = makeDataDir()
  const data = join(dir, 'data')
  const port = await freePort()
  await asPostgres('pg_basebackup', ['-h', '127.0.0.1', '-p', String(primary.port), '-U', 'postgres', '-D', data, '-R', '-X', 'stream'], { PGPASSWORD: TEST_PASSWORD })
  appendFileSync(
    join(data, 'postgresql.auto.conf'),
    [
      `primary_conninfo = 'host=127.0.0.1 port=${primary.port} user=postgres password=${TEST_PASSWORD} application_name=standby1'`,
      `port = ${port}`,
      `unix_socket_directories = '${dir}'`,
      "synchronous_standby_names = ''",
      '',
    ].join('\n'),
  )
  const standby = serverAt(dir, port)
  await standby.start()
  return {
    primary,
    standby,
    multiHostUrl: `postgres://postgres:${TEST_PASSWORD}@127.0.0.1:${primary.port},127.0.0.1:${port}/postgres?target_session_attrs=read-write`,
    async promote() {
      await asPostgres('pg_ctl', ['promote', '-w', '-D', standby.dataDir])
    },
    async destroy() {
      await standby.destroy()
      await primary.destroy()
    },
  }
}
