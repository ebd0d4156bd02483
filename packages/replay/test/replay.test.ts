import { isAuditrailError, type AuditEvent, type AuditStatus, type JsonObject } from '@auditrail/core'
import { createReplay, replay } from '@auditrail/replay'
import { describe, expect, test } from 'vitest'

let second = 0
/** Events one second apart from 2026-05-27T14:30:00Z, in the order written. */
function ev(action_type: string, details: JsonObject = {}, status: AuditStatus = 'success', error: string | null = null): AuditEvent {
  const timestamp = new Date(Date.UTC(2026, 4, 27, 14, 30, second++)).toISOString().replace('Z', '000Z')
  return { timestamp, action_type, status, details, error }
}
const reset = (): void => {
  second = 0
}

describe('replay: hyperparameters', () => {
  test('takes changed_params, then after, with previous from before or from the value it knew', () => {
    reset()
    const first = ev('hp_change', { changed_params: { learning_rate: 0.01, batch_size: 64 } })
    const second = ev('hp_change', { changed_params: { learning_rate: 0.05 }, before: { learning_rate: 0.02 }, after: { learning_rate: 0.05 } })
    const third = ev('hp_change', { changed_params: { batch_size: 32 } })
    const state = replay([first, second, third])
    expect(state.hyperparameters).toEqual({
      learning_rate: { value: 0.05, previous: 0.02, changedAt: second.timestamp, event: second },
      batch_size: { value: 32, previous: 64, changedAt: third.timestamp, event: third },
    })
    expect(Object.keys(state.hyperparameters)).toEqual(['learning_rate', 'batch_size'])
  })

  test('an after listing every hyperparameter changes only those whose value is new', () => {
    reset()
    const setup = ev('hp_change', { changed_params: { lr: 0.1, momentum: 0.9 } })
    const change = ev('hp_change', { changed_params: { lr: 0.01 }, before: { lr: 0.1, momentum: 0.9 }, after: { lr: 0.01, momentum: 0.9, wd: 0.0005 } })
    const { hyperparameters } = replay([setup, change])
    expect(hyperparameters['lr']).toMatchObject({ value: 0.01, previous: 0.1, changedAt: change.timestamp })
    expect(hyperparameters['momentum']).toMatchObject({ value: 0.9, changedAt: setup.timestamp })
    expect(hyperparameters['wd']).toMatchObject({ value: 0.0005, changedAt: change.timestamp })
    expect(hyperparameters['wd']).not.toHaveProperty('previous')
  })

  test('details without changed_params, before or after are the parameters, as in the spec API example', () => {
    reset()
    const event = ev('hp_change', { learning_rate: 0.001, batch_size: 32 })
    const state = replay([event])
    expect(state.hyperparameters['learning_rate']?.value).toBe(0.001)
    expect(state.hyperparameters['batch_size']?.value).toBe(32)
    expect(state.skipped).toEqual([])
  })

  test('an hp_change it cannot read is listed as skipped, state unchanged', () => {
    reset()
    const empty = ev('hp_change')
    const onlyBefore = ev('hp_change', { before: { lr: 1 } })
    const notObject = ev('hp_change', { changed_params: 'lr=1' })
    const state = replay([empty, onlyBefore, notObject])
    expect(state.hyperparameters).toEqual({})
    expect(state.skipped.map((s) => [s.event, s.reason])).toEqual([
      [empty, 'hp_change without changed parameters'],
      [onlyBefore, 'hp_change with before but neither changed_params nor after'],
      [notObject, 'hp_change whose changed_params or after is not an object'],
    ])
  })

  test('a parameter named __proto__ is an ordinary parameter', () => {
    reset()
    const state = replay([ev('hp_change', { changed_params: JSON.parse('{"__proto__": 3}') as JsonObject })])
    expect(Object.keys(state.hyperparameters)).toEqual(['__proto__'])
    expect(JSON.parse(JSON.stringify(state.hyperparameters))['__proto__'].value).toBe(3)
  })
})

