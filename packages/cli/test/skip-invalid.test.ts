import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { runCli, tempDir } from './support/cli-process.js'

/** A JSON log in auditrail's layout whose 2nd and 4th events (lines 3 and 5) are damaged. */
function damagedJsonLog(): string {
  const file = join(tempDir(), 'audit_log.json')
  const lines = [
    '{"timestamp":"2026-05-27T14:30:03.000000Z","action_type":"pause","status":"success","details":{},"error":null}',
    '{"timestamp":"2026-05-27T14:30:02.000000Z","action_type":"pause","status":"ok","details":{},"error":null}',
    '{"timestamp":"2026-05-27T14:30:01.000000Z","action_type":"hp_change","status":"success","details":{"changed_params":{"lr":0.1}},"error":null}',
    '{"timestamp":"2026-05-27T14:30:00.0000,"action_type":"pause"}',
  ]
  writeFileSync(file, `[\n${lines.join(',\n')}\n]\n`)
  return file
}

/** A CSV log whose 3rd row (line 3) is damaged. */
function damagedCsvLog(): string {
  const file = join(tempDir(), 'audit_log.csv')
  writeFileSync(file, 'timestamp,action_type,status,details,error\r\n2026-05-27T14:30:00.000000Z,pause,success,,\r\n2026-05-27T14:30:01.000000Z,resume,maybe,,\r\n2026-05-27T14:30:02.000000Z,resume,success,,\r\n')
  return file
}

describe('--skip-invalid', () => {
  test('by default, summary, query and state still refuse a damaged log (exit 2, naming the first bad line)', () => {
    const file = damagedJsonLog()
    for (const command of ['summary', 'query', 'state']) {
      const result = runCli([command, file])
      expect(result.code, command).toBe(2)
      // state reads oldest first: its first bad line is the other one.
      expect(result.stderr, command).toMatch(command === 'state' ? /line 5 \(byte / : /line 3 \(byte /)
    }
  })

  test('summary reads past the bad records, counts the rest, lists each as file:line on stderr, and exits 1', () => {
    const file = damagedJsonLog()
    const result = runCli(['summary', file, '--json', '--skip-invalid'])
    expect(result.code).toBe(1)
    expect(JSON.parse(result.stdout)).toMatchObject({ total_events: 2, by_action_type: { pause: 1, hp_change: 1 } })
    expect(result.stderr).toContain('skipped 2 invalid records (--skip-invalid)')
    expect(result.stderr).toContain(`${file}:3: not an audit event: status: expected "success" | "failed" | "error", got "ok"`)
    expect(result.stderr).toContain(`${file}:5: not valid JSON`)
  })

  test('query lists the good events (each bad record reported once, even when --csv reads twice), in either order', () => {
    const file = damagedJsonLog()
    const csv = runCli(['query', file, '--csv', '--skip-invalid'])
    expect(csv.code).toBe(1)
    expect(csv.stdout.trim().split('\r\n')).toHaveLength(3)
    expect(csv.stderr.match(/audit_log\.json:3:/g)).toHaveLength(1)
    const oldest = runCli(['query', file, '--jsonl', '--oldest-first', '--skip-invalid'])
    expect(oldest.code).toBe(1)
    expect(oldest.stdout.trim().split('\n').map((line) => (JSON.parse(line) as { action_type: string }).action_type)).toEqual(['hp_change', 'pause'])
  })

  test('state replays the good events of a CSV log and names the bad row', () => {
    const file = damagedCsvLog()
    const result = runCli(['state', file, '--json', '--skip-invalid'])
    expect(result.code).toBe(1)
    expect(JSON.parse(result.stdout)).toMatchObject({ eventCount: 2 })
    expect(result.stderr).toContain('skipped 1 invalid record (--skip-invalid)')
    expect(result.stderr).toContain(`${file}:3: `)
  })

  test('a clean log with --skip-invalid exits 0 and prints nothing on stderr', () => {
    const file = join(tempDir(), 'audit_log.json')
    writeFileSync(file, '[\n{"timestamp":"2026-05-27T14:30:03.000000Z","action_type":"pause","status":"success","details":{},"error":null}\n]\n')
    expect(runCli(['summary', file, '--skip-invalid'])).toMatchObject({ code: 0, stderr: '' })
  })
})
