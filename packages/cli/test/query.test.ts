import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { AuditEvent } from '@auditrail/core'
import { AuditLogger } from 'auditrail'
import { beforeAll, describe, expect, test } from 'vitest'
import { runCli, tempDir } from './support/cli-process.js'
import { pythonJsonDump } from './support/python-layout.js'
import { writeScenario } from './support/scenario.js'

let jsonDir: string
let csvDir: string
let pythonFile: string
let events: AuditEvent[]

beforeAll(() => {
  jsonDir = tempDir()
  csvDir = tempDir()
  events = writeScenario(jsonDir, 'json')
  writeScenario(csvDir, 'csv')
  pythonFile = join(tempDir(), 'audit_log.json')
  pythonJsonDump(pythonFile, [...events].reverse())
})

const query = (target: string, ...args: string[]): AuditEvent[] => {
  const result = runCli(['query', target, '--json', ...args])
  expect(result).toMatchObject({ code: 0, stderr: '' })
  return JSON.parse(result.stdout) as AuditEvent[]
}
const newestFirst = (): AuditEvent[] => [...events].reverse()

describe('auditrail query', () => {
  test('lists every event newest first, in each format, as the library wrote them', () => {
    for (const target of [jsonDir, csvDir, pythonFile]) expect(query(target)).toEqual(newestFirst())
    expect(query(csvDir, '--oldest-first')).toEqual(events)
  })

  test('--action (repeatable, comma-separated), --status, in time order with --oldest-first', () => {
    expect(query(jsonDir, '--action', 'hp_change', '--oldest-first')).toEqual(events.filter((e) => e.action_type === 'hp_change'))
    const data = query(csvDir, '--action', 'tag_add,tag_remove', '--action', 'sample_discard')
    expect(data.map((e) => e.action_type)).toEqual(['tag_remove', 'sample_discard', 'tag_add'])
    const failed = query(pythonFile, '--status', 'failed')
    expect(failed.map((e) => e.error)).toEqual(['Checkpoint file not found: ckpt_999', 'Invalid query syntax: unexpected token ">>"'])
  })

  test('--since and --until take ISO times, inclusive; --grep finds text in details or error, ignoring case', () => {
    const window = query(jsonDir, '--since', '2026-05-27T14:55:30Z', '--until', '2026-05-27T14:56:40.000000Z', '--oldest-first')
    expect(window.map((e) => e.action_type)).toEqual(['pause', 'mode_switch', 'checkpoint_restore', 'checkpoint_restore'])
    expect(query(csvDir, '--grep', 'CKPT_999').map((e) => e.timestamp)).toEqual(['2026-05-27T14:56:10.000000Z'])
    expect(query(csvDir, '--grep', 'unexpected token').map((e) => e.action_type)).toEqual(['query_execute'])
  })

  test('--since takes a duration ago', () => {
    const dir = tempDir()
    const logger = new AuditLogger(dir, 'now', { format: 'csv' })
    logger.logEvent('pause', 'success', { step: 1 })
    logger.close()
    expect(query(dir, '--since', '1h')).toHaveLength(1)
    // The scenario happened on 2026-05-27; an hour ago it had not.
    const none = runCli(['query', jsonDir, '--since', '90m', '--until', '2026-05-27T15:00:00Z', '--fail-empty'])
    expect(none).toMatchObject({ code: 1, stdout: '', stderr: 'no matching events\n' })
  })

  test('--limit keeps the first n in the order asked, whichever order the file reads in one pass', () => {
    expect(query(csvDir, '--limit', '2')).toEqual(newestFirst().slice(0, 2))
    expect(query(jsonDir, '--limit', '2', '--oldest-first')).toEqual(events.slice(0, 2))
    expect(query(pythonFile, '--limit', '3', '--oldest-first', '--action', 'evaluation_start')).toEqual(events.filter((e) => e.action_type === 'evaluation_start'))
    expect(query(jsonDir, '--limit', '1', '--status', 'failed')).toEqual([events[10]])
  })

  test('--jsonl prints one event per line; --csv prints what the CSV sink writes', () => {
    const jsonl = runCli(['query', jsonDir, '--jsonl', '--action', 'pause'])
    expect(jsonl.stdout).toBe(`${JSON.stringify(events[8])}\n`)
    const csv = runCli(['query', jsonDir, '--csv', '--oldest-first'])
    expect(csv.stdout).toBe(readFileSync(join(csvDir, 'audit_log.csv'), 'utf8'))
    expect(runCli(['query', jsonDir, '--csv', '--status', 'failed', '--action', 'pause']).stdout).toBe('timestamp,action_type,status,details,error\r\n')
  })

  test('prints an aligned table by default', () => {
    const result = runCli(['query', csvDir, '--action', 'checkpoint_restore'])
    expect(result.stdout.split('\n')).toEqual([
      'TIMESTAMP                    ACTION              STATUS   DETAILS',
      '2026-05-27T14:56:40.000000Z  checkpoint_restore  success  {"checkpoint_id":"ckpt_011","step":1100}',
      '2026-05-27T14:56:10.000000Z  checkpoint_restore  failed   error: Checkpoint file not found: ckpt_999  {"checkpoint_id":"ckpt_999","step":900}',
      '',
    ])
  })

  test('usage errors exit 2 with one line on stderr', () => {
    for (const args of [['--status', 'ok'], ['--limit', '0'], ['--since', 'last tuesday'], ['--json', '--csv'], ['--frobnicate']]) {
      const result = runCli(['query', jsonDir, ...args])
      expect(result.code).toBe(2)
      expect(result.stdout).toBe('')
      expect(result.stderr).toMatch(/^\[auditrail\] \[cli\] [^\n]+\n$/)
    }
  })
})

