/**
 * The Quick start demo: a realistic experiment session, audited, then summarized from the file.
 * Honours AUDIT_LOG_FORMAT (json, csv, none) and AUDITRAIL_DIR (default ./root_experiment).
 */
import { AuditLogger, isAuditrailError } from 'auditrail'

const logger = new AuditLogger(process.env['AUDITRAIL_DIR'] ?? 'root_experiment', 'demo-resnet18')
const hp = { learning_rate: 0.01, batch_size: 64 }

function changeHyperparameters(changes: Partial<typeof hp>): void {
  const before = { ...hp }
  Object.assign(hp, changes)
  logger.logEvent('hp_change', 'success', { changed_params: changes, before, after: { ...hp } })
}

changeHyperparameters({ learning_rate: 0.001 })
changeHyperparameters({ batch_size: 32 })
logger.logEvent('pause', 'success', { step: 1200, reason: 'inspect loss spike' })
logger.logEvent('mode_switch', 'success', { previous_mode: 'train', mode: 'audit' })
logger.logEvent('tag_add', 'success', {
  tag_name: 'defect',
  samples_affected: 3,
  sample_ids: ['s17', 's42', 's97'],
  origins: ['train', 'train', 'val'],
})
logger.logEvent('sample_discard', 'success', { samples_affected: 2, sample_ids: ['s17', 's42'], origins: ['train', 'train'], reason: 'mislabeled' })
logger.logEvent('query_execute', 'failed', { query_type: 'natural_language', query_text: 'loss >> AND' }, 'Invalid query syntax: unexpected token')
logger.logEvent('checkpoint_restore', 'failed', { checkpoint_id: 'ckpt_999' }, 'Checkpoint file not found')
logger.logEvent('checkpoint_restore', 'success', { checkpoint_id: 'ckpt_011', step: 1100 })
logger.logEvent('mode_switch', 'success', { previous_mode: 'audit', mode: 'train' })
logger.logEvent('resume', 'success', { step: 1100 })
logger.logEvent('evaluation_start', 'success', { split_name: 'val', checkpoint_id: 'ckpt_011' })
logger.logEvent('note_write', 'success', { plot_name: 'val_loss', point_id: 1100, note: 'restored after discarding mislabeled samples' })

try {
  logger.logEvent('hp_change', 'ok' as 'success', { changed_params: { learning_rate: 1 } })
} catch (error) {
  if (!isAuditrailError(error, 'invalid')) throw error
  console.log(`Rejected bad input, nothing written: ${error.message}\n`)
}

const summary = logger.getLogSummary()
console.log(`Experiment ${logger.experimentName}: ${summary.total_events} events audited (format: ${logger.format})`)
console.log('By action type:', summary.by_action_type)
console.log('By status:     ', summary.by_status)
const failures = [...logger.readEvents()].filter((event) => event.status === 'failed')
for (const event of failures) console.log(`FAILED ${event.action_type} at ${event.timestamp}: ${event.error}`)
console.log(logger.logPath === undefined ? 'No file written (AUDIT_LOG_FORMAT=none).' : `Log file: ${logger.logPath}`)
logger.close()
