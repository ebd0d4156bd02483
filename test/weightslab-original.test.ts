import { execFileSync, spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { isFailureStatus } from '@auditrail/core'
import type { ExperimentState } from '@auditrail/replay'
import { AuditLogger, verifyLog, type AuditEvent } from 'auditrail'
import { describe, expect, it } from 'vitest'
import { WEIGHTSLAB_CALLS } from '../packages/core/test/fixtures/weightslab-events.js'
import { runCli } from '../packages/cli/test/support/cli-process.js'
import { tempDir } from './support/temp-dir.js'

/** WeightsLab's own logger (test/fixtures/weightslab_audit_logger.py, the Python original unchanged). */
const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url))

/**
 * Has the Python original log `calls` into `dir`, each as its services call it (`log_event(action_type, status,
 * details, error)`), in the format `AUDIT_LOG_FORMAT` selects; `details: {}` is passed as `None`, as
 * `TriggerEvaluation`'s failures do. Then prints its own `get_log_summary()`.
 */
function pythonLogs(dir: string, format: 'json' | 'csv', calls: readonly { action_type: string; status: string; details: object; error: string | null }[]): Record<string, unknown> {
  const script = [
    'import json, sys',
    'sys.path.insert(0, sys.argv[1])',
    'from weightslab_audit_logger import AuditLogger',
    'logger = AuditLogger(sys.argv[2], "default")',
    'for c in json.loads(sys.stdin.read()):',
    '    logger.log_event(c["action_type"], c["status"], c["details"] or None, c["error"])',
    'print(json.dumps(logger.get_log_summary()))',
  ].join('\n')
  const output = execFileSync('python3', ['-W', 'ignore', '-c', script, FIXTURES, dir], {
    input: JSON.stringify(calls),
    env: { ...process.env, AUDIT_LOG_FORMAT: format },
    encoding: 'utf8',
  })
  return JSON.parse(output) as Record<string, unknown>
}

const counts = (values: readonly string[]) => values.reduce<Record<string, number>>((acc, v) => ({ ...acc, [v]: (acc[v] ?? 0) + 1 }), {})
const failures = WEIGHTSLAB_CALLS.filter((c) => isFailureStatus(c.status)).length

describe.each(['json', 'csv'] as const)('a log the Python original wrote (%s), with status "error"', (format) => {
  it('opens in every read tool: the library, summary, verify, state, query', () => {
    const dir = tempDir()
    const python = pythonLogs(dir, format, WEIGHTSLAB_CALLS)
    const expected = { total_events: WEIGHTSLAB_CALLS.length, by_action_type: counts(WEIGHTSLAB_CALLS.map((c) => c.action_type)), by_status: counts(WEIGHTSLAB_CALLS.map((c) => c.status)) }
    // The Python original summarizes only JSON; where it does, both agree (key order aside).
    if (format === 'json') expect(python).toEqual(expected)
    expect((expected.by_status as Record<string, number>)['error']).toBe(2)

    const logger = new AuditLogger(dir, 'default', { format })
    expect(logger.getLogSummary()).toEqual(expected)
    const events = [...logger.readEvents({ order: 'oldest-first' })]
    // Kept as written: the status "error" and its error null stay so, details as the services logged them.
    expect(events.map(({ action_type, status, details, error }) => ({ action_type, status, details, error }))).toEqual(
      WEIGHTSLAB_CALLS.map(({ action_type, status, details, error }) => ({ action_type, status, details, error })),
    )
    logger.close()

    expect(verifyLog(dir)).toMatchObject({ ok: true, events: WEIGHTSLAB_CALLS.length })
    const verify = runCli(['verify', dir])
    expect(verify.code).toBe(0)

    const summary = runCli(['summary', dir])
    expect(summary).toMatchObject({ code: 0, stderr: '' })
    expect(summary.stdout).toContain(`${WEIGHTSLAB_CALLS.length} events, ${failures} failed`)
    expect(summary.stdout).toMatch(/notebook_run\s+3\s+2/)

    const state = runCli(['state', dir, '--json'])
    expect(state).toMatchObject({ code: 0, stderr: '' })
    const replayed = JSON.parse(state.stdout) as ExperimentStateJson
    expect(replayed.failures).toHaveLength(failures)
    expect(replayed.training).toMatchObject({ status: 'running', mode: 'audit' })
    expect(replayed.unknownEvents).toEqual([])
    expect(replayed.skipped).toEqual([])
    const report = runCli(['state', dir])
    expect(report.stdout).toContain(`Failed events (${failures})`)
    expect(report.stdout).toContain('mode    audit')

    const failed = runCli(['query', dir, '--status', 'failed', '--json'])
    expect((JSON.parse(failed.stdout) as AuditEvent[]).map((e) => e.status).sort()).toEqual(WEIGHTSLAB_CALLS.filter((c) => isFailureStatus(c.status)).map((c) => c.status).sort())
    const error = runCli(['query', dir, '--status', 'error', '--json'])
    expect((JSON.parse(error.stdout) as AuditEvent[]).map((e) => [e.action_type, e.error])).toEqual([
      ['notebook_run', null],
      ['notebook_run', 'kernel died'],
    ])
  })

  it('continues: our AuditLogger appends (an "error" too), the Python original reads it and appends after us', () => {
    const dir = tempDir()
    pythonLogs(dir, format, WEIGHTSLAB_CALLS)
    const logger = new AuditLogger(dir, 'default', { format })
    const ours = [
      logger.logEvent('pause', 'success', { trainer_state: 'paused' }),
      logger.logEvent('notebook_run', 'error', { cell_id: 'c9', code: 'raise', elapsed_s: 0.001 }),
    ]
    logger.close()
    expect(ours.map((e) => e.status)).toEqual(['success', 'error'])

    // The original continues the same file after us, as a WeightsLab process restarted on it would.
    const python = pythonLogs(dir, format, [{ action_type: 'resume', status: 'success', details: { trainer_state: 'running' }, error: null }])
    if (format === 'json') expect(python['total_events']).toBe(WEIGHTSLAB_CALLS.length + 3)

    const reopened = new AuditLogger(dir, 'default', { format })
    const all = [...reopened.readEvents({ order: 'oldest-first' })]
    reopened.close()
    expect(all).toHaveLength(WEIGHTSLAB_CALLS.length + 3)
    expect(all.slice(-3).map((e) => [e.action_type, e.status])).toEqual([
      ['pause', 'success'],
      ['notebook_run', 'error'],
      ['resume', 'success'],
    ])
    expect(verifyLog(dir)).toMatchObject({ ok: true, events: WEIGHTSLAB_CALLS.length + 3 })
    expect(runCli(['summary', dir]).stdout).toContain(`${WEIGHTSLAB_CALLS.length + 3} events, ${failures + 1} failed`)
  })
})

