import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { SPEC_ACTION_TYPES } from '@auditrail/core'
import * as grpc from '@grpc/grpc-js'
import { afterEach, describe, expect, it } from 'vitest'
import type { ExperimentClient } from '../examples/src/experiment-client.js'
import { openExperimentSession, type ExperimentSession } from './support/experiment-session.js'

// Every audited RPC of the reference service, over real loopback gRPC, against the JSON log on disk.

const sessions: ExperimentSession[] = []
afterEach(async () => {
  await Promise.all(sessions.splice(0).map((s) => s.close()))
})
async function open(): Promise<ExperimentSession> {
  const session = await openExperimentSession()
  sessions.push(session)
  return session
}

interface Case {
  readonly name: string
  /** Calls made first (and audited), to put the trainer in the state the case needs. */
  readonly setup?: (client: ExperimentClient) => Promise<unknown>
  readonly call: (client: ExperimentClient) => Promise<unknown>
  /** The gRPC status code the caller gets. */
  readonly code: grpc.status
  readonly action: string
  readonly error?: string
  /** Expected to be contained in the event's details. */
  readonly details: Record<string, unknown>
}

const HP = { learning_rate: 0.01, batch_size: 64, weight_decay: 0.0005, momentum: 0.9 }
const command = (c: ExperimentClient, request: Parameters<ExperimentClient['experimentCommand']>[0]) => c.experimentCommand(request)
const edit = (c: ExperimentClient, request: Parameters<ExperimentClient['editDataSample']>[0]) => c.editDataSample(request)

