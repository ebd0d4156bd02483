import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, test } from 'vitest'
import { isAvailable, needsTag, POSTGRES } from './support/system-requirements.js'
import { tempDir } from './support/temp-dir.js'

// `pnpm postgres:try` as a newcomer uses it: start it, paste the exports it prints, run the commands it suggests,
// Ctrl-C. Real processes and a real server; the password must never show in what the commands print.
const REPO = fileURLToPath(new URL('..', import.meta.url))
const TRY = join(REPO, 'packages', 'testkit', 'dist', 'try-postgres.js')
const CLI = join(REPO, 'packages', 'cli', 'dist', 'cli.js')

describe.skipIf(!isAvailable(POSTGRES))(`pnpm postgres:try ${needsTag(POSTGRES)}`, () => {
  test('its printed exports and commands work, the password stays out of the URL, and Ctrl-C removes the server', async () => {
    const child = spawn(process.execPath, [TRY], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')))
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no 'Ctrl-C stops it.' within 60 s: ${out}`)), 60_000)
        child.stdout.on('data', () => {
          if (out.includes('Ctrl-C stops it.')) {
            clearTimeout(timer)
            resolve()
          }
        })
      })
      const exports = /export PGPASSWORD='([0-9a-f]+)' AUDITRAIL_PG='(postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres)'/.exec(out)
      expect(exports, out).not.toBeNull()
      const [, password, url] = exports as unknown as [string, string, string]
      const dataDir = /data in (\S+) \(removed/.exec(out)?.[1] as string
      expect(existsSync(dataDir)).toBe(true)

      const cwd = tempDir('auditrail-try-')
      mkdirSync(join(cwd, 'root_experiment'))
      writeFileSync(join(cwd, 'root_experiment', 'audit_log.json'), '[\n{"timestamp":"2026-05-27T14:30:00.000000Z","action_type":"pause","status":"success","details":{"step":1},"error":null}\n]\n')
      const env = { ...process.env, PGPASSWORD: password, AUDITRAIL_PG: url }
      const run = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { cwd, env, encoding: 'utf8', timeout: 60_000 })
      const before = run(['summary', url])
      expect(before.status).toBe(2)
      expect(before.stderr).toContain('no auditrail trail in this database yet')
      const ship = run(['ship', 'root_experiment', '--to', url])
      expect(ship.status, ship.stderr).toBe(0)
      const summary = run(['summary', url])
      expect(summary.status, summary.stderr).toBe(0)
      expect(summary.stdout).toMatch(/1 event, 0 failed/)
      for (const printed of [before, ship, summary]) expect(printed.stdout + printed.stderr).not.toContain(password)
    } finally {
      child.kill('SIGINT')
    }
    expect(await exited).toBe(0)
    expect(existsSync(/data in (\S+) \(removed/.exec(out)?.[1] as string)).toBe(false)
  }, 120_000)
})