/** The parts of `auditrail state --json` checked here. */
type ExperimentStateJson = Pick<ExperimentState, 'failures' | 'training' | 'unknownEvents' | 'skipped'>

it('the fixture is the Python original: importable with the standard library only', () => {
  const result = spawnSync('python3', ['-I', '-S', '-c', 'import sys; sys.path.insert(0, sys.argv[1]); import weightslab_audit_logger', FIXTURES], { encoding: 'utf8' })
  expect(result.stderr).toBe('')
  expect(result.status).toBe(0)
})

/**
 * Our chained writer (with an actor) writes two events, the Python original appends one (the spec's five fields: in
 * CSV a row of five cells under the wider header), then ours writes one more. Returns what every reader then sees.
 */
function pythonAppendsToChained(format: 'json' | 'csv') {
  const dir = tempDir()
  const options = { format, integrity: 'sha256-chain', actor: 'ana' } as const
  const ours = new AuditLogger(dir, 'default', options)
  ours.logEvent('hp_change', 'success', { changed_params: { lr: 0.1 } })
  ours.logEvent('pause', 'success', {})
  ours.close()
  pythonLogs(dir, format, [{ action_type: 'note_write', status: 'success', details: { note: 'from python' }, error: null }])
  const afterPython = new AuditLogger(dir, 'default', options)
  const read = [...afterPython.readEvents({ order: 'oldest-first' })]
  const verified = verifyLog(dir)
  afterPython.logEvent('resume', 'success', {})
  afterPython.close()
  const final = new AuditLogger(dir, 'default', options)
  const events = [...final.readEvents({ order: 'oldest-first' })]
  const summary = final.getLogSummary()
  final.close()
  const shape = (e: AuditEvent) => ({ action_type: e.action_type, actor: e.actor, seq: e.seq, chained: e.hash !== undefined })
  const findings = (result: ReturnType<typeof verifyLog>) => result.findings.map(({ severity, seq, problem }) => ({ severity, seq, problem }))
  return { dir, read: read.map(shape), verified: findings(verified), events: events.map(shape), summary, final: findings(verifyLog(dir)) }
}

describe('a hash-chained log the Python original appended to', () => {
  const json = pythonAppendsToChained('json')
  const csv = pythonAppendsToChained('csv')

  it.each([['json', json], ['csv', csv]] as const)('%s: the appended event reads as written, unchained, and verify reports it as an insertion', (_format, seen) => {
    expect(seen.read).toEqual([
      { action_type: 'hp_change', actor: 'ana', seq: 1, chained: true },
      { action_type: 'pause', actor: 'ana', seq: 2, chained: true },
      { action_type: 'note_write', actor: undefined, seq: undefined, chained: false },
    ])
    expect(seen.verified).toContainEqual({ severity: 'error', seq: 3, problem: 'unchained' })
    const cli = runCli(['verify', seen.dir])
    expect(cli.code).toBe(1)
    expect(cli.stdout + cli.stderr).toContain('without seq and hash')
    expect(seen.summary.total_events).toBe(4)
  })

  it('a chained writer treats the row in CSV exactly as the event in JSON', () => {
    expect(csv.read).toEqual(json.read)
    expect(csv.verified).toEqual(json.verified)
    expect(csv.events).toEqual(json.events)
    expect(csv.final).toEqual(json.final)
  })
})