const cases: Case[] = [
  {
    name: 'hp_change',
    call: (c) => command(c, { hyperparameter_change: { changes: { learning_rate: 0.001, momentum: 0.95 } } }),
    code: grpc.status.OK,
    action: 'hp_change',
    details: { changed_params: { learning_rate: 0.001, momentum: 0.95 }, before: { learning_rate: 0.01, momentum: 0.9 }, after: { learning_rate: 0.001, momentum: 0.95 } },
  },
  {
    name: 'hp_change refused',
    call: (c) => command(c, { hyperparameter_change: { changes: { learning_rate: -1 } } }),
    code: grpc.status.INVALID_ARGUMENT,
    action: 'hp_change',
    error: 'learning_rate must be a finite, non-negative number, got -1',
    details: { changed_params: { learning_rate: -1 }, before: { learning_rate: 0.01 }, after: { learning_rate: 0.01 } },
  },
  {
    name: 'pause',
    call: (c) => command(c, { pause: { reason: 'loss spike' } }),
    code: grpc.status.OK,
    action: 'pause',
    details: { before: { paused: false }, after: { paused: true }, previous_state: 'running', reason: 'loss spike', step: 1200 },
  },
  {
    name: 'pause when paused',
    setup: (c) => command(c, { pause: {} }),
    call: (c) => command(c, { pause: {} }),
    code: grpc.status.FAILED_PRECONDITION,
    action: 'pause',
    error: 'Training is already paused',
    details: { before: { paused: true }, after: { paused: true } },
  },
  {
    name: 'resume',
    setup: (c) => command(c, { pause: {} }),
    call: (c) => command(c, { resume: {} }),
    code: grpc.status.OK,
    action: 'resume',
    details: { before: { paused: true }, after: { paused: false }, previous_state: 'paused' },
  },
  {
    name: 'mode_switch',
    call: (c) => command(c, { mode_switch: { mode: 'evaluation' } }),
    code: grpc.status.OK,
    action: 'mode_switch',
    details: { mode: 'evaluation', previous_mode: 'train', before: { mode: 'train' }, after: { mode: 'evaluation' } },
  },
  {
    name: 'mode_switch to an unknown mode',
    call: (c) => command(c, { mode_switch: { mode: 'turbo' } }),
    code: grpc.status.INVALID_ARGUMENT,
    action: 'mode_switch',
    error: 'Unknown mode: "turbo"',
    details: { before: { mode: 'train' }, after: { mode: 'train' } },
  },
  {
    name: 'note_write',
    call: (c) => command(c, { plot_note: { plot_name: 'val_loss', point_id: 1100, note: 'spike' } }),
    code: grpc.status.OK,
    action: 'note_write',
    details: { plot_name: 'val_loss', point_id: 1100, note: 'spike', cleared: false, before: '', after: 'spike' },
  },
  {
    name: 'note_write clearing a note',
    setup: (c) => command(c, { plot_note: { plot_name: 'val_loss', point_id: 1100, note: 'spike' } }),
    call: (c) => command(c, { plot_note: { plot_name: 'val_loss', point_id: 1100, note: '' } }),
    code: grpc.status.OK,
    action: 'note_write',
    details: { cleared: true, before: 'spike', after: '' },
  },
  {
    name: 'tag_add',
    call: (c) => edit(c, { type: 'TAG_ADD', sample_ids: ['s1', 's7'], tag_name: 'defect' }),
    code: grpc.status.OK,
    action: 'tag_add',
    details: {
      tag_name: 'defect',
      samples_affected: 2,
      sample_ids: ['s1', 's7'],
      origins: ['train', 'val'],
      before: { s1: { tags: [], discarded: false }, s7: { tags: [], discarded: false } },
      after: { s1: { tags: ['defect'], discarded: false }, s7: { tags: ['defect'], discarded: false } },
    },
  },
  {
    name: 'tag_add naming an unknown sample changes nothing',
    call: (c) => edit(c, { type: 'TAG_ADD', sample_ids: ['s1', 'nope'], tag_name: 'defect' }),
    code: grpc.status.NOT_FOUND,
    action: 'tag_add',
    error: 'Sample not found: nope',
    details: { samples_affected: 0, before: { s1: { tags: [], discarded: false } }, after: { s1: { tags: [], discarded: false } } },
  },
  {
    name: 'tag_remove',
    setup: (c) => edit(c, { type: 'TAG_ADD', sample_ids: ['s1', 's2'], tag_name: 'defect' }),
    call: (c) => edit(c, { type: 'TAG_REMOVE', sample_ids: ['s1'], tag_name: 'defect' }),
    code: grpc.status.OK,
    action: 'tag_remove',
    details: { tag_name: 'defect', samples_affected: 1, before: { s1: { tags: ['defect'], discarded: false } }, after: { s1: { tags: [], discarded: false } } },
  },
  {
    name: 'sample_discard',
    call: (c) => edit(c, { type: 'SAMPLE_DISCARD', sample_ids: ['s9'], reason: 'mislabeled' }),
    code: grpc.status.OK,
    action: 'sample_discard',
    details: { samples_affected: 1, origins: ['test'], reason: 'mislabeled', before: { s9: { tags: [], discarded: false } }, after: { s9: { tags: [], discarded: true } } },
  },
  {
    name: 'sample_restore',
    setup: (c) => edit(c, { type: 'SAMPLE_DISCARD', sample_ids: ['s9'] }),
    call: (c) => edit(c, { type: 'SAMPLE_RESTORE', sample_ids: ['s9'] }),
    code: grpc.status.OK,
    action: 'sample_restore',
    details: { samples_affected: 1, before: { s9: { tags: [], discarded: true } }, after: { s9: { tags: [], discarded: false } } },
  },
  {
    name: 'an edit of unspecified type',
    call: (c) => edit(c, { type: 'EDIT_TYPE_UNSPECIFIED', sample_ids: ['s1'] }),
    code: grpc.status.INVALID_ARGUMENT,
    action: 'data_sample_edit',
    error: 'Unknown edit type: EDIT_TYPE_UNSPECIFIED',
    details: { sample_ids: ['s1'] },
  },
  {
    name: 'query_execute',
    call: (c) => c.applyDataQuery({ query_type: 'filter', query_text: 'origin == test' }),
    code: grpc.status.OK,
    action: 'query_execute',
    details: { query_type: 'filter', query_text: 'origin == test', result_count: 10, before: { active_query: '' }, after: { active_query: 'origin == test' } },
  },
  {
    name: 'query_execute with bad syntax',
    call: (c) => c.applyDataQuery({ query_type: 'natural_language', query_text: 'loss >> 2' }),
    code: grpc.status.INVALID_ARGUMENT,
    action: 'query_execute',
    error: 'Invalid query syntax: unexpected token ">>"',
    details: { query_type: 'natural_language', query_text: 'loss >> 2', before: { active_query: '' }, after: { active_query: '' } },
  },
  {
    name: 'query_execute of an unknown type (the async handler throws)',
    call: (c) => c.applyDataQuery({ query_type: 'sql', query_text: 'select 1' }),
    code: grpc.status.INVALID_ARGUMENT,
    action: 'query_execute',
    error: 'Unknown query_type: "sql"',
    details: { query_type: 'sql' },
  },
  {
    name: 'checkpoint_restore',
    call: (c) => c.restoreCheckpoint({ checkpoint_id: 'ckpt_010' }),
    code: grpc.status.OK,
    action: 'checkpoint_restore',
    details: { checkpoint_id: 'ckpt_010', step: 1000, before: { step: 1200, hyperparameters: HP }, after: { step: 1000, hyperparameters: { ...HP, learning_rate: 0.02 } } },
  },
  {
    name: 'checkpoint_restore of a missing checkpoint',
    call: (c) => c.restoreCheckpoint({ checkpoint_id: 'ckpt_999' }),
    code: grpc.status.NOT_FOUND,
    action: 'checkpoint_restore',
    error: 'Checkpoint file not found: ckpt_999',
    details: { checkpoint_id: 'ckpt_999', before: { step: 1200, hyperparameters: HP }, after: { step: 1200, hyperparameters: HP } },
  },
  {
    name: 'evaluation_start (server-streaming)',
    call: async (c) => expect(await c.triggerEvaluation({ split_name: 'test' })).toHaveLength(3),
    code: grpc.status.OK,
    action: 'evaluation_start',
    details: { split_name: 'test', step: 1200, before: null, after: expect.objectContaining({ split_name: 'test', step: 1200 }) },
  },
  {
    name: 'evaluation_start on an unknown split',
    call: (c) => c.triggerEvaluation({ split_name: 'dev' }),
    code: grpc.status.INVALID_ARGUMENT,
    action: 'evaluation_start',
    error: 'Unknown split: "dev"',
    details: { split_name: 'dev', before: null, after: null },
  },
  {
    name: 'an empty ExperimentCommand',
    call: (c) => command(c, {}),
    code: grpc.status.INVALID_ARGUMENT,
    action: 'experiment_command',
    error: 'ExperimentCommand needs one command',
    details: {},
  },
]

