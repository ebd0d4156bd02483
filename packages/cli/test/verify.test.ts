import { appendFileSync, openSync, readFileSync, writeFileSync, writeSync, closeSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { runCli, tempDir } from './support/cli-process.js'
import { pythonJsonDump } from './support/python-layout.js'
import { writeScenario } from './support/scenario.js'

interface Finding {
  file: string
  severity: 'error' | 'warning'
  line: number
  byte: number
  message: string
}
const findings = (target: string): Finding[] => JSON.parse(runCli(['verify', target, '--json']).stdout) as Finding[]

describe('auditrail verify', () => {
  for (const format of ['json', 'csv'] as const) {
    test(`a log the library wrote is well-formed (${format})`, () => {
      const dir = tempDir()
      writeScenario(dir, format)
      const result = runCli(['verify', dir])
      expect(result.code).toBe(0)
      expect(result.stdout).toBe(`ok: ${join(dir, `audit_log.${format}`)} is well-formed (18 events, 0 errors, 0 warnings)\n`)
      expect(findings(dir)).toEqual([])
    })
  }

  test('an event that does not decode is reported with its line; exit 1', () => {
    const dir = tempDir()
    writeScenario(dir, 'json')
    const file = join(dir, 'audit_log.json')
    const lines = readFileSync(file, 'utf8').split('\n')
    const at = lines.findIndex((line) => line.includes('"pause"'))
    lines[at] = (lines[at] as string).replace('"success"', '"done"')
    writeFileSync(file, lines.join('\n'))
    const result = runCli(['verify', dir])
    expect(result.code).toBe(1)
    expect(result.stdout.split('\n')[0]).toMatch(new RegExp(`^${file}:${at + 1}: error: not an audit event: status: expected "success" \\| "failed" \\| "error", got "done" \\(byte \\d+\\)$`))
    expect(result.stdout).toContain('failed: ')
    // Every other command refuses the file with one line naming it and the line.
    const summary = runCli(['summary', dir])
    expect(summary.code).toBe(2)
    expect(summary.stderr).toMatch(new RegExp(`^\\[auditrail\\] \\[cli\\] line ${at + 1} \\(byte \\d+\\): not an audit event: .* \\(${file}\\)\\n$`))
  })

  test('CSV: a row with the wrong number of cells or bad details JSON, with their lines', () => {
    const dir = tempDir()
    writeScenario(dir, 'csv')
    const file = join(dir, 'audit_log.csv')
    appendFileSync(file, '2026-05-27T16:00:00.000000Z,pause,success\r\n2026-05-27T16:00:01.000000Z,pause,success,{oops,\r\n')
    // The parser's own words after `(` vary with the Node version.
    expect(findings(dir).map((f) => [f.severity, f.line, f.message.replace(/ \(.*$/, '')])).toEqual([
      ['error', 20, 'expected 5 cells, got 3'],
      ['error', 21, 'details is not valid JSON'],
    ])
  })

  test('an unfinished write is a warning, skipped by every reader: CSV torn tail, JSON line in the gap', () => {
    const csvDir = tempDir()
    writeScenario(csvDir, 'csv')
    appendFileSync(join(csvDir, 'audit_log.csv'), '2026-05-27T16:00:00.000000Z,pause,succ')
    const csv = runCli(['verify', csvDir])
    expect(csv.code).toBe(0)
    expect(csv.stdout).toContain('warning: the last row is not ended by a line break')
    expect(JSON.parse(runCli(['summary', csvDir, '--json']).stdout).total_events).toBe(18)

    const jsonDir = tempDir()
    writeScenario(jsonDir, 'json')
    const file = join(jsonDir, 'audit_log.json')
    const text = readFileSync(file, 'latin1')
    // What a writer caught mid-append leaves: the start of a new event line, in the gap before the newest event.
    const newest = text.indexOf('\n{')
    const partial = '\n{"timestamp":"2026-05-27T16:'
    const fd = openSync(file, 'r+')
    writeSync(fd, partial, newest - 100)
    closeSync(fd)
    const json = findings(jsonDir)
    expect(json.map((f) => [f.severity, f.message])).toEqual([['warning', 'an unfinished write before the newest event (in progress, or torn by a crash); skipped']])
    expect(JSON.parse(runCli(['summary', jsonDir, '--json']).stdout).total_events).toBe(18)
  })

  test('a Python indent-2 log cut short, and events out of time order', () => {
    const dir = tempDir()
    const events = writeScenario(dir, 'json')
    const python = join(dir, 'python.json')
    pythonJsonDump(python, [...events].reverse())
    const text = readFileSync(python, 'utf8')
    writeFileSync(python, text.slice(0, Math.floor(text.length / 2)))
    expect(findings(python).map((f) => [f.severity, f.message])).toEqual([['error', 'the file ends inside the array (truncated?)']])
    expect(runCli(['verify', python]).code).toBe(1)

    pythonJsonDump(python, [events[0], events[2], events[1]])
    const swapped = findings(python)
    expect(swapped.map((f) => [f.severity, f.line])).toEqual([['warning', 14]])
    expect(swapped[0]?.message).toMatch(/is not strictly before the event above it .*: out of time order$/)
  })

  test('a file that is not a log at all', () => {
    const dir = tempDir()
    const file = join(dir, 'audit_log.json')
    writeFileSync(file, '{"not": "an array"}\n')
    expect(findings(file).map((f) => f.message)).toEqual(['not a JSON array (expected "[")'])
    writeFileSync(join(dir, 'audit_log.csv'), 'time,action\r\n')
    expect(findings(join(dir, 'audit_log.csv')).map((f) => [f.line, f.message])).toEqual([[1, 'expected the header timestamp,action_type,status,details,error (optionally followed by ,actor and then ,seq,hash)']])
  })
})
