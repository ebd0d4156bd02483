import {
  actionDetailsCodecs,
  createEventLogger,
  createMemorySink,
  decodeAuditEvent,
  decodeParsedAuditEvent,
  isFailureStatus,
  isKnownActionType,
  KNOWN_ACTION_TYPES,
  SPEC_ACTION_TYPES,
  summarizeEvents,
  type AuditrailError,
} from '@auditrail/core'
import { describe, expect, test } from 'vitest'
import { WEIGHTSLAB_CALLS } from './fixtures/weightslab-events.js'

const strictLogger = () => createEventLogger({ sinks: [createMemorySink()], strict: true })

describe('details as WeightsLab logs them', () => {
  test('the fixture covers every known action type, and every known action type is one WeightsLab logs', () => {
    expect(new Set(WEIGHTSLAB_CALLS.map((c) => c.action_type))).toEqual(new Set(KNOWN_ACTION_TYPES))
    expect(KNOWN_ACTION_TYPES).toHaveLength(20)
    expect(SPEC_ACTION_TYPES).toEqual(['hp_change', 'pause', 'resume', 'mode_switch', 'tag_add', 'tag_remove', 'sample_discard', 'sample_restore', 'query_execute', 'checkpoint_restore', 'evaluation_start', 'note_write'])
  })

  test.each(WEIGHTSLAB_CALLS.map((c) => [`${c.action_type} ${JSON.stringify(c.details)}`, c] as const))('strict accepts %s', (_, call) => {
    const status = call.status === 'error' ? 'failed' : call.status
    const event = strictLogger().logEvent(call.action_type, status, call.details, call.error)
    expect(event.details).toEqual(call.details)
    expect(actionDetailsCodecs[call.action_type as keyof typeof actionDetailsCodecs].is(call.details)).toBe(true)
  })

  test("the spec's own keys stay valid beside WeightsLab's", () => {
    const logger = strictLogger()
    expect(() => logger.logEvent('mode_switch', 'success', { mode: 'audit', previous_mode: 'train' })).not.toThrow()
    expect(() => logger.logEvent('query_execute', 'failed', { query_type: 'natural_language', query_text: 'invalid syntax here' }, 'Invalid query')).not.toThrow()
    expect(() => logger.logEvent('note_write', 'success', { plot_name: 'loss', point_id: 7, note: 'spike' })).not.toThrow()
    expect(() => logger.logEvent('checkpoint_restore', 'success', { checkpoint_id: 'ckpt_001', step: 1200, path: '/ckpt' })).not.toThrow()
    expect(() => logger.logEvent('evaluation_start', 'success', { split_name: 'val', checkpoint_id: 'c', metrics: ['acc'] })).not.toThrow()
    expect(() => logger.logEvent('pause', 'success', { step: 1200, epoch: 3, reason: 'manual', previous_state: 'running' })).not.toThrow()
  })

  test('strict still refuses wrong types and unknown keys in the new shapes, naming the field', () => {
    const logger = strictLogger()
    const refused = (f: () => unknown) => {
      try {
        f()
      } catch (error) {
        return (error as AuditrailError).message
      }
      return 'not refused'
    }
    expect(refused(() => logger.logEvent('checkpoint_restore', 'success', { checkpoint_step: '1200' } as object))).toContain('details.checkpoint_step')
    expect(refused(() => logger.logEvent('mode_switch', 'success', { to_mode: 'audit', auditor_mode: 'yes' } as object))).toContain('details.auditor_mode')
    expect(refused(() => logger.logEvent('notebook_save', 'success', { path: 'a.ipynb', size: 3 } as object))).toContain('details.size: expected one of the notebook_save fields (path, bytes)')
    expect(refused(() => logger.logEvent('restart_instance', 'success', { why: 'oom' } as never))).toContain('details.why')
  })
})

describe('status "error", as WeightsLab\'s notebook service writes it', () => {
  const stored = { timestamp: '2026-05-27T14:30:00.123456Z', action_type: 'notebook_run', status: 'error', details: { cell_id: 'cell-2', code: '1/0', elapsed_s: 0.003 }, error: null }

  test('decodes as written, with or without an error message', () => {
    expect(decodeAuditEvent(stored)).toEqual({ _tag: 'Right', right: stored })
    expect(decodeParsedAuditEvent(stored)).toEqual({ _tag: 'Right', right: stored })
    expect(decodeParsedAuditEvent({ ...stored, error: 'kernel died' })._tag).toBe('Right')
  })

  test('counts as a failure; the summary keeps its literal key', () => {
    expect(['success', 'failed', 'error'].map(isFailureStatus)).toEqual([false, true, true])
    expect(summarizeEvents([stored as never, { action_type: 'pause', status: 'failed' }]).by_status).toEqual({ error: 1, failed: 1 })
  })

  test('a default logger writes it (as the Python original does); a strict one refuses it and names "failed"', () => {
    const sink = createMemorySink()
    const event = createEventLogger({ sinks: [sink] }).logEvent('notebook_run', 'error', { cell_id: 'c' })
    expect(event.status).toBe('error')
    expect(sink.events).toHaveLength(1)
    expect(() => strictLogger().logEvent('notebook_run', 'error', { cell_id: 'c' })).toThrow(
      'status: strict: "error" is WeightsLab\'s spelling of "failed"; a strict logger writes "success" | "failed"',
    )
  })

  test('other statuses stay refused on read and write', () => {
    expect(decodeAuditEvent({ ...stored, status: 'ok' })._tag).toBe('Left')
    expect(decodeAuditEvent({ ...stored, status: '' })._tag).toBe('Left')
    expect(() => createEventLogger({ sinks: [] }).logEvent('pause', 'ok' as never)).toThrow('status: expected "success" | "failed" | "error", got "ok"')
  })

  test('isKnownActionType knows the WeightsLab actions', () => {
    expect(['checkpoint_save', 'tag_register', 'notebook_run', 'experiment_rename', 'my_action'].map(isKnownActionType)).toEqual([true, true, true, true, false])
  })
})
