import { spawn, spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { AuditLogger } from 'auditrail'
import { describe, expect, it } from 'vitest'
import { createExperimentClient } from '../examples/src/experiment-client.js'
import { tempDir } from './support/temp-dir.js'

// The Quick start demo, run as the README runs it: the built script in a child process.
const root = fileURLToPath(new URL('..', import.meta.url))
const demo = join(root, 'examples/dist/demo.js')

const SESSION = [
  ['hp_change', 'success'],
  ['hp_change', 'success'],
  ['pause', 'success'],
  ['resume', 'success'],
  ['mode_switch', 'success'],
  ['tag_add', 'success'],
  ['sample_discard', 'success'],
  ['query_execute', 'failed'],
  ['checkpoint_restore', 'failed'],
  ['evaluation_start', 'success'],
  ['note_write', 'success'],
]

function environment(dir: string, format?: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, AUDITRAIL_DIR: dir }
  delete env['AUDITRAIL_DEMO_SERVE']
  delete env['AUDITRAIL_DEMO_PORT']
  if (format === undefined) delete env['AUDIT_LOG_FORMAT']
  else env['AUDIT_LOG_FORMAT'] = format
  return env
}

function runDemo(dir: string, format?: string) {
  if (!existsSync(demo)) throw new Error(`${demo} is missing: build first (npx tsc -b), as \`pnpm test\` does`)
  return spawnSync(process.execPath, [demo], { cwd: root, env: environment(dir, format), encoding: 'utf8', timeout: 30_000 })
}

describe('the demo', () => {
  it('runs a real gRPC session, writes its log to AUDITRAIL_DIR/audit_log.json, prints summary, failures, state and path, and exits 0', () => {
    const dir = tempDir('auditrail-demo-')
    const result = runDemo(dir)
    expect(result.stderr).toBe('')
    expect(result.status).toBe(0)
    const path = join(dir, 'audit_log.json')
    const events = (JSON.parse(readFileSync(path, 'utf8')) as Array<{ action_type: string; status: string; error: string | null; actor?: string; seq?: number }>).reverse()
    expect(events.map((e) => [e.action_type, e.status])).toEqual(SESSION)
    expect(events.filter((e) => e.status === 'failed').map((e) => e.error)).toEqual(['Invalid query syntax: unexpected token ">>"', 'Checkpoint file not found: ckpt_999'])
    expect(result.stdout).toContain('11 events audited over gRPC (format: json)')
    expect(result.stdout).toContain("By status:      { success: 9, failed: 2 }")
    expect(result.stdout).toContain('FAILED checkpoint_restore at ')
    expect(result.stdout).toMatch(/hyperparameters: \{"learning_rate":0\.001,"batch_size":32,/)
    // The state replayed from the file alone agrees with what the service reports.
    expect(result.stdout).toContain(`Replayed from ${path}:`)
    expect(result.stdout).toContain('hyperparameters changed: {"learning_rate":0.001,"batch_size":32}')
    expect(result.stdout.match(/training: {8}running, mode audit, step 1200/g)).toHaveLength(2)
    expect(result.stdout).toContain('2 discarded, tags {"defect":3}')
    expect(result.stdout).toContain(`Log file: ${path} (11 events in all)`)
    // Who did it and tamper evidence: every event names the client's user, and the chain verifies.
    expect(events.every((e) => e.actor === 'ana@lab')).toBe(true)
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11])
    expect(result.stdout).toMatch(/Hash chain verified, seq 1–11; head 11:[0-9a-f]{64}\n/)
    expect(result.stdout).toContain('FAILED checkpoint_restore at ')
    expect(result.stdout).not.toContain('earlier')

    // Run again in the same directory: the log continues, and the output says so plainly, with the earlier count.
    const again = runDemo(dir)
    expect(again.stderr).toBe('')
    expect(again.status).toBe(0)
    expect(again.stdout.split('\n')[0]).toBe(`This log continues an earlier run: ${path} already holds 11 earlier events; this session's are appended after them.`)
    expect(again.stdout).toContain('(For a fresh log, remove that file or set AUDITRAIL_DIR to a new directory.)')
    expect(again.stdout).toContain('11 events audited over gRPC (format: json)')
    expect(again.stdout).toContain(`Replayed from ${path} (the 11 earlier events, then this session's):`)
    expect(again.stdout).toContain(`Log file: ${path} (22 events in all: 11 from earlier runs, 11 from this one)`)
    expect(again.stdout).toMatch(/Hash chain verified, seq 1–22; head 22:[0-9a-f]{64}\n/)
  })

  it('honours AUDIT_LOG_FORMAT=csv and AUDIT_LOG_FORMAT=none', () => {
    const csvDir = tempDir('auditrail-demo-csv-')
    expect(runDemo(csvDir, 'csv').status).toBe(0)
    expect(readdirSync(csvDir)).toEqual(['audit_log.csv'])
    const reader = new AuditLogger(csvDir, 'check', { format: 'csv' })
    expect([...reader.readEvents({ order: 'oldest-first' })].map((e) => [e.action_type, e.status])).toEqual(SESSION)
    reader.close()

    const noneDir = tempDir('auditrail-demo-none-')
    const none = runDemo(noneDir, 'none')
    expect(none.status).toBe(0)
    expect(none.stdout).toContain('11 events audited over gRPC (format: none)')
    expect(none.stdout).toContain('No file written (AUDIT_LOG_FORMAT=none).')
    expect(none.stdout).toContain("Replayed from the session's events:")
    expect(readdirSync(noneDir)).toEqual([])
  })

  it('keeps serving with --serve: a client of your own is audited into the same log, and SIGTERM stops it cleanly', async () => {
    const dir = tempDir('auditrail-demo-serve-')
    const child = spawn(process.execPath, [demo, '--serve'], { cwd: root, env: environment(dir), stdio: ['ignore', 'pipe', 'pipe'] })
    try {
      let output = ''
      const address = await new Promise<string>((resolve, reject) => {
        child.stdout.setEncoding('utf8')
        child.stdout.on('data', (chunk: string) => {
          output += chunk
          const match = /Serving on (127\.0\.0\.1:\d+)/.exec(output)
          if (match?.[1] !== undefined) resolve(match[1])
        })
        child.once('exit', (code) => reject(new Error(`demo exited (${code}) before serving:\n${output}`)))
      })
      const client = createExperimentClient(address)
      await client.experimentCommand({ hyperparameter_change: { changes: { momentum: 0.8 } } })
      client.close()
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      expect(await exited).toBe(0)
      const events = JSON.parse(readFileSync(join(dir, 'audit_log.json'), 'utf8')) as Array<{ action_type: string; details: Record<string, unknown> }>
      expect(events).toHaveLength(SESSION.length + 1)
      expect(events[0]).toMatchObject({ action_type: 'hp_change', details: { changed_params: { momentum: 0.8 } } })
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    }
  })
})
