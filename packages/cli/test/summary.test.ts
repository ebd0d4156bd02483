import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { AuditLogger } from 'auditrail'
import { describe, expect, test } from 'vitest'
import { runCli, tempDir } from './support/cli-process.js'
import { pythonJsonDump } from './support/python-layout.js'
import { writeScenario } from './support/scenario.js'

describe('auditrail summary', () => {
  for (const format of ['json', 'csv'] as const) {
    test(`--json prints getLogSummary() plus the time span, keys in the same order (${format})`, () => {
      const dir = tempDir()
      const events = writeScenario(dir, format)
      const logger = new AuditLogger(dir, 'reader', { format })
      const expected = logger.getLogSummary()
      logger.close()
      const result = runCli(['summary', dir, '--json'])
      expect(result).toMatchObject({ code: 0, stderr: '' })
      const summary = JSON.parse(result.stdout) as typeof expected & { time_span: unknown }
      expect(summary).toEqual({ ...expected, time_span: { start: events[0]?.timestamp, end: events.at(-1)?.timestamp } })
      expect(Object.keys(summary.by_action_type)).toEqual(Object.keys(expected.by_action_type))
    })
  }

  test('prints totals by action type and by status, the span and the failures, for people', () => {
    const dir = tempDir()
    writeScenario(dir, 'csv')
    const result = runCli(['summary', dir])
    expect(result.code).toBe(0)
    const lines = result.stdout.split('\n')
    expect(lines[0]).toBe(`${join(dir, 'audit_log.csv')} (csv): 18 events, 2 failed`)
    expect(lines[1]).toBe('time span: 2026-05-27T14:30:00.000000Z → 2026-05-27T15:06:00.000000Z (36m 00s)')
    expect(lines).toContain('hp_change                3       0')
    expect(lines).toContain('checkpoint_restore       2       1')
    expect(lines).toContain('success      16')
    expect(lines).toContain('failed        2')
  })

  test('reads ./root_experiment by default', () => {
    const cwd = tempDir()
    writeScenario(join(cwd, 'root_experiment'), 'json')
    const result = runCli(['summary', '--json'], { cwd })
    expect(result.code).toBe(0)
    expect(JSON.parse(result.stdout).total_events).toBe(18)
  })

  test('reads a log in the Python original indent-2 layout', () => {
    const dir = tempDir()
    const events = writeScenario(dir, 'json')
    const file = join(dir, 'python.json')
    pythonJsonDump(file, [...events].reverse())
    const result = runCli(['summary', file, '--json'])
    expect(result.code).toBe(0)
    expect(JSON.parse(result.stdout)).toMatchObject({ total_events: 18, by_status: { success: 16, failed: 2 } })
  })

  test('an empty directory, a missing path: exit 2 and one line naming the path', () => {
    const dir = tempDir()
    mkdirSync(join(dir, 'empty'))
    const empty = runCli(['summary', join(dir, 'empty')])
    expect(empty).toMatchObject({ code: 2, stdout: '' })
    expect(empty.stderr).toBe(`[auditrail] [cli] no audit_log.json or audit_log.csv in this directory (${join(dir, 'empty')})\n`)
    const missing = runCli(['summary', join(dir, 'nowhere')])
    expect(missing.code).toBe(2)
    expect(missing.stderr).toBe(`[auditrail] [cli] no such file or directory (${join(dir, 'nowhere')})\n`)
  })
})
