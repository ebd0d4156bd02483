import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { createPostgresReader, type PostgresRow } from '@auditrail/sink-postgres'

const FIXTURE = fileURLToPath(new URL('../fixtures/pg-writer.mjs', import.meta.url))

/** A writer process (test/fixtures/pg-writer.mjs) and its account of what it launched and what was acknowledged. */
export interface PgWriter {
  readonly host: string
  readonly child: ChildProcess
  /** Event numbers launched (possibly in flight). */
  readonly launched: Set<number>
  /** Event number → acknowledged seq. */
  readonly acked: Map<number, number>
  /** Failed calls seen, by error code. */
  readonly errors: string[]
  /** Resolves with the exit code (or signal) once the process is gone. */
  readonly exited: Promise<number | string>
}

/** Starts one writer appending until `count` events are acknowledged. */
export function spawnPgWriter(url: string, host: string, count: number, concurrency: number, table: string): PgWriter {
  const child = spawn(process.execPath, [FIXTURE, url, host, String(count), String(concurrency), table], { stdio: ['ignore', 'pipe', 'pipe'] })
  const writer: PgWriter = {
    host,
    child,
    launched: new Set(),
    acked: new Map(),
    errors: [],
    exited: new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'))),
  }
  let rest = ''
  child.stdout?.setEncoding('utf8')
  child.stdout?.on('data', (chunk: string) => {
    const lines = (rest + chunk).split('\n')
    rest = lines.pop() ?? ''
    for (const line of lines) {
      const [kind, i, extra] = line.split(' ')
      if (kind === 'L') writer.launched.add(Number(i))
      else if (kind === 'A') writer.acked.set(Number(i), Number(extra))
      else if (kind === 'E') writer.errors.push(extra ?? '')
    }
  })
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
    if (stderr.length > 4000) stderr = stderr.slice(-4000)
  })
  void writer.exited.then((code) => {
    if (code !== 0 && code !== 'SIGKILL') process.stderr.write(`pg-writer ${host} exited ${String(code)}: ${stderr}\n`)
  })
  return writer
}

/** What the table holds, and every property the proofs require, as data for `expect`. */
export interface TrailCheck {
  readonly rows: readonly PostgresRow[]
  /** Chain findings of core's verifier. */
  readonly findings: readonly string[]
  /** Acknowledged events missing from the table, as `host:i`. */
  readonly lostAcknowledged: readonly string[]
  /** Rows that no writer launched, or launched twice, as `host:i`. */
  readonly unexplained: readonly string[]
  /** Writers whose rows are not in launch order. */
  readonly fifoBroken: readonly string[]
  /** Consecutive rows whose seq is not +1 or whose timestamp does not increase (shipped rows keep their own timestamps). */
  readonly orderBroken: readonly number[]
  /** Acknowledged seqs that name another row. */
  readonly seqMismatch: readonly string[]
}

/** Reads the whole table and checks it against the writers' accounts. */
export async function checkTrail(url: string, table: string, writers: readonly PgWriter[], ignoreHosts: readonly string[] = []): Promise<TrailCheck> {
  const reader = createPostgresReader({ connection: url, table })
  const rows: PostgresRow[] = []
  for await (const row of reader.rows()) rows.push(row)
  const verified = await reader.verify()
  await reader.end()
  const byHost = new Map(writers.map((w) => [w.host, w]))
  const seen = new Set<string>()
  const unexplained: string[] = []
  const lastI = new Map<string, number>()
  const fifoBroken = new Set<string>()
  const orderBroken: number[] = []
  const seqMismatch: string[] = []
  rows.forEach((row, index) => {
    const previous = rows[index - 1]
    if (previous !== undefined && (row.event.seq !== previous.event.seq + 1 || !(row.event.timestamp > previous.event.timestamp))) orderBroken.push(row.event.seq)
    // Rows of other hosts (a shipper's) share the order and the chain, but not the writers' accounts.
    if (ignoreHosts.includes(row.host)) return
    const details = row.event.details as { writer?: string; i?: number }
    const key = `${String(details.writer)}:${String(details.i)}`
    const writer = byHost.get(String(details.writer))
    if (writer === undefined || !writer.launched.has(Number(details.i)) || seen.has(key) || row.host !== details.writer) unexplained.push(key)
    seen.add(key)
    const acknowledgedSeq = writer?.acked.get(Number(details.i))
    if (acknowledgedSeq !== undefined && acknowledgedSeq !== row.event.seq) seqMismatch.push(key)
    if ((lastI.get(row.host) ?? -1) >= Number(details.i)) fifoBroken.add(row.host)
    lastI.set(row.host, Number(details.i))
  })
  const lostAcknowledged = writers.flatMap((w) => [...w.acked.keys()].filter((i) => !seen.has(`${w.host}:${i}`)).map((i) => `${w.host}:${i}`))
  return { rows, findings: verified.findings.map((f) => f.message), lostAcknowledged, unexplained, fifoBroken: [...fifoBroken], orderBroken, seqMismatch }
}
