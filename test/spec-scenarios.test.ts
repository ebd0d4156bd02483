import { AuditLogger, type AuditEvent } from 'auditrail'
import { describe, expect, it } from 'vitest'
import { pythonCsvRows, pythonJsonLoad } from './support/python.js'
import { tempDir } from './support/temp-dir.js'

/** Reads the log back as the spec's users do: Python's json module, or csv with details parsed. */
function readBack(logger: AuditLogger): AuditEvent[] {
  if (logger.format === 'json') return pythonJsonLoad<AuditEvent[]>(logger.jsonPath)
  return pythonCsvRows(logger.csvPath)
    .map((row) => ({
      timestamp: row['timestamp'] as string,
      action_type: row['action_type'] as string,
      status: row['status'] as AuditEvent['status'],
      details: row['details'] === '' ? {} : (JSON.parse(row['details'] as string) as AuditEvent['details']),
      error: row['error'] === '' ? null : (row['error'] as string),
    }))
    .reverse()
}

describe.each(['json', 'csv'] as const)('the spec scenarios, read back from %s', (format) => {
  const open = (): AuditLogger => new AuditLogger(tempDir(), 'scenario', { format })

  it('debugging model degradation: hp_change events in order, with final values, and checkpoint rollbacks', () => {
    const logger = open()
    logger.logEvent('hp_change', 'success', { changed_params: { learning_rate: 0.01 }, before: { learning_rate: 0.1 } })
    logger.logEvent('evaluation_start', 'success', { split_name: 'val' })
    logger.logEvent('hp_change', 'success', { changed_params: { learning_rate: 0.5, batch_size: 16 } })
    logger.logEvent('checkpoint_restore', 'success', { checkpoint_id: 'ckpt_007' })
    const events = readBack(logger)
    const changes = events.filter((e) => e.action_type === 'hp_change').reverse()
    expect(changes.map((e) => e.details['changed_params'])).toEqual([{ learning_rate: 0.01 }, { learning_rate: 0.5, batch_size: 16 }])
    const finalParams = Object.assign({}, ...changes.map((e) => e.details['changed_params']))
    expect(finalParams).toEqual({ learning_rate: 0.5, batch_size: 16 })
    const restore = events.find((e) => e.action_type === 'checkpoint_restore')
    expect(restore?.details['checkpoint_id']).toBe('ckpt_007')
    expect(restore!.timestamp > changes[1]!.timestamp).toBe(true)
    logger.close()
  })

  it('data quality audit: tag, untag, discard and restore events with sample ids and origins', () => {
    const logger = open()
    logger.logEvent('tag_add', 'success', { tag_name: 'defect', samples_affected: 5, sample_ids: ['s1', 's2', 's3', 's4', 's5'], origins: ['train', 'train', 'val', 'val', 'test'] })
    logger.logEvent('tag_remove', 'success', { tag_name: 'defect', samples_affected: 1, sample_ids: ['s3'] })
    logger.logEvent('sample_discard', 'success', { samples_affected: 2, sample_ids: ['s1', 's2'], reason: 'blurry' })
    logger.logEvent('sample_restore', 'success', { samples_affected: 1, sample_ids: ['s2'] })
    const data = readBack(logger).filter((e) => ['tag_add', 'tag_remove', 'sample_discard', 'sample_restore'].includes(e.action_type))
    expect(data.map((e) => e.action_type)).toEqual(['sample_restore', 'sample_discard', 'tag_remove', 'tag_add'])
    expect(data[3]?.details).toEqual({ tag_name: 'defect', samples_affected: 5, sample_ids: ['s1', 's2', 's3', 's4', 's5'], origins: ['train', 'train', 'val', 'val', 'test'] })
    expect(data[1]?.details['reason']).toBe('blurry')
    logger.close()
  })

  it('training control and reproduction: pause, mode switches, resume, queries in chronological order', () => {
    const logger = open()
    logger.logEvent('pause', 'success', { step: 500 })
    logger.logEvent('mode_switch', 'success', { previous_mode: 'train', mode: 'audit' })
    logger.logEvent('query_execute', 'success', { query_type: 'filter', query_text: 'loss > 2', samples_affected: 12 })
    logger.logEvent('mode_switch', 'success', { previous_mode: 'audit', mode: 'train' })
    logger.logEvent('resume', 'success', { step: 500 })
    const chronological = readBack(logger).reverse()
    expect(chronological.map((e) => e.action_type)).toEqual(['pause', 'mode_switch', 'query_execute', 'mode_switch', 'resume'])
    const timestamps = chronological.map((e) => e.timestamp)
    expect([...timestamps].sort()).toEqual(timestamps)
    expect(new Set(timestamps).size).toBe(timestamps.length)
    logger.close()
  })

  it('investigating failures: the failed checkpoint restore, its error, and the pause before it', () => {
    const logger = open()
    logger.logEvent('pause', 'success', { step: 900 })
    logger.logEvent('checkpoint_restore', 'failed', { checkpoint_id: 'ckpt_001' }, 'Checkpoint file not found')
    logger.logEvent('query_execute', 'failed', { query_type: 'natural_language', query_text: 'invalid syntax here' }, 'Invalid query syntax: unexpected token')
    const events = readBack(logger)
    const failures = events.filter((e) => e.status === 'failed')
    expect(failures.map((e) => [e.action_type, e.error])).toEqual([
      ['query_execute', 'Invalid query syntax: unexpected token'],
      ['checkpoint_restore', 'Checkpoint file not found'],
    ])
    const restore = failures[1] as AuditEvent
    expect(restore.details['checkpoint_id']).toBe('ckpt_001')
    const before = events.slice(events.indexOf(events.find((e) => e === restore) ?? restore) + 1)
    expect(before.some((e) => e.action_type === 'pause')).toBe(true)
    expect(events.filter((e) => e.status === 'success').every((e) => e.error === null)).toBe(true)
    expect(logger.getLogSummary()).toEqual({ total_events: 3, by_action_type: { query_execute: 1, checkpoint_restore: 1, pause: 1 }, by_status: { failed: 2, success: 1 } })
    logger.close()
  })
})