describe('replay: training', () => {
  test('is unknown before any control event', () => {
    expect(replay([]).training).toEqual({ status: 'unknown', statusChangedAt: null, mode: null, modeChangedAt: null, step: null, epoch: null })
  })

  test('follows pause, resume and mode_switch, keeping the last step and epoch given', () => {
    reset()
    const pause = ev('pause', { step: 1200, epoch: 3 })
    const audit = ev('mode_switch', { previous_mode: 'train', mode: 'audit' })
    const resume = ev('resume', { step: 1100 })
    const train = ev('mode_switch', { mode: 'train' })
    expect(replay([pause, audit]).training).toEqual({
      status: 'paused', statusChangedAt: pause.timestamp, mode: 'audit', modeChangedAt: audit.timestamp, step: 1200, epoch: 3,
    })
    expect(replay([pause, audit, resume, train]).training).toEqual({
      status: 'running', statusChangedAt: resume.timestamp, mode: 'train', modeChangedAt: train.timestamp, step: 1100, epoch: 3,
    })
  })

  test('a mode_switch without mode is skipped', () => {
    reset()
    const state = replay([ev('mode_switch', { previous_mode: 'train' })])
    expect(state.training.mode).toBeNull()
    expect(state.skipped[0]?.reason).toBe('mode_switch without mode or to_mode')
  })
})

describe('replay: data', () => {
  test('tags hold their samples with origins; tag_remove removes them and an emptied tag disappears', () => {
    reset()
    const add = ev('tag_add', { tag_name: 'defect', sample_ids: ['s1', 's2', 3], origins: ['train', 'val'] })
    const again = ev('tag_add', { tag_name: 'defect', sample_ids: ['s2', 's4'] })
    const other = ev('tag_add', { tag_name: 'blurry', sample_ids: ['s1'] })
    const remove = ev('tag_remove', { tag_name: 'blurry', sample_ids: ['s1'] })
    const partial = ev('tag_remove', { tag_name: 'defect', sample_ids: ['s1', '3'] })
    const { data } = replay([add, again, other, remove, partial])
    expect(data.tags).toEqual({
      defect: [
        { id: 's2', origin: 'val', since: add.timestamp },
        { id: 3, since: add.timestamp },
        { id: 's4', since: again.timestamp },
      ],
    })
  })

  test('sample_discard and sample_restore keep the discarded set, with origins and reason', () => {
    reset()
    const discard = ev('sample_discard', { sample_ids: ['s17', 's42'], origins: ['train', 'val'], reason: 'mislabeled' })
    const restore = ev('sample_restore', { sample_ids: ['s17'] })
    const again = ev('sample_discard', { sample_ids: ['s42', 's99'] })
    expect(replay([discard, restore, again]).data.discarded).toEqual([
      { id: 's42', origin: 'val', since: discard.timestamp, reason: 'mislabeled' },
      { id: 's99', since: again.timestamp },
    ])
  })

  test('data events without sample_ids or tag_name are skipped', () => {
    reset()
    const state = replay([ev('tag_add', { tag_name: 'x', samples_affected: 3 }), ev('tag_remove', { sample_ids: ['a'] }), ev('sample_discard', { sample_ids: [{}] })])
    expect(state.skipped.map((s) => s.reason)).toEqual(['tag_add without sample_ids', 'tag_remove without tag_name', 'sample_discard without sample_ids'])
    expect(state.data).toEqual({ tags: {}, discarded: [], registered: [] })
  })
})

