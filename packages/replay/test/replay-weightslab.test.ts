import type { AuditEvent } from '@auditrail/core'
import { replay } from '@auditrail/replay'
import { describe, expect, test } from 'vitest'
import { WEIGHTSLAB_CALLS, type WeightsLabCall } from '../../core/test/fixtures/weightslab-events.js'

/** The calls as stored events, one second apart, in the order given. */
function stored(calls: readonly WeightsLabCall[]): AuditEvent[] {
  return calls.map(({ action_type, status, details, error }, i) => ({
    timestamp: new Date(Date.UTC(2026, 4, 27, 14, 30, i)).toISOString().replace('Z', '000Z'),
    action_type,
    status,
    details,
    error,
  }))
}

function call(action: string, match: (c: WeightsLabCall) => boolean = () => true): WeightsLabCall {
  const found = WEIGHTSLAB_CALLS.find((c) => c.action_type === action && match(c))
  if (found === undefined) throw new Error(`no ${action} in the fixture`)
  return found
}

describe('replay of the shapes WeightsLab logs', () => {
  test('every WeightsLab shape is known and readable: none unknown, none skipped', () => {
    const state = replay(stored(WEIGHTSLAB_CALLS))
    expect(state.unknownEvents).toEqual([])
    expect(state.skipped).toEqual([])
    expect(state.eventCount).toBe(WEIGHTSLAB_CALLS.length)
  })

  test('a mode_switch to audit changes the replayed mode; to evaluation and back too', () => {
    const audit = call('mode_switch', (c) => c.details['to_mode'] === 'audit')
    const evaluation = call('mode_switch', (c) => c.details['to_mode'] === 'evaluation')
    const back = { ...evaluation, details: { from_mode: 'train', to_mode: 'train', evaluation_mode: false } }
    expect(replay(stored([audit])).training.mode).toBe('audit')
    expect(replay(stored([audit, evaluation])).training.mode).toBe('evaluation')
    expect(replay(stored([audit, evaluation, back])).training.mode).toBe('train')
    // The spec's shape still folds, and the later event wins whichever shape it has.
    const spec: WeightsLabCall = { ...audit, details: { mode: 'audit', previous_mode: 'train' } }
    expect(replay(stored([evaluation, spec])).training.mode).toBe('audit')
  })

  test('pause and resume with trainer_state (and source: agent) set the status', () => {
    const pause = call('pause', (c) => c.details['source'] === 'agent')
    const resume = call('resume', (c) => c.details['source'] === undefined)
    expect(replay(stored([resume, pause])).training.status).toBe('paused')
    expect(replay(stored([pause, resume])).training.status).toBe('running')
  })

  test('checkpoints: the last save and the last restore, each as logged', () => {
    const events = stored([
      call('checkpoint_save', (c) => c.status === 'success'),
      call('checkpoint_restore', (c) => c.details['weights_only'] === true),
      call('checkpoint_restore', (c) => c.status === 'failed'),
    ])
    const state = replay(events)
    expect(state.lastCheckpointSave).toEqual({ timestamp: events[0]?.timestamp, details: events[0]?.details })
    expect(state.lastCheckpointRestore).toEqual({ timestamp: events[1]?.timestamp, details: { checkpoint_id: 'a1b2c3d4e5f6a7b8c9d0e1f2', checkpoint_step: 1200, weights_only: true } })
    expect(state.failures).toEqual([events[2]])
  })

  test('tag_register declares a tag; tag_add and tag_remove move samples with their origins', () => {
    const events = stored([call('tag_register'), call('tag_add'), call('tag_remove')])
    const state = replay(events)
    expect(state.data.registered).toEqual(['hard'])
    expect(state.data.tags).toEqual({ hard: [{ id: '17', origin: 'train', since: events[1]?.timestamp }] })
    // A tag_register that names samples (another writer's, or the proxy's) adds them as tag_add does.
    const withSamples: WeightsLabCall = { ...call('tag_register'), details: { tag_name: 'night', sample_ids: ['9'], origins: ['test'] } }
    expect(replay(stored([withSamples])).data.tags['night']).toEqual([{ id: '9', origin: 'test', since: '2026-05-27T14:30:00.000000Z' }])
  })

  test('notes by metric_name and model_age: saved, then cleared by note_action', () => {
    const saved = call('note_write', (c) => c.details['note_action'] === 'saved')
    const cleared = call('note_write', (c) => c.details['note_action'] === 'cleared')
    const events = stored([saved])
    expect(replay(events).notes).toEqual([{ plotName: 'train/loss', pointId: 1200, note: 'loss spike after lr change', writtenAt: events[0]?.timestamp }])
    expect(replay(stored([saved, cleared])).notes).toEqual([])
    // "cleared" wins even over a whitespace-only text, as WeightsLab decides it (note_text.strip()).
    expect(replay(stored([saved, { ...cleared, details: { ...cleared.details, note_text: '  ' } }])).notes).toEqual([])
  })

  test('hyperparameters, run names, restarts and the notebook', () => {
    const events = stored([call('hp_change'), call('experiment_rename'), call('restart_instance'), ...WEIGHTSLAB_CALLS.filter((c) => c.action_type.startsWith('notebook_'))])
    const state = replay(events)
    expect(Object.fromEntries(Object.entries(state.hyperparameters).map(([k, v]) => [k, v.value]))).toEqual({ batch_size: 64, training_steps_to_do: 5000 })
    expect(state.experimentNames).toEqual({ a1b2c3d4e5f6a7b8c9d0e1f2: { name: 'resnet-lr-sweep', renamedAt: events[1]?.timestamp } })
    expect(state.restarts).toEqual([{ timestamp: events[2]?.timestamp, details: {} }])
    expect(state.notebook.map((e) => e.action_type)).toEqual(['notebook_interrupt', 'notebook_run', 'notebook_save', 'notebook_generate_code'])
  })

  test('status "error" (a failed notebook cell) is a failure: listed, never folded', () => {
    const errors = WEIGHTSLAB_CALLS.filter((c) => c.status === 'error')
    const state = replay(stored(errors))
    expect(state.failures.map((e) => [e.status, e.error])).toEqual([
      ['error', 'kernel died'],
      ['error', null],
    ])
    expect(state.notebook).toEqual([])
  })
})
