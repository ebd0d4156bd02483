import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { existsSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The built executable: `pnpm test` builds before vitest runs. */
export const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url))

/** What a finished `auditrail` process left. */
export interface CliResult {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** Environment for a child: no colour variables from the test runner's own terminal. */
export function childEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra }
  delete env['FORCE_COLOR']
  if (!('NO_COLOR' in extra)) delete env['NO_COLOR']
  return env
}

/** Runs `auditrail ...args` as a real process and waits for it. */
export function runCli(args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; nodeArgs?: readonly string[] } = {}): CliResult {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npx tsc -b\` (pnpm test does) before these tests`)
  const result = spawnSync(process.execPath, [...(options.nodeArgs ?? []), CLI, ...args], {
    cwd: options.cwd,
    env: childEnv(options.env),
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  })
  return { code: result.status, stdout: result.stdout, stderr: result.stderr }
}

/** Starts `auditrail ...args` and leaves it running (for `tail -f`). */
export function startCli(args: readonly string[], options: { cwd?: string } = {}): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, [CLI, ...args], { cwd: options.cwd, env: childEnv() })
}

/** A fresh temporary directory. */
export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'auditrail-cli-'))
}
