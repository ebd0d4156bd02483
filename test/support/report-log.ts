import { AuditLogger } from 'auditrail'
import { tempDir } from './temp-dir.js'

/** Strings that would run script if a page put them into markup or a URL. */
export const HOSTILE = ['<script>window.__pwned=1</script>', '<img src=x onerror="window.__pwned=1;alert(1)">', '</script><script>window.__pwned=1</script>', 'javascript:window.__pwned=1']

/**
 * Writes a hash-chained JSON log of an experiment's life: hyperparameter changes with before/after by two people,
 * pause/resume and mode switches, tags, a discard, a checkpoint restore, failures; with `hostile`, log strings that
 * are markup. Returns its directory.
 */
export function writeExperimentLog(options: { hostile?: boolean; format?: 'json' | 'csv' } = {}): string {
  const dir = tempDir('auditrail-report-')
  const logger = new AuditLogger(dir, 'report', { format: options.format ?? 'json', integrity: 'sha256-chain', actor: 'ana@lab' })
  try {
    let lr = 0.1
    for (let i = 0; i < 12; i++) {
      const next = Math.round(lr * 0.5 * 1e6) / 1e6
      logger.logEvent('hp_change', 'success', { changed_params: { learning_rate: next }, before: { learning_rate: lr, batch_size: 32 }, after: { learning_rate: next, batch_size: i % 4 === 3 ? 64 : 32 } }, null, { actor: i % 3 === 0 ? 'bo@lab' : 'ana@lab' })
      lr = next
      if (i % 4 === 1) logger.logEvent('pause', 'success', { step: i * 100, epoch: i })
      if (i % 4 === 2) logger.logEvent('resume', 'success', { step: i * 100, epoch: i })
      if (i % 5 === 0) logger.logEvent('mode_switch', 'success', { mode: i % 2 === 0 ? 'audit' : 'train' })
      if (i % 3 === 1) logger.logEvent('tag_add', 'success', { tag_name: 'hard', sample_ids: [`s${i}`, `s${i + 1}`] }, null, { actor: 'cy@lab' })
      if (i === 6) logger.logEvent('checkpoint_restore', 'failed', { checkpoint: 'ckpt-6.pt' }, 'Checkpoint file not found')
      if (i === 7) logger.logEvent('checkpoint_restore', 'success', { checkpoint: 'ckpt-5.pt' })
      if (i === 9) logger.logEvent('sample_discard', 'success', { sample_ids: ['s3'], reason: 'mislabeled' })
      if (i === 10) logger.logEvent('evaluation_start', 'failed', { dataset: 'val' }, 'CUDA out of memory')
    }
    if (options.hostile === true) {
      for (const text of HOSTILE) {
        logger.logEvent('note_write', 'failed', { note: text, url: text, [text]: text }, text, { actor: text })
        logger.logEvent(text, 'success', { href: text })
      }
    }
  } finally {
    logger.close()
  }
  return dir
}
