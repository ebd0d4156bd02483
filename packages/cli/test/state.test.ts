import { replay } from '@auditrail/replay'
import { describe, expect, test } from 'vitest'
import { runCli, tempDir } from './support/cli-process.js'
import { writeScenario } from './support/scenario.js'

describe('auditrail state', () => {
  for (const format of ['json', 'csv'] as const) {
    test(`--json prints the replayed state of the log (${format})`, () => {
      const dir = tempDir()
      const events = writeScenario(dir, format)
      const result = runCli(['state', dir, '--json'])
      expect(result).toMatchObject({ code: 0, stderr: '' })
      expect(JSON.parse(result.stdout)).toEqual(replay(events))
    })
  }

  test('answers the scenario: final hyperparameters, training, data, last restore', () => {
    const dir = tempDir()
    writeScenario(dir, 'json')
    const state = JSON.parse(runCli(['state', dir, '--json']).stdout) as ReturnType<typeof replay>
    expect(Object.fromEntries(Object.entries(state.hyperparameters).map(([name, p]) => [name, p.value]))).toEqual({ learning_rate: 0.005, batch_size: 64 })
    expect(state.hyperparameters['learning_rate']).toMatchObject({ previous: 0.05, changedAt: '2026-05-27T14:57:00.000000Z' })
    expect(state.training).toMatchObject({ status: 'running', mode: 'train', step: 1100 })
    expect(state.data.tags).toEqual({
      defect: [
        { id: 's17', origin: 'train', since: '2026-05-27T14:41:30.000000Z' },
        { id: 's42', origin: 'train', since: '2026-05-27T14:41:30.000000Z' },
      ],
    })
    expect(state.data.discarded.map((s) => [s.id, s.reason])).toEqual([['s17', 'mislabeled'], ['s42', 'mislabeled']])
    expect(state.lastCheckpointRestore?.details).toEqual({ checkpoint_id: 'ckpt_011', step: 1100 })
    expect(state.evaluations).toHaveLength(3)
    expect(state.queries).toHaveLength(1)
    expect(state.failures.map((e) => e.action_type)).toEqual(['query_execute', 'checkpoint_restore'])
  })

  test('--at gives the state at that moment: paused in audit mode, before the rollback', () => {
    const dir = tempDir()
    writeScenario(dir, 'csv')
    const state = JSON.parse(runCli(['state', dir, '--at', '2026-05-27T14:56:20Z', '--json']).stdout) as ReturnType<typeof replay>
    expect(state.eventCount).toBe(11)
    expect(state.asOf).toBe('2026-05-27T14:56:10.000000Z')
    expect(state.training).toMatchObject({ status: 'paused', mode: 'audit', step: 1200 })
    expect(state.hyperparameters['learning_rate']?.value).toBe(0.05)
    expect(state.lastCheckpointRestore).toBeNull()
    expect(state.data.tags['defect']).toHaveLength(3)
  })

  test('prints a report for people', () => {
    const dir = tempDir()
    writeScenario(dir, 'json')
    const lines = runCli(['state', dir]).stdout.split('\n')
    expect(lines).toContain('  status  running since 2026-05-27T14:58:20.000000Z (step 1100)')
    expect(lines).toContain('  learning_rate  0.005  (was 0.05, changed 2026-05-27T14:57:00.000000Z)')
    expect(lines).toContain('  tag "defect": 2 samples: s17 (train), s42 (train)')
    expect(lines).toContain('  discarded: 2 samples: s17 (train, mislabeled), s42 (train, mislabeled)')
    expect(lines).toContain('  2026-05-27T14:56:10.000000Z  checkpoint_restore  "Checkpoint file not found: ckpt_999"')
  })

  test('an unreadable --at is a usage error', () => {
    const dir = tempDir()
    writeScenario(dir, 'json')
    const result = runCli(['state', dir, '--at', 'soonish'])
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(/^\[auditrail\] \[cli\] option '--at <time>' argument 'soonish' is invalid/)
  })
})
