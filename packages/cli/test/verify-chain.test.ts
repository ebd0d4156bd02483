import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { AuditLogger } from 'auditrail'
import { describe, expect, test } from 'vitest'
import { runCli, tempDir } from './support/cli-process.js'

function chainedLog(format: 'json' | 'csv', count: number, hmacKey?: string): string {
  const dir = tempDir()
  const logger = new AuditLogger(dir, 'verify', { format, integrity: 'sha256-chain', ...(hmacKey === undefined ? {} : { hmacKey }) })
  for (let i = 0; i < count; i++) logger.logEvent('hp_change', 'success', { changed_params: { lr: i } }, null, { actor: 'alice' })
  logger.close()
  return dir
}

describe('auditrail verify on a hash-chained log', () => {
  for (const format of ['json', 'csv'] as const) {
    test(`prints the chain and its head; --print-head prints only the head (${format})`, () => {
      const dir = chainedLog(format, 3)
      const result = runCli(['verify', dir])
      expect(result.code).toBe(0)
      const lines = result.stdout.split('\n')
      expect(lines[0]).toBe(`ok: ${join(dir, `audit_log.${format}`)} is well-formed (3 events, 0 errors, 0 warnings)`)
      expect(lines[1]).toBe('chain (sha256): seq 1–3 verified')
      expect(lines[2]).toMatch(/^head: 3:[0-9a-f]{64}$/)
      const head = runCli(['verify', dir, '--print-head'])
      expect(head.code).toBe(0)
      expect(head.stdout).toBe(`${lines[2]?.slice('head: '.length)}\n`)
    })
  }

  test('an edited event: exit 1, the line, the seq, and the first bad seq', () => {
    const dir = chainedLog('json', 4)
    const file = join(dir, 'audit_log.json')
    const text = readFileSync(file, 'utf8')
    writeFileSync(file, text.replace('{"lr":1}', '{"lr":7}'))
    const result = runCli(['verify', dir])
    expect(result.code).toBe(1)
    const edited = text.split('\n').findIndex((line) => line.includes('{"lr":1}')) + 1
    expect(result.stdout).toContain(`${file}:${edited}: error [seq 2]: the hash does not match the event (edited)`)
    expect(result.stdout).toContain('chain (sha256): broken, first bad seq 2')
    const json = JSON.parse(runCli(['verify', dir, '--json']).stdout) as { seq?: number; problem?: string; line: number }[]
    expect(json).toEqual([expect.objectContaining({ seq: 2, problem: 'hash-mismatch', line: edited })])
    expect(runCli(['verify', dir, '--print-head']).code).toBe(1)
  })

  test('--expect-head catches dropped newest events; --hmac-key-env and --hmac-key-file verify an HMAC chain', () => {
    const dir = chainedLog('csv', 4, 'k3y')
    const env = { AUDIT_KEY: 'k3y' }
    expect(runCli(['verify', dir]).code).toBe(1)
    const head = runCli(['verify', dir, '--print-head', '--hmac-key-env', 'AUDIT_KEY'], { env }).stdout.trim()
    expect(head).toMatch(/^4:[0-9a-f]{64}$/)
    const keyFile = join(tempDir(), 'key')
    writeFileSync(keyFile, 'k3y\n')
    expect(runCli(['verify', dir, '--hmac-key-file', keyFile, '--expect-head', head]).code).toBe(0)
    const file = join(dir, 'audit_log.csv')
    const rows = readFileSync(file, 'utf8').split('\r\n')
    writeFileSync(file, rows.slice(0, 4).join('\r\n') + '\r\n')
    expect(runCli(['verify', dir, '--hmac-key-env', 'AUDIT_KEY'], { env }).code).toBe(0)
    const pinned = runCli(['verify', dir, '--hmac-key-env', 'AUDIT_KEY', '--expect-head', head], { env })
    expect(pinned.code).toBe(1)
    expect(pinned.stdout).toContain('expected head seq 4 is missing: the log ends at seq 3')
    expect(runCli(['verify', dir, '--expect-head', 'nonsense']).stderr).toMatch(/expectHead: expected <seq>:<64 hex digits>/)
  })
})
