import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createChainVerifier, createEventLogger, type AuditEvent } from '@auditrail/core'
import pg from 'pg'
import { createPostgresReader, createPostgresSink, printMigration, shipLog, type PostgresRow, type ShipSource } from '@auditrail/sink-postgres'
import { AuditLogger } from 'auditrail'
import { isAvailable, needsTag, POSTGRES } from './support/system-requirements.js'
import { startPostgres, type PostgresServer } from '@auditrail/testkit'
import { tempDir } from './support/temp-dir.js'

const CLI = fileURLToPath(new URL('../packages/cli/dist/cli.js', import.meta.url))
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** Runs `auditrail ship`; kills it with SIGKILL after `killAfterMs` unless it ended first. Resolves with the exit code or signal. */
function ship(args: readonly string[], killAfterMs?: number): { done: Promise<number | string>; stop: () => void; kill: () => void } {
  const child = spawn(process.execPath, [CLI, 'ship', ...args], { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => void (stderr += chunk.toString()))
  const timer = killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMs)
  const done = new Promise<number | string>((resolve) =>
    child.on('exit', (code, signal) => {
      clearTimeout(timer)
      if (code !== 0 && signal !== 'SIGKILL' && signal !== 'SIGTERM') process.stderr.write(`ship exited ${String(code ?? signal)}: ${stderr}\n`)
      resolve(code ?? signal ?? 'unknown')
    }),
  )
  return { done, stop: () => child.kill('SIGTERM'), kill: () => child.kill('SIGKILL') }
}

async function shippedRows(url: string, table: string, host: string): Promise<PostgresRow[]> {
  const reader = createPostgresReader({ connection: url, table })
  const rows: PostgresRow[] = []
  for await (const row of reader.rows({ host })) rows.push(row)
  await reader.end()
  return rows
}

/** Every local event exactly once, in local order, equal field by field; the local chain verifies from its columns. */
function expectShipped(rows: readonly PostgresRow[], local: readonly AuditEvent[]): void {
  expect(rows.map((r) => r.sourceOrdinal)).toEqual(local.map((_, i) => i + 1))
  rows.forEach((row, i) => {
    const { seq: _seq, hash: _hash, ...fields } = row.event
    const { seq: localSeq, hash: localHash, ...localFields } = local[i] as AuditEvent
    expect(fields).toEqual(localFields)
    expect([row.localSeq, row.localHash]).toEqual([localSeq ?? null, localHash ?? null])
  })
  const verifier = createChainVerifier()
  const findings = rows.map((r) => verifier.check({ ...r.event, ...(r.localSeq === null ? { seq: undefined, hash: undefined } : { seq: r.localSeq, hash: r.localHash as string }) }))
  expect(findings.filter(Boolean)).toEqual([])
}

