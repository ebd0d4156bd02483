import { spawnSync } from 'node:child_process'
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, test } from 'vitest'
import { CLI, childEnv } from './support/cli-process.js'

// Another user's log directory (ours are 0700) is what a colleague meets first. As root, permissions do not bind, so the
// reader runs as `nobody` through runuser; as anyone else, the directory is closed to its own owner with mode 000.
const asRoot = process.getuid?.() === 0
const AUDITRAIL = fileURLToPath(new URL('../../auditrail/dist/index.js', import.meta.url))

/** Runs `node ...args` as the user the directory is closed to; returns exit code and stderr. */
function runDenied(args: readonly string[]): { code: number | null; stderr: string } {
  const command = asRoot ? 'runuser' : process.execPath
  const argv = asRoot ? ['-u', 'nobody', '--', process.execPath, ...args] : [...args]
  const result = spawnSync(command, argv, { cwd: tmpdir(), env: childEnv(), encoding: 'utf8' })
  return { code: result.status, stderr: result.stderr }
}

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) {
    chmodSync(dir, 0o700)
    rmSync(dir, { recursive: true, force: true })
  }
})

/** A log directory with one (empty) JSON log, closed to the reader. */
function closedLogDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'auditrail-denied-'))
  dirs.push(dir)
  writeFileSync(join(dir, 'audit_log.json'), '[]\n')
  chmodSync(dir, asRoot ? 0o700 : 0o000)
  return dir
}

describe.skipIf(process.platform === 'win32')('a log directory the user may not read', () => {
  const owner = asRoot ? 'uid 0 (root)' : `uid ${process.getuid?.()}`
  const self = asRoot ? 'this process runs as uid 65534' : 'this process runs as uid'

  test('summary on the directory gives EACCES naming the directory and its owner, not "no audit_log.json"', () => {
    const dir = closedLogDir()
    const { code, stderr } = runDenied([CLI, 'summary', dir])
    expect(code).toBe(2)
    expect(stderr).not.toContain('no audit_log.json')
    expect(stderr).toContain('cannot read the log directory: EACCES (permission denied)')
    expect(stderr).toContain(`${dir} is owned by ${owner}, mode ${asRoot ? '0700' : '0000'}`)
    expect(stderr).toContain(self)
  })

  test('query on the file inside it names the file and the directory that refused it', () => {
    const dir = closedLogDir()
    const { code, stderr } = runDenied([CLI, 'query', join(dir, 'audit_log.json')])
    expect(code).toBe(2)
    expect(stderr).toContain('cannot read the log: EACCES (permission denied)')
    expect(stderr).toContain(`${dir} is owned by ${owner}`)
    expect(stderr).toContain(`(${join(dir, 'audit_log.json')})`)
  })

  test('new AuditLogger(dir) throws an io error naming the owner', () => {
    const dir = closedLogDir()
    const script = `import { AuditLogger } from ${JSON.stringify(AUDITRAIL)}
try { new AuditLogger(${JSON.stringify(dir)}, 'x', { onError: 'warn' }) } catch (e) { console.error(e.code + ' ' + e.message); process.exit(3) }`
    const { code, stderr } = runDenied(['--input-type=module', '-e', script])
    expect(code).toBe(3)
    expect(stderr).toMatch(/^io \[auditrail\] \[sink-json\] cannot \w[^:]*: EACCES \(permission denied\)/)
    expect(stderr).toContain(`${dir} is owned by ${owner}`)
  })
})
