import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { execFileSync } from 'node:child_process'
import { afterAll } from 'vitest'
import { formatMicros, type AuditEvent, type JsonObject } from '@auditrail/core'

/** 2026-05-27T14:30:00.000000Z in microseconds: every test event is this plus its index. */
export const BASE_MICROS = Date.UTC(2026, 4, 27, 14, 30, 0) * 1000

/** A frozen event with a real timestamp, keys in the spec's order. */
export function makeEvent(i: number, details: JsonObject = { n: i }, action_type = 'hp_change'): AuditEvent {
  return Object.freeze({ timestamp: formatMicros(BASE_MICROS + i), action_type, status: 'success', details, error: null })
}

const created: string[] = []

// Each test file imports this module once (vitest isolates files), so this removes that file's directories.
afterAll(() => {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true })
})

/** A fresh temporary directory for one log, removed after the test file. */
export function tempLogDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'auditrail-json-'))
  created.push(dir)
  return dir
}

/** The JSON log's path inside `dir`. */
export function logPath(dir: string): string {
  return join(dir, 'audit_log.json')
}

/** The log's bytes. */
export function readLogBytes(dir: string): Buffer {
  return readFileSync(logPath(dir))
}

/** The log parsed with `JSON.parse` (throws if the file is not valid JSON). */
export function parseLog(dir: string): unknown {
  return JSON.parse(readFileSync(logPath(dir), 'utf8'))
}

/** A value as JSON sees it (e.g. -0 becomes 0), for comparisons. */
export function viaJson(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value))
}

/** Runs a Python 3 snippet with `args` as `sys.argv[1:]` and returns its stdout. */
export function python(code: string, ...args: string[]): string {
  return execFileSync('python3', ['-c', code, ...args], { encoding: 'utf8' })
}
