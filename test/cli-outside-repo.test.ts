import { spawnSync } from 'node:child_process'
import { mkdirSync, realpathSync, writeFileSync } from 'node:fs'
import { delimiter, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { beforeAll, describe, expect, test } from 'vitest'
import { tempDir } from './support/temp-dir.js'

// A new user works in their own directory, not in the clone: these run real processes from a temporary directory
// outside the repository, through the two documented ways of launching the CLI.
const REPO = fileURLToPath(new URL('..', import.meta.url))
const PNPM = ['-y', 'pnpm@12.4.2']

/** A user's working directory (outside the repository) holding `runs/42/audit_log.json` with one event. */
function userDir(): string {
  const dir = realpathSync(tempDir('auditrail-user-'))
  mkdirSync(join(dir, 'runs', '42'), { recursive: true })
  writeFileSync(join(dir, 'runs', '42', 'audit_log.json'), '[\n{"timestamp":"2026-05-27T14:30:00.000000Z","action_type":"pause","status":"success","details":{},"error":null}\n]\n')
  return dir
}

function run(command: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = process.env): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(command, args, { cwd, env, encoding: 'utf8', timeout: 120_000 })
  return { code: result.status, stdout: result.stdout, stderr: result.stderr }
}

describe('pnpm install:cli puts auditrail on the PATH', () => {
  let prefix: string
  beforeAll(() => {
    // The documented command, with npm's --prefix so the test installs into a directory of its own, not the system's.
    prefix = tempDir('auditrail-prefix-')
    const installed = run('npx', [...PNPM, 'install:cli', '--prefix', prefix, '--offline'], REPO)
    expect(installed.code, installed.stderr).toBe(0)
  }, 180_000)

  test('auditrail runs from any directory and reads relative paths from there', () => {
    const cwd = userDir()
    const env = { ...process.env, PATH: `${join(prefix, 'bin')}${delimiter}${process.env['PATH'] ?? ''}` }
    const summary = run('auditrail', ['summary', 'runs/42'], cwd, env)
    expect(summary.code, summary.stderr).toBe(0)
    expect(summary.stdout.split('\n')[0]).toBe('runs/42/audit_log.json (json): 1 event, 0 failed')
    const missing = run('auditrail', ['summary', 'runs/43'], cwd, env)
    expect(missing.code).toBe(2)
    expect(missing.stderr).toBe(`[auditrail] [cli] no such file or directory: ${join(cwd, 'runs', '43')} (runs/43)\n`)
  })
})

describe('pnpm -C <clone> auditrail, from another directory', () => {
  test('resolves relative paths from where the user stands (INIT_CWD), not the clone, and names the resolved path', () => {
    const cwd = userDir()
    const summary = run('npx', [...PNPM, '--silent', '-C', REPO, 'auditrail', 'summary', 'runs/42', '--json'], cwd)
    expect(summary.code, summary.stderr).toBe(0)
    expect(JSON.parse(summary.stdout)).toMatchObject({ total_events: 1 })
    const missing = run('npx', [...PNPM, '--silent', '-C', REPO, 'auditrail', 'summary', 'runs/43'], cwd)
    expect(missing.code).not.toBe(0)
    expect(missing.stderr).toContain(`[auditrail] [cli] no such file or directory: ${join(cwd, 'runs', '43')} (runs/43)`)
  })
})