describe('auditrail query --actor', () => {
  test.each(['json', 'csv'] as const)('selects by who did it, and the table names them (%s)', (format) => {
    const dir = tempDir()
    const logger = new AuditLogger(dir, 'actors', { format })
    logger.logEvent('hp_change', 'success', { changed_params: { lr: 0.1 } }, null, { actor: 'ana@lab' })
    logger.logEvent('pause', 'success', {}, null, { actor: 'bob' })
    logger.logEvent('resume', 'success')
    logger.close()
    const picked = JSON.parse(runCli(['query', dir, '--actor', 'ana@lab,bob', '--oldest-first', '--json']).stdout) as AuditEvent[]
    expect(picked.map((e) => [e.action_type, e.actor])).toEqual([
      ['hp_change', 'ana@lab'],
      ['pause', 'bob'],
    ])
    const table = runCli(['query', dir, '--actor', 'ana@lab'])
    expect(table.stdout.split('\n')[1]).toMatch(/ hp_change +success  by ana@lab  \{"changed_params":\{"lr":0\.1\}\}$/)
    expect(runCli(['query', dir, '--actor', 'eve', '--fail-empty']).code).toBe(1)
  })
})

describe('timestamps from other writers', () => {
  test('+00:00 and short fractions are shown in our form, so the table stays aligned', () => {
    const file = join(tempDir(), 'audit_log.json')
    const lines = [
      '{"timestamp":"2026-05-27T14:30:02.5+00:00","action_type":"pause","status":"success","details":{},"error":null}',
      '{"timestamp":"2026-05-27T14:30:01+00:00","action_type":"resume","status":"success","details":{},"error":null}',
      '{"timestamp":"2026-05-27T14:30:00.123456Z","action_type":"pause","status":"success","details":{},"error":null}',
    ]
    writeFileSync(file, `[\n${lines.join(',\n')}\n]\n`)
    const result = runCli(['query', file])
    expect(result.code).toBe(0)
    const rows = result.stdout.trimEnd().split('\n').slice(1)
    expect(rows.map((row) => row.slice(0, 29))).toEqual([
      '2026-05-27T14:30:02.500000Z  ',
      '2026-05-27T14:30:01.000000Z  ',
      '2026-05-27T14:30:00.123456Z  ',
    ])
    expect(new Set(rows.map((row) => row.indexOf('success'))).size).toBe(1)
  })
})
