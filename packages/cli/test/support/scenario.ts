import { formatMicros, parseMicros, type AuditEvent, type Clock } from '@auditrail/core'
import { AuditLogger, type AuditLogFormat } from 'auditrail'

/** Where the scenario's session starts. */
export const SCENARIO_START = '2026-05-27T14:30:00.000000Z'

/** A clock that gives the scenario's timestamps: `offsets` (seconds after the start) in turn, then a microsecond more each call. */
export function scriptedClock(offsets: readonly number[], start = SCENARIO_START): Clock {
  const base = parseMicros(start)
  let i = 0
  let last = Number.NEGATIVE_INFINITY
  return {
    now() {
      const offset = offsets[i++]
      last = offset === undefined ? last + 1 : Math.max(last + 1, base + Math.round(offset * 1_000_000))
      return formatMicros(last)
    },
    observe(timestamp) {
      last = Math.max(last, parseMicros(timestamp))
    },
  }
}

type Step = readonly [seconds: number, action: string, status: 'success' | 'failed', details: Record<string, unknown>, error?: string]

/**
 * A training session with the spec's four real-world scenarios in it: a learning-rate change followed by a
 * drop in validation accuracy, data tagged and discarded, a failed query, a failed then a successful
 * checkpoint restore after a pause, and the rollback.
 */
export const SCENARIO: readonly Step[] = [
  [0, 'hp_change', 'success', { changed_params: { learning_rate: 0.01, batch_size: 64 } }],
  [130, 'evaluation_start', 'success', { split_name: 'val', checkpoint_id: 'ckpt_010' }],
  [605, 'hp_change', 'success', { changed_params: { learning_rate: 0.05 }, before: { learning_rate: 0.01 }, after: { learning_rate: 0.05 } }],
  [690, 'tag_add', 'success', { tag_name: 'defect', samples_affected: 3, sample_ids: ['s17', 's42', 's97'], origins: ['train', 'train', 'val'] }],
  [780, 'query_execute', 'failed', { query_type: 'natural_language', query_text: 'loss >> 2' }, 'Invalid query syntax: unexpected token ">>"'],
  [820, 'query_execute', 'success', { query_type: 'natural_language', query_text: 'loss > 2 and split == "train"', result_count: 12 }],
  [912, 'sample_discard', 'success', { samples_affected: 2, sample_ids: ['s17', 's42'], origins: ['train', 'train'], reason: 'mislabeled' }],
  [1320, 'evaluation_start', 'success', { split_name: 'val', checkpoint_id: 'ckpt_012' }],
  [1530, 'pause', 'success', { step: 1200, reason: 'val accuracy dropped from 0.81 to 0.64' }],
  [1545, 'mode_switch', 'success', { previous_mode: 'train', mode: 'audit' }],
  [1570, 'checkpoint_restore', 'failed', { checkpoint_id: 'ckpt_999', step: 900 }, 'Checkpoint file not found: ckpt_999'],
  [1600, 'checkpoint_restore', 'success', { checkpoint_id: 'ckpt_011', step: 1100 }],
  [1620, 'hp_change', 'success', { changed_params: { learning_rate: 0.005 }, before: { learning_rate: 0.05 }, after: { learning_rate: 0.005 } }],
  [1650, 'tag_remove', 'success', { tag_name: 'defect', samples_affected: 1, sample_ids: ['s97'], origins: ['val'] }],
  [1690, 'mode_switch', 'success', { previous_mode: 'audit', mode: 'train' }],
  [1700, 'resume', 'success', { step: 1100 }],
  [2100, 'evaluation_start', 'success', { split_name: 'val', checkpoint_id: 'ckpt_013' }],
  [2160, 'note_write', 'success', { plot_name: 'val_accuracy', point_id: 1200, note: 'drop after lr 0.01 -> 0.05; rolled back to ckpt_011 with lr 0.005' }],
]

/** Writes the scenario with the library into `dir` in `format`; returns the events as logged, oldest first. */
export function writeScenario(dir: string, format: AuditLogFormat): AuditEvent[] {
  const logger = new AuditLogger(dir, 'resnet18-cifar10', { format, clock: scriptedClock(SCENARIO.map(([seconds]) => seconds)) })
  try {
    return SCENARIO.map(([, action, status, details, error]) => logger.logEvent(action, status, details, error ?? null))
  } finally {
    logger.close()
  }
}
