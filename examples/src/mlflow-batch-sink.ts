import { AuditrailError, type AuditEvent } from 'auditrail'
import { bufferTime, catchError, concatMap, defer, filter, retry, tap, throwError, timer, type Observable, type Subscription } from 'rxjs'

/** A metric as MLflow's `log_batch` takes it (`timestamp` in epoch milliseconds). */
export interface MlflowMetric {
  readonly key: string
  readonly value: number
  readonly timestamp: number
  readonly step: number
}

/** A tag (or param) as MLflow's `log_batch` takes it. */
export interface MlflowTag {
  readonly key: string
  readonly value: string
}

/** The body of MLflow's `POST /api/2.0/mlflow/runs/log-batch`, i.e. `MlflowClient.log_batch(run_id, metrics, params, tags)`. */
export interface MlflowBatch {
  readonly run_id: string
  readonly metrics: readonly MlflowMetric[]
  readonly params: readonly MlflowTag[]
  readonly tags: readonly MlflowTag[]
}

/** The one call the sink makes. Production code passes an HTTP client for a tracking server; tests pass a fake. */
export interface MlflowBatchClient {
  logBatch(batch: MlflowBatch): Promise<void>
}

/** Options of {@link createMlflowBatchSink}. */
export interface MlflowBatchSinkOptions {
  /** The persisted events to mirror: an `AuditLogger`'s or `EventLogger`'s `events$`. */
  readonly events$: Observable<AuditEvent>
  readonly client: MlflowBatchClient
  /** The MLflow run the audit trail is attached to. */
  readonly runId: string
  /** Send as soon as this many events wait. Default 50; at most 100, MLflow's limit of tags per batch. */
  readonly maxBatchSize?: number
  /** Send what waits after this long even if the batch is not full. Default 1000 ms: fewer calls, later mirror. */
  readonly maxWaitMs?: number
  /** Retries of a failed batch before giving up. Default 5. */
  readonly retries?: number
  /** Delay before the first retry, doubled at each next one. Default 200 ms. */
  readonly backoffMs?: number
  /** Called once, with the last error and the events of the batch given up on. Default: none (see `done`). */
  readonly onGiveUp?: (error: unknown, undelivered: readonly AuditEvent[]) => void
}

/** A running mirror of the audit trail into an MLflow run. */
export interface MlflowBatchSink {
  /** Resolves once `events$` completed (the logger closed) and every batch is delivered; rejects if one was given up. */
  readonly done: Promise<void>
  /** How many events MLflow has acknowledged. */
  readonly delivered: number
  /** The timestamp of the last acknowledged event: where to resume from `readEvents()` after a give-up. */
  readonly lastDelivered: string | undefined
  /** Stops mirroring now; events still buffered are not sent. Idempotent. */
  stop(): void
}

/** MLflow tag keys allow letters, digits, `_ - . / ` and space: the timestamp's colons become dashes. */
export function auditTagKey(event: AuditEvent): string {
  return `auditrail/${event.timestamp.replaceAll(':', '-')}/${event.action_type.replace(/[^\w\-. /]/g, '_')}`
}

// MLflow refuses tag values over 8000 characters; an event that long keeps its outline and loses its details.
const MAX_TAG_VALUE = 8000

/** One batch in MLflow's terms: one tag per event, and each numeric hyperparameter change as a metric. */
export function toMlflowBatch(runId: string, events: readonly AuditEvent[]): MlflowBatch {
  const tags = events.map((event) => {
    const full = JSON.stringify({ status: event.status, details: event.details, error: event.error })
    const value = full.length <= MAX_TAG_VALUE ? full : JSON.stringify({ status: event.status, details_omitted: full.length, error: event.error?.slice(0, 1000) ?? null })
    return { key: auditTagKey(event), value }
  })
  const metrics = events.flatMap((event) => {
    const changed = event.details['changed_params']
    if (event.action_type !== 'hp_change' || event.status !== 'success' || typeof changed !== 'object' || changed === null || Array.isArray(changed)) return []
    const step = typeof event.details['step'] === 'number' ? event.details['step'] : 0
    return Object.entries(changed)
      .filter((entry): entry is [string, number] => typeof entry[1] === 'number')
      .map(([name, value]) => ({ key: `hp/${name}`, value, timestamp: Date.parse(event.timestamp), step }))
  })
  return { run_id: runId, metrics, params: [], tags }
}

/** A batch given up on, with its events, so the subscriber can report them. */
class GivenUp extends Error {
  constructor(
    readonly reason: unknown,
    readonly batch: readonly AuditEvent[],
  ) {
    super('MLflow batch given up')
  }
}

function integerOption(name: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new AuditrailError('options', `${name}: expected an integer in ${min}..${max}, got ${value}`, { component: 'mlflow-batch-sink', field: name })
  }
  return value
}

/**
 * Mirrors an audit trail into an MLflow run in batches: buffered by count or time, each batch retried
 * with exponential backoff, one batch in flight at a time (`concatMap`), so MLflow receives the events in
 * log order. It gives up at the first batch that exhausts its retries and stops there, never sending a
 * later event before an earlier one. It runs after the file write, asynchronously: its failures never
 * reach the caller of `logEvent`, only `done` and `onGiveUp`.
 */
export function createMlflowBatchSink(options: MlflowBatchSinkOptions): MlflowBatchSink {
  const maxBatchSize = integerOption('maxBatchSize', options.maxBatchSize ?? 50, 1, 100)
  const maxWaitMs = integerOption('maxWaitMs', options.maxWaitMs ?? 1000, 1)
  const retries = integerOption('retries', options.retries ?? 5, 0)
  const backoffMs = integerOption('backoffMs', options.backoffMs ?? 200, 0)
  let delivered = 0
  let lastDelivered: string | undefined
  let settle: { resolve: () => void; reject: (error: unknown) => void } | undefined
  const done = new Promise<void>((resolve, reject) => {
    settle = { resolve, reject }
  })
  // `done` may go unobserved by a caller that relies on onGiveUp; that must not become an unhandled rejection.
  done.catch(() => {})

  const subscription: Subscription = options.events$
    .pipe(
      bufferTime(maxWaitMs, null, maxBatchSize),
      filter((batch) => batch.length > 0),
      concatMap((batch) =>
        defer(() => options.client.logBatch(toMlflowBatch(options.runId, batch))).pipe(
          retry({ count: retries, delay: (_error, attempt) => timer(backoffMs * 2 ** (attempt - 1)) }),
          tap(() => {
            delivered += batch.length
            lastDelivered = batch[batch.length - 1]?.timestamp
          }),
          catchError((error: unknown) => throwError(() => new GivenUp(error, batch))),
        ),
      ),
    )
    .subscribe({
      // The error handler is what keeps RxJS from rethrowing the failure later as an uncaught exception.
      error: (error: unknown) => {
        const givenUp = error instanceof GivenUp ? error : new GivenUp(error, [])
        options.onGiveUp?.(givenUp.reason, givenUp.batch)
        settle?.reject(givenUp.reason)
      },
      complete: () => settle?.resolve(),
    })

  return {
    done,
    get delivered() {
      return delivered
    },
    get lastDelivered() {
      return lastDelivered
    },
    stop() {
      subscription.unsubscribe()
      settle?.resolve()
    },
  }
}
