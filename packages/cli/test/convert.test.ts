import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { AuditLogger } from 'auditrail'
import { describe, expect, test } from 'vitest'
import { runCli, tempDir } from './support/cli-process.js'
import { pythonJsonDump } from './support/python-layout.js'
import { writeScenario } from './support/scenario.js'

describe('auditrail convert', () => {
  test('JSON to CSV gives, byte for byte, the CSV the library writes for the same events', () => {
    const jsonDir = tempDir()
    const csvDir = tempDir()
    writeScenario(jsonDir, 'json')
    writeScenario(csvDir, 'csv')
    const out = join(tempDir(), 'exported.csv')
    const result = runCli(['convert', jsonDir, out])
    expect(result).toMatchObject({ code: 0, stderr: '', stdout: `18 events: ${join(jsonDir, 'audit_log.json')} (json) → ${out} (csv)\n` })
    expect(readFileSync(out, 'utf8')).toBe(readFileSync(join(csvDir, 'audit_log.csv'), 'utf8'))
  })

  test('CSV to JSON keeps every event, newest first, and the library continues the file', () => {
    const csvDir = tempDir()
    const events = writeScenario(csvDir, 'csv')
    const jsonDir = tempDir()
    const out = join(jsonDir, 'audit_log.json')
    const result = runCli(['convert', join(csvDir, 'audit_log.csv'), out, '--json'])
    expect(JSON.parse(result.stdout)).toEqual({ input: join(csvDir, 'audit_log.csv'), output: out, from: 'csv', to: 'json', events: 18 })
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual([...events].reverse())
    // The JSON sink's own layout ('[', its header's magic, a gap), so its first append is one write into the gap, not
    // a rewrite: the file keeps its inode and grows by nothing.
    expect(readFileSync(out, 'latin1').startsWith('[\t \t  \t \t')).toBe(true)
    const before = statSync(out)
    const logger = new AuditLogger(jsonDir, 'continued', { format: 'json' })
    const next = logger.logEvent('resume', 'success', { step: 1300 })
    expect([...logger.readEvents()]).toEqual([next, ...[...events].reverse()])
    logger.close()
    expect(statSync(out)).toMatchObject({ ino: before.ino, size: before.size })
    expect(runCli(['verify', jsonDir]).code).toBe(0)
  })

  test('a log in the Python original indent-2 layout converts to the CSV the library writes', () => {
    const csvDir = tempDir()
    const events = writeScenario(csvDir, 'csv')
    const python = join(tempDir(), 'audit_log.json')
    pythonJsonDump(python, [...events].reverse())
    const out = join(tempDir(), 'out.csv')
    expect(runCli(['convert', python, out]).code).toBe(0)
    expect(readFileSync(out, 'utf8')).toBe(readFileSync(join(csvDir, 'audit_log.csv'), 'utf8'))
  })

  test('JSON to JSON re-lays a Python log out one event per line, every event kept', () => {
    const dir = tempDir()
    const events = writeScenario(dir, 'json')
    const python = join(dir, 'python.json')
    pythonJsonDump(python, [...events].reverse())
    const out = join(dir, 'lines.json')
    expect(runCli(['convert', python, out]).code).toBe(0)
    const text = readFileSync(out, 'utf8')
    expect(text.split('\n')).toHaveLength(18 + 3)
    expect(JSON.parse(text)).toEqual([...events].reverse())
  })

  test('never replaces a file without --force; refuses an unknown extension and the same file', () => {
    const dir = tempDir()
    writeScenario(dir, 'json')
    const out = join(dir, 'out.csv')
    writeFileSync(out, 'precious')
    const refused = runCli(['convert', dir, out])
    expect(refused.code).toBe(2)
    expect(refused.stderr).toBe(`[auditrail] [cli] <out> exists; pass --force to replace it (${out})\n`)
    expect(readFileSync(out, 'utf8')).toBe('precious')
    expect(runCli(['convert', dir, out, '--force']).code).toBe(0)
    expect(readFileSync(out, 'utf8')).toMatch(/^timestamp,action_type,status,details,error\r\n/)
    expect(runCli(['convert', dir, join(dir, 'out.txt')]).code).toBe(2)
    expect(runCli(['convert', dir, join(dir, 'audit_log.json'), '--force']).code).toBe(2)
  })

  test('an event with fields CSV has no column for is refused, and nothing is written', () => {
    const dir = tempDir()
    mkdirSync(dir, { recursive: true })
    const file = join(dir, 'extra.json')
    writeFileSync(file, JSON.stringify([{ timestamp: '2026-05-27T14:30:00.000000Z', action_type: 'pause', status: 'success', details: {}, error: null, user: 'ana' }]))
    const out = join(dir, 'extra.csv')
    const result = runCli(['convert', file, out])
    expect(result.code).toBe(2)
    expect(result.stderr).toBe(`[auditrail] [sink-csv] the event at 2026-05-27T14:30:00.000000Z has fields CSV has no column for (user); nothing written (${out})\n`)
    expect(existsSync(out)).toBe(false)
  })
})

describe('the mode of what convert writes', () => {
  test('is the log\'s own: 0600 for a log the library wrote, 0640 for one shared with a group; never the umask\'s 0644', () => {
    const dir = tempDir()
    writeScenario(dir, 'json')
    const out = join(tempDir(), 'copy.csv')
    expect(runCli(['convert', dir, out]).code).toBe(0)
    expect(statSync(out).mode & 0o777).toBe(0o600)
    chmodSync(join(dir, 'audit_log.json'), 0o640)
    const shared = join(tempDir(), 'shared.json')
    expect(runCli(['convert', dir, shared]).code).toBe(0)
    expect(statSync(shared).mode & 0o777).toBe(0o640)
  })
})
