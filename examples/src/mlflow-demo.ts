/**
 * The custom-sink example: an AuditLogger writing its file as usual, and an MLflow batch mirror on its
 * `events$`. The fake tracking server refuses the first two calls, so the retry with backoff shows.
 * Run it with `node examples/dist/mlflow-demo.js` (after `npx tsc -b`); honours AUDITRAIL_DIR.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AuditLogger } from 'auditrail'
import { createFakeMlflowClient } from './fake-mlflow-client.js'
import { createMlflowBatchSink } from './mlflow-batch-sink.js'

const logger = new AuditLogger(process.env['AUDITRAIL_DIR'] ?? mkdtempSync(join(tmpdir(), 'auditrail-mlflow-')), 'mlflow-demo', { format: 'json' })
const mlflow = createFakeMlflowClient()
mlflow.failNext(2)
const mirror = createMlflowBatchSink({ events$: logger.events$, client: mlflow, runId: 'run-42', maxBatchSize: 3, maxWaitMs: 50, backoffMs: 10 })

logger.logEvent('hp_change', 'success', { changed_params: { learning_rate: 0.001 } })
logger.logEvent('hp_change', 'success', { changed_params: { batch_size: 32 } })
logger.logEvent('pause', 'success', { step: 1200 })
logger.logEvent('tag_add', 'success', { tag_name: 'defect', sample_ids: ['s17', 's42'] })
logger.logEvent('checkpoint_restore', 'failed', { checkpoint_id: 'ckpt_999' }, 'Checkpoint file not found')
// Each logEvent returned once its event was in the file; the mirror is still catching up.
console.log(`Logged 5 events to ${logger.logPath}; MLflow has ${mirror.delivered} so far.`)

// Closing the logger completes events$: the mirror sends what it holds, and `done` settles when MLflow has it all.
logger.close()
await mirror.done
console.log(`MLflow run run-42 received ${mlflow.batches.length} batches (${mlflow.attempts} calls, 2 refused and retried):`)
for (const tag of mlflow.tags) console.log(`  tag    ${tag.key}`)
for (const metric of mlflow.metrics) console.log(`  metric ${metric.key} = ${metric.value}`)