describe.skipIf(!isAvailable(POSTGRES))(`auditrail ship ${needsTag(POSTGRES)}`, () => {
  let server: PostgresServer
  beforeAll(async () => {
    server = await startPostgres()
    // Created up front, so that a shipper killed before its own migration leaves a table to count.
    const client = new pg.Client({ connectionString: server.url })
    await client.connect()
    await client.query(printMigration('shipped'))
    await client.end()
  })
  afterAll(async () => {
    await server?.destroy()
  })

  for (const format of ['json', 'csv'] as const) {
    it(`${format}: SIGKILLed at random moments and restarted, also while the database is down, then --follow: every event once, in local order`, async () => {
      const dir = tempDir(`auditrail-ship-${format}-`)
      const logger = new AuditLogger(dir, 'ship', { format, integrity: 'sha256-chain', actor: 'trainer' })
      const local: AuditEvent[] = []
      for (let i = 0; i < 3000; i++) local.push(logger.logEvent('checkpoint_saved', i % 7 === 0 ? 'failed' : 'success', { step: i, path: `ckpt/${i}` }, i % 7 === 0 ? 'disk full' : null))
      const host = `trainer-${format}`
      // Small batches, so that a kill has many moments between two commits to land in.
      const args = [dir, '--to', server.url, '--host', host, '--log-id', `run-${format}`, '--table', 'shipped', '--batch', '20']
      // Killed at random moments: each run ships some batches, the next resumes from what the table holds. Some
      // kills come at a random time (also before the shipper connected), and some once the table holds a random
      // number of this log's rows, so that kills do land mid-way however fast or slow the machine is today.
      const partial: number[] = []
      for (let round = 0; round < 16 && !partial.some((n) => n > 0 && n < local.length); round++) {
        if (round % 2 === 0) await ship(args, 150 + round * 120 + Math.floor(Math.random() * 200)).done
        else {
          const already = (await shippedRows(server.url, 'shipped', host)).length
          const target = already + 1 + Math.floor(Math.random() * Math.max(1, (local.length - already) / 2))
          const run = ship(args)
          let ended = false
          void run.done.then(() => (ended = true))
          while (!ended && (await shippedRows(server.url, 'shipped', host)).length < target) await sleep(5)
          run.kill()
          await run.done
        }
        partial.push((await shippedRows(server.url, 'shipped', host)).length)
      }
      // The kills did land mid-way (else this test would prove nothing about resuming).
      expect(partial.some((n) => n > 0 && n < local.length)).toBe(true)
      // Started while the database is down: it waits, is killed, and the next one finishes the job.
      await server.stop()
      await ship([...args, '--follow'], 700).done
      await server.start()
      expect(await ship(args).done).toBe(0)
      expectShipped(await shippedRows(server.url, 'shipped', host), local)
      // Following: what is appended later is shipped too, once.
      const follower = ship([...args, '--follow', '--interval', '50'])
      for (let i = 0; i < 200; i++) local.push(logger.logEvent('tag_add', 'success', { tag: `t${i}` }))
      logger.close()
      const deadline = Date.now() + 30_000
      while ((await shippedRows(server.url, 'shipped', host)).length < local.length && Date.now() < deadline) await sleep(100)
      follower.stop()
      await follower.done
      expectShipped(await shippedRows(server.url, 'shipped', host), local)
      const reader = createPostgresReader({ connection: server.url, table: 'shipped' })
      expect((await reader.verify()).findings).toEqual([])
      await reader.end()
    })
  }

  it('two shippers and a direct writer on one table at once: batches chained ahead are chained again when another writer came between; one chain, each log once', async () => {
    const local = (log: number): AuditEvent[] =>
      Array.from({ length: 3000 }, (_, i) => ({ timestamp: `2026-01-0${log}T00:00:00.${String(i).padStart(6, '0')}Z`, action_type: 'tag_add', status: 'success', details: { log, i }, error: null }))
    // Chunks of 250 with a pause between: batches of 250 commit while the others write.
    const source =
      (events: readonly AuditEvent[]): ShipSource =>
      async function* read(fromOrdinal) {
        for (let at = fromOrdinal - 1; at < events.length; at += 250) {
          await sleep(1)
          yield events.slice(at, at + 250).map((event, k) => ({ ordinal: at + k + 1, event }))
        }
      }
    const logs = [local(1), local(2)]
    const writer = createEventLogger({ sinks: [createPostgresSink({ connection: server.url, table: 'mixed', host: 'direct' })], integrity: 'sha256-chain' })
    let writing = true
    const direct = (async () => {
      let n = 0
      while (writing) await writer.logEventAsync('note_write', 'success', { n: n++ })
      return n
    })()
    // No retries: a batch chained ahead after a head another writer moved is chained again under the lock, never sent as is.
    const retries: Error[] = []
    const ship = (events: readonly AuditEvent[], k: number) =>
      shipLog({ connection: server.url, table: 'mixed', host: 'shipper', logId: `log-${k}`, source: source(events), onRetry: (error) => retries.push(error) })
    const results = await Promise.all(logs.map(ship))
    writing = false
    const written = await direct
    writer.close()
    expect(results.map((r) => r.shipped)).toEqual([3000, 3000])
    expect(retries).toEqual([])
    const reader = createPostgresReader({ connection: server.url, table: 'mixed' })
    const rows: PostgresRow[] = []
    for await (const row of reader.rows()) rows.push(row)
    const verified = await reader.verify()
    await reader.end()
    expect(verified.findings).toEqual([])
    expect(rows.length).toBe(6000 + written)
    logs.forEach((events, k) => {
      const mine = rows.filter((r) => r.sourceLog === `log-${k}`)
      expect(mine.map((r) => r.sourceOrdinal)).toEqual(events.map((_, i) => i + 1))
      expect(mine.map((r) => r.event.details)).toEqual(events.map((e) => e.details))
    })
    // The writers did interleave (else nothing was chained again).
    const owners = rows.map((r) => r.sourceLog ?? 'direct')
    expect(owners.filter((o, i) => i > 0 && o !== owners[i - 1]).length).toBeGreaterThan(4)
  })
  it('an event PostgreSQL can never store (U+0000 in a string) stops the shipper at once, exit 2, naming event and field, with what precedes it shipped', async () => {
    const dir = tempDir('auditrail-ship-nul-')
    const logger = new AuditLogger(dir, 'nul', { integrity: 'sha256-chain' })
    for (let i = 0; i < 5; i++) logger.logEvent('note_write', 'success', { note_text: i === 3 ? 'a\u0000b' : `n${i}` })
    logger.close()
    const child = spawn(process.execPath, [CLI, 'ship', dir, '--to', server.url, '--host', 'nul', '--log-id', 'nul', '--table', 'shipped', '--batch', '2'], { stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => void (stderr += chunk.toString()))
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
    expect(code).toBe(2)
    expect(stderr).toMatch(/event 4 of the log \(\S+ note_write\) holds U\+0000 in details\.note_text, which PostgreSQL's text and jsonb cannot store; refused every time, so not retried; the table holds this log up to event 3/)
    expect(stderr).not.toMatch(/retrying/)
    const rows = await shippedRows(server.url, 'shipped', 'nul')
    expect(rows.map((r) => r.event.details['note_text'])).toEqual(['n0', 'n1', 'n2'])
  })
})