describe('replay: checkpoints, evaluations, queries, notes', () => {
  test('keeps the last restore, every evaluation and query, and the notes standing', () => {
    reset()
    const restore1 = ev('checkpoint_restore', { checkpoint_id: 'ckpt_010' })
    const restore2 = ev('checkpoint_restore', { checkpoint_id: 'ckpt_011', step: 1100 })
    const evaluation = ev('evaluation_start', { split_name: 'val' })
    const query = ev('query_execute', { query_text: 'loss > 2', result_count: 12 })
    const note1 = ev('note_write', { plot_name: 'val_loss', point_id: 1100, note: 'first' })
    const note2 = ev('note_write', { plot_name: 'val_loss', point_id: '1100', note: 'a string point' })
    const note3 = ev('note_write', { plot_name: 'val_loss', point_id: 1100, after: 'rewritten' })
    const cleared = ev('note_write', { plot_name: 'val_loss', point_id: '1100', cleared: true })
    const state = replay([restore1, restore2, evaluation, query, note1, note2, note3, cleared])
    expect(state.lastCheckpointRestore).toEqual({ timestamp: restore2.timestamp, details: restore2.details })
    expect(state.evaluations).toEqual([{ timestamp: evaluation.timestamp, details: { split_name: 'val' } }])
    expect(state.queries).toEqual([{ timestamp: query.timestamp, details: query.details }])
    expect(state.notes).toEqual([{ plotName: 'val_loss', pointId: 1100, note: 'rewritten', writtenAt: note3.timestamp }])
  })
})

describe('replay: failures, unknown actions, time', () => {
  test('failed events never change state but are listed; unknown action types pass through untouched', () => {
    reset()
    const ok = ev('hp_change', { changed_params: { lr: 0.1 } })
    const failedHp = ev('hp_change', { changed_params: { lr: 9 } }, 'failed', 'rejected')
    const failedRestore = ev('checkpoint_restore', { checkpoint_id: 'ckpt_999' }, 'failed', 'Checkpoint file not found')
    const custom = ev('mlflow_sync', { run_id: 'abc' })
    const state = replay([ok, failedHp, failedRestore, custom])
    expect(state.hyperparameters['lr']?.value).toBe(0.1)
    expect(state.lastCheckpointRestore).toBeNull()
    expect(state.failures).toEqual([failedHp, failedRestore])
    expect(state.unknownEvents).toHaveLength(1)
    expect(state.unknownEvents[0]).toBe(custom)
    expect(state.eventCount).toBe(4)
    expect(state.asOf).toBe(custom.timestamp)
  })

  test('at cuts the log at a moment, given as an audit timestamp, another ISO form, or a Date', () => {
    reset()
    const events = [ev('pause'), ev('resume'), ev('pause')]
    const at = events[1]?.timestamp as string
    expect(replay(events, { at }).training.status).toBe('running')
    expect(replay(events, { at }).eventCount).toBe(2)
    expect(replay(events, { at: '2026-05-27T14:30:01+00:00' }).asOf).toBe(at)
    expect(replay(events, { at: new Date(Date.UTC(2026, 4, 27, 14, 30, 0, 500)) }).training.status).toBe('paused')
    expect(replay(events, { at: '2026-05-27' }).eventCount).toBe(0)
    expect(replay(events).eventCount).toBe(3)
  })

  test('an unreadable at is an options error naming the field', () => {
    const error = (() => {
      try {
        createReplay({ at: 'yesterday-ish' })
      } catch (e) {
        return e
      }
      return undefined
    })()
    expect(isAuditrailError(error, 'options')).toBe(true)
    expect((error as Error).message).toBe('[auditrail] [replay] at: expected an ISO 8601 time or a Date, got "yesterday-ish"')
  })

  test('apply reports whether an event was folded; a state read earlier does not change', () => {
    reset()
    const run = createReplay({ at: '2026-05-27T14:30:01Z' })
    expect(run.apply(ev('tag_add', { tag_name: 't', sample_ids: ['a'] }))).toBe(true)
    const before = run.state()
    expect(run.apply(ev('tag_add', { tag_name: 't', sample_ids: ['b'] }))).toBe(true)
    expect(run.apply(ev('tag_add', { tag_name: 't', sample_ids: ['c'] }))).toBe(false)
    expect(before.data.tags['t']?.map((s) => s.id)).toEqual(['a'])
    expect(run.state().data.tags['t']?.map((s) => s.id)).toEqual(['a', 'b'])
  })
})