describe('ExperimentService over loopback gRPC', () => {
  it('produces every one of the spec\'s twelve action types with some successful RPC', () => {
    const produced = new Set(cases.filter((c) => c.code === grpc.status.OK).map((c) => c.action))
    expect([...produced].sort()).toEqual([...SPEC_ACTION_TYPES].sort())
  })

  it.each(cases)('$name: exactly one event, of the right type, status and before/after', async (testCase) => {
    const session = await open()
    if (testCase.setup !== undefined) await testCase.setup(session.client)
    const before = session.events().length
    const code = await testCase.call(session.client).then(
      () => grpc.status.OK,
      (error: grpc.ServiceError) => error.code,
    )
    expect(code).toBe(testCase.code)
    const added = session.events().slice(before)
    expect(added).toHaveLength(1)
    const [event] = added
    expect(event).toMatchObject({
      action_type: testCase.action,
      status: testCase.code === grpc.status.OK ? 'success' : 'failed',
      error: testCase.error ?? null,
      details: testCase.details,
    })
  })

  it('never audits the read-only RPCs, whether they succeed or fail', async () => {
    const session = await open()
    const state = await session.client.getExperimentState()
    expect(state).toMatchObject({ hyperparameters: HP, paused: false, mode: 'train', step: 1200, sample_count: 100 })
    await expect(session.client.getSamples(['s1', 's2'])).resolves.toHaveLength(2)
    await expect(session.client.getSamples(['missing'])).rejects.toMatchObject({ code: grpc.status.NOT_FOUND })
    expect(session.events()).toEqual([])
    // Not even created: the log file appears with the first audited event.
    expect(existsSync(join(session.dir, 'audit_log.json'))).toBe(false)
  })

  it('records what the caller sees: the handler\'s answer reaches the client unchanged', async () => {
    const session = await open()
    const response = await session.client.editDataSample({ type: 'TAG_ADD', sample_ids: ['s3', 's4', 's4'], tag_name: 'blurry' })
    expect(response).toEqual({ samples_affected: 2 })
    expect(session.events()[0]?.details).toMatchObject({ samples_affected: 2, sample_ids: ['s3', 's4', 's4'] })
  })
})
