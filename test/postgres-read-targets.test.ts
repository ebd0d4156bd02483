import { execFile, spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createEventLogger } from '@auditrail/core'
import { createPostgresSink } from '@auditrail/sink-postgres'
import { startPostgres, TEST_PASSWORD, type PostgresServer } from '@auditrail/testkit'
import { AuditLogger } from 'auditrail'
import { isAvailable, needsTag, POSTGRES } from './support/system-requirements.js'
import { tempDir } from './support/temp-dir.js'

const CLI = fileURLToPath(new URL('../packages/cli/dist/cli.js', import.meta.url))
const run = promisify(execFile)

/** Runs the CLI; resolves with its exit code and output whatever the code. */
async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { maxBuffer: 64 << 20, env: { ...process.env, NO_COLOR: '1' } })
    return { code: 0, stdout, stderr }
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string }
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr }
  }
}

/** Sorted entries, since a file counts in its own order (JSON newest first) and the table in seq order. */
const sortedCounts = (counts: Record<string, number>): [string, number][] => Object.entries(counts).sort(([a], [b]) => a.localeCompare(b))

describe.skipIf(!isAvailable(POSTGRES))(`every read command on a postgres:// target ${needsTag(POSTGRES)}`, () => {
  let server: PostgresServer
  let dir: string
  let url: string
  beforeAll(async () => {
    server = await startPostgres()
    // One local, chained log shipped into an empty table: the shared chain is then the local one, seq for seq.
    dir = tempDir('auditrail-pg-read-')
    const logger = new AuditLogger(dir, 'pg-read', { format: 'json', integrity: 'sha256-chain', actor: 'ana@lab' })
    let lr = 0.1
    for (let i = 0; i < 60; i++) {
      logger.logEvent('hp_change', 'success', { changed_params: { learning_rate: (lr /= 2) } }, null, { actor: i % 2 === 0 ? 'ana@lab' : 'bo@lab' })
      if (i % 10 === 3) logger.logEvent('checkpoint_restore', 'failed', { checkpoint_step: i }, 'Checkpoint file not found')
      if (i % 10 === 5) logger.logEvent('pause', 'success', { step: i * 100 })
      if (i % 10 === 6) logger.logEvent('resume', 'success', { step: i * 100 })
      if (i % 20 === 7) logger.logEvent('notebook_run', 'error', { cell_id: `c${i}` }, 'ZeroDivisionError')
      if (i % 10 === 8) logger.logEvent('tag_add', 'success', { tag_name: 'hard', sample_ids: [`s${i}`] }, null, { actor: 'cy@lab' })
    }
    logger.close()
    url = `${server.url}#read_targets`
    const shipped = await cli('ship', dir, '--to', server.url, '--table', 'read_targets')
    expect(shipped.code, shipped.stderr).toBe(0)
  })
  afterAll(async () => {
    await server?.destroy()
  })

  it('summary: the same counts and span as the file, computed by the server; the password never shown', async () => {
    const [file, table] = [await cli('summary', dir, '--json'), await cli('summary', url, '--json')]
    expect(table.code, table.stderr).toBe(0)
    const [a, b] = [JSON.parse(file.stdout), JSON.parse(table.stdout)]
    expect(b.total_events).toBe(a.total_events)
    expect(sortedCounts(b.by_action_type)).toEqual(sortedCounts(a.by_action_type))
    expect(sortedCounts(b.by_status)).toEqual(sortedCounts(a.by_status))
    expect(b.time_span).toEqual(a.time_span)
    const text = await cli('summary', url)
    expect(text.stdout).toContain(`${a.total_events} events`)
    expect(text.stdout).toMatch(/\d+ failed/)
    expect(text.stdout + text.stderr).not.toContain(TEST_PASSWORD)
  })

  it('query: each filter pushed into SQL gives exactly what the file gives', async () => {
    const filters = [
      ['--action', 'hp_change'],
      ['--action', 'pause,resume', '--oldest-first'],
      ['--status', 'failed'],
      ['--status', 'error'],
      ['--actor', 'bo@lab', '--limit', '5'],
      ['--grep', 'zerodivision'],
      ['--grep', 'checkpoint', '--limit', '2'],
    ]
    for (const filter of filters) {
      const [file, table] = [await cli('query', dir, ...filter, '--jsonl'), await cli('query', url, ...filter, '--jsonl')]
      expect(table.code, `${filter.join(' ')}: ${table.stderr}`).toBe(0)
      expect(table.stdout, filter.join(' ')).toBe(file.stdout)
      expect(table.stdout.length, filter.join(' ')).toBeGreaterThan(0)
    }
    const events = (await cli('query', dir, '--jsonl', '--oldest-first')).stdout.trim().split('\n').map((line) => JSON.parse(line) as { timestamp: string })
    const middle = events[Math.floor(events.length / 2)]?.timestamp as string
    for (const bound of [['--since', middle], ['--until', middle]]) {
      const [file, table] = [await cli('query', dir, ...bound, '--jsonl'), await cli('query', url, ...bound, '--jsonl')]
      expect(table.stdout, bound.join(' ')).toBe(file.stdout)
    }
    expect((await cli('query', url, '--action', 'no_such_action', '--fail-empty')).code).toBe(1)
  })

  it('state (now and --at) and tail equal the file; verify accepts the chain and prints its head', async () => {
    expect((await cli('state', url, '--json')).stdout).toBe((await cli('state', dir, '--json')).stdout)
    const events = (await cli('query', dir, '--jsonl', '--oldest-first')).stdout.trim().split('\n').map((line) => JSON.parse(line) as { timestamp: string })
    const at = events[40]?.timestamp as string
    expect((await cli('state', url, '--json', '--at', at)).stdout).toBe((await cli('state', dir, '--json', '--at', at)).stdout)
    expect((await cli('tail', url, '-n', '7', '--jsonl')).stdout).toBe((await cli('tail', dir, '-n', '7', '--jsonl')).stdout)
    const [file, table] = [await cli('verify', dir, '--print-head'), await cli('verify', url, '--print-head')]
    expect(table.code, table.stderr).toBe(0)
    expect(table.stdout).toBe(file.stdout)
    expect((await cli('verify', url, '--expect-head', file.stdout.trim())).code).toBe(0)
  })

  it('tail -f prints rows another writer commits, then stops cleanly on SIGTERM', async () => {
    const follower = spawn(process.execPath, [CLI, 'tail', url, '-n', '1', '-f', '--interval', '50', '--jsonl'], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    follower.stdout.on('data', (chunk: Buffer) => void (out += chunk.toString()))
    const exited = new Promise<number | null>((resolve) => follower.on('exit', (code) => resolve(code)))
    // The newest existing row printed: the follower knows where it stands, so what is written next is new to it.
    const ready = Date.now() + 30_000
    while (!out.includes('\n') && Date.now() < ready) await new Promise((r) => setTimeout(r, 50))
    const writer = createEventLogger({ sinks: [createPostgresSink({ connection: server.url, table: 'read_targets', host: 'live' })], integrity: 'sha256-chain' })
    await writer.logEventAsync('note_write', 'success', { note_text: 'from another writer' })
    writer.close()
    const deadline = Date.now() + 30_000
    while (!out.includes('from another writer') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
    follower.kill('SIGTERM')
    expect(await exited).toBe(0)
    const lines = out.trim().split('\n').map((line) => JSON.parse(line) as { details: { note_text?: string } })
    expect(lines.map((e) => e.details.note_text)).toEqual([undefined, 'from another writer'])
  })

  it('convert writes a file that verifies and summarizes as the table; report makes a page of the table', async () => {
    const out = join(tempDir('auditrail-pg-convert-'), 'from-table.json')
    const converted = await cli('convert', url, out, '--json')
    expect(converted.code, converted.stderr).toBe(0)
    const result = JSON.parse(converted.stdout) as { events: number; from: string }
    expect(result.from).toBe('postgres')
    const summary = JSON.parse((await cli('summary', url, '--json')).stdout) as { total_events: number }
    expect(result.events).toBe(summary.total_events)
    expect((await cli('verify', out)).code).toBe(0)
    expect(JSON.parse((await cli('summary', out, '--json')).stdout).total_events).toBe(summary.total_events)
    expect(existsSync(`${out}.export-${process.pid}.jsonl`)).toBe(false)
    const csv = join(tempDir('auditrail-pg-convert-'), 'from-table.csv')
    expect((await cli('convert', url, csv)).code).toBe(0)
    expect((await cli('verify', csv)).code).toBe(0)
    const page = join(tempDir('auditrail-pg-report-'), 'report.html')
    const report = await cli('report', url, '-o', page)
    expect(report.code, report.stderr).toBe(0)
    expect(report.stdout).toContain(`${summary.total_events} events`)
    const html = readFileSync(page, 'utf8')
    expect(html).toContain('read_targets')
    expect(html).not.toContain(TEST_PASSWORD)
  })

  it('verify finds a row tampered with by the owner, at its seq, and exits 1', async () => {
    const client = new pg.Client({ connectionString: server.url })
    await client.connect()
    try {
      // The owner must disable the append-only trigger first: exactly what verify exists to catch.
      await client.query('ALTER TABLE read_targets DISABLE TRIGGER USER')
      await client.query(`UPDATE read_targets SET details = '{"changed_params":{"learning_rate":9}}' WHERE seq = 12`)
      await client.query('ALTER TABLE read_targets ENABLE TRIGGER USER')
    } finally {
      await client.end()
    }
    const verified = await cli('verify', url, '--json')
    expect(verified.code).toBe(1)
    const findings = JSON.parse(verified.stdout) as { seq?: number; file: string }[]
    expect(findings[0]?.seq).toBe(12)
    expect(findings[0]?.file).not.toContain(TEST_PASSWORD)
  })
})
