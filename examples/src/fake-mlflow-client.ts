import type { MlflowBatch, MlflowBatchClient, MlflowMetric, MlflowTag } from './mlflow-batch-sink.js'

/** An in-process stand-in for an MLflow tracking server: keeps what `log_batch` received, fails on request. */
export interface FakeMlflowClient extends MlflowBatchClient {
  /** Every batch accepted, in order. */
  readonly batches: readonly MlflowBatch[]
  /** Every tag accepted, in order. */
  readonly tags: readonly MlflowTag[]
  /** Every metric accepted, in order. */
  readonly metrics: readonly MlflowMetric[]
  /** How many `logBatch` calls were made, failed ones included. */
  readonly attempts: number
  /** Makes the next `count` calls fail (default: every call from now on) with a 503, as a busy server would. */
  failNext(count?: number): void
  /** Called with each accepted batch, e.g. to resolve a test's wait. */
  onBatch?: (batch: MlflowBatch) => void
}

/** Creates the fake client. Its `logBatch` resolves on a later turn of the event loop, like a network call. */
export function createFakeMlflowClient(): FakeMlflowClient {
  const batches: MlflowBatch[] = []
  const tags: MlflowTag[] = []
  const metrics: MlflowMetric[] = []
  let attempts = 0
  let failures = 0
  const client: FakeMlflowClient = {
    batches,
    tags,
    metrics,
    get attempts() {
      return attempts
    },
    failNext(count = Number.POSITIVE_INFINITY) {
      failures = count
    },
    async logBatch(batch) {
      attempts += 1
      await new Promise((resolve) => setImmediate(resolve))
      if (failures > 0) {
        failures -= 1
        throw Object.assign(new Error('503 Service Unavailable: TEMPORARILY_UNAVAILABLE'), { status: 503 })
      }
      batches.push(batch)
      tags.push(...batch.tags)
      metrics.push(...batch.metrics)
      client.onBatch?.(batch)
    },
  }
  return client
}
