import { execFileSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { CLI, childEnv, runCli, tempDir } from './support/cli-process.js'

const REASON = 'Checkpoint file not found: /data/checkpoints/run-42/ckpt_001.pt (the volume was unmounted at 14:29)'

/** A JSON log of a failed restore with a long reason, a note with a right-to-left override in it, and a tag. */
function logWithTraps(): string {
  const file = join(tempDir(), 'audit_log.json')
  const events = [
    { timestamp: '2026-05-27T14:30:03.000000Z', action_type: 'checkpoint_restore', status: 'failed', details: { checkpoint_id: 'ckpt_001' }, error: REASON },
    { timestamp: '2026-05-27T14:30:02.000000Z', action_type: 'note_write', status: 'success', details: { note_text: 'lr ok \u202Egnp.exe\u202C', plot_name: 'loss' }, error: null },
    { timestamp: '2026-05-27T14:30:01.000000Z', action_type: 'tag_add\u2067x', status: 'success', details: { tag_name: 'de\u200Ffect' }, error: null },
  ]
  writeFileSync(file, `[\n${events.map((e) => JSON.stringify(e)).join(',\n')}\n]\n`)
  return file
}

/** Runs `auditrail ...args` in a real pseudo-terminal of `columns` columns (util-linux `script`), returning what it showed. */
function inTerminal(columns: number, args: readonly string[]): string {
  const quoted = [process.execPath, CLI, ...args].map((arg) => `'${arg.replaceAll("'", "'\\''")}'`).join(' ')
  const shown = execFileSync('script', ['-qec', `stty cols ${columns} rows 50; ${quoted}`, '/dev/null'], { env: childEnv({ NO_COLOR: '1' }), encoding: 'utf8' })
  return shown.replaceAll('\r\n', '\n')
}

const BIDI = /[\u200e\u200f\u202a-\u202e\u2066-\u2069]/

describe('on a real 80-column terminal', () => {
  for (const command of [['query', '--status', 'failed'], ['tail']]) {
    test(`${command.join(' ')} shows a failure's whole reason, wrapped, and no line is wider than 80`, () => {
      const shown = inTerminal(80, [command[0] as string, logWithTraps(), ...command.slice(1)])
      const lines = shown.trimEnd().split('\n')
      for (const line of lines) expect([...line].length, line).toBeLessThanOrEqual(80)
      expect(lines.map((line) => line.trim()).join(' ')).toContain(`error: ${REASON}`)
      expect(shown).toContain('{"checkpoint_id":"ckpt_001"}')
    })
  }

  test('--wide prints each event on one line, uncut', () => {
    const shown = inTerminal(80, ['query', logWithTraps(), '--status', 'failed', '--wide'])
    const rows = shown.trimEnd().split('\n')
    expect(rows).toHaveLength(2)
    expect(rows[1]).toContain(`error: ${REASON}  {"checkpoint_id":"ckpt_001"}`)
  })

  test('details that do not fit are still cut with …, on one line', () => {
    const shown = inTerminal(80, ['query', logWithTraps(), '--action', 'note_write'])
    const rows = shown.trimEnd().split('\n')
    expect(rows).toHaveLength(2)
    expect(rows[1]?.endsWith('…')).toBe(true)
  })
})

describe('Unicode bidirectional controls are escaped in everything printed', () => {
  test('table, JSON, JSON Lines, summary and state show \\u202e, never the raw character', () => {
    const file = logWithTraps()
    for (const args of [['query'], ['query', '--json'], ['query', '--jsonl'], ['tail'], ['summary'], ['summary', '--json'], ['state'], ['state', '--json']]) {
      const result = runCli([args[0] as string, file, ...args.slice(1)])
      expect(result.code, args.join(' ')).toBe(0)
      expect(BIDI.test(result.stdout), args.join(' ')).toBe(false)
    }
    expect(runCli(['query', file]).stdout).toContain('lr ok \\u202egnp.exe\\u202c')
    // Escaped as JSON escapes: the JSON output still parses to the values in the log.
    const parsed = JSON.parse(runCli(['query', file, '--json']).stdout) as { details: { note_text?: string } }[]
    expect(parsed[1]?.details.note_text).toBe('lr ok \u202Egnp.exe\u202C')
  })

  test('an error message quoting a log value escapes them too', () => {
    const file = join(tempDir(), 'audit_log.json')
    writeFileSync(file, '[\n{"timestamp":"2026-05-27T14:30:00.000000Z","action_type":"pause","status":"ok\u202E","details":{},"error":null}\n]\n')
    const result = runCli(['summary', file])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('got "ok\\u202e"')
    expect(BIDI.test(result.stderr)).toBe(false)
    const verified = runCli(['verify', file])
    expect(verified.code).toBe(1)
    expect(verified.stdout).toContain('got "ok\\u202e"')
    expect(BIDI.test(verified.stdout)).toBe(false)
  })
})

describe('wording', () => {
  test('summary says "1 event", not "1 events"', () => {
    const file = join(tempDir(), 'audit_log.json')
    writeFileSync(file, '[\n{"timestamp":"2026-05-27T14:30:00.000000Z","action_type":"pause","status":"success","details":{},"error":null}\n]\n')
    expect(runCli(['summary', file]).stdout.split('\n')[0]).toBe(`${file} (json): 1 event, 0 failed`)
    expect(runCli(['state', file]).stdout.split('\n')[0]).toContain(': 1 event replayed')
  })

  test('query --action with a type no event has names it and the nearest ones; exit 0, or 1 with --fail-empty', () => {
    const file = logWithTraps()
    const result = runCli(['query', file, '--action', 'checkpoint_restor'])
    expect(result).toMatchObject({ code: 0, stdout: '' })
    expect(result.stderr).toBe('no event in the log has the action type "checkpoint_restor"; nearest: checkpoint_restore\n')
    expect(runCli(['query', file, '--action', 'checkpoint_restor', '--fail-empty']).code).toBe(1)
    expect(runCli(['query', file, '--action', 'zzz']).stderr).toBe('no event in the log has the action type "zzz"\n')
    // A type the log has, filtered out by another option: the old message.
    expect(runCli(['query', file, '--action', 'note_write', '--status', 'failed']).stderr).toBe('no matching events\n')
  })
})
