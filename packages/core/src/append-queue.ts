import type { Clock } from './clock.js'
import type { AuditStatus } from './audit-status.js'
import type { AuditEvent } from './codecs.js'
import { AuditrailError, emitAuditrailWarning, sinkError } from './errors.js'
import type { EventInput } from './event-input.js'
import { inCanonicalOrder } from './canonical-json.js'
import { chainHash, type HmacKey } from './hash-chain.js'
import type { JsonObject } from './json-value.js'
import type { AuditSink } from './sink.js'

/** One validated (and redacted) event waiting for an appending sink to give it its place: timestamp, `seq`, `hash`. */
export type PendingEvent = EventInput

/** What an appending sink needs from the logger to stamp and chain events exactly as core does. */
export interface AppendContext {
  /** The logger's clock: the sink calls `observe(newest stored)` then `now()` under its lock. */
  readonly clock: Clock
  /** The logger's HMAC key, if any: the chain is then HMAC-SHA-256, as in a file. */
  readonly hmacKey?: HmacKey
}

/**
 * The stored event for `pending` at `seq` after `previousHash`, its hash computed by {@link chainHash} as the file chain
 * computes it; keys in the order files show them, the details' keys in canonical order.
 */
export function sealEvent(pending: PendingEvent, timestamp: string, seq: number, previousHash: string, hmacKey?: HmacKey): AuditEvent {
  const { action_type, status, error, actor } = pending
  // As the logger stores a chained event: details in canonical key order, the order its hash covers.
  const details = inCanonicalOrder(pending.details)
  const fields = actor === undefined ? { timestamp, action_type, status, details, error, seq } : { timestamp, action_type, status, details, error, actor, seq }
  const hash = chainHash(fields, previousHash, hmacKey)
  // Literals, not a spread: the stored event has the same shape (and fast paths) as the logger's own.
  return Object.freeze(
    actor === undefined ? { timestamp, action_type, status, details, error, seq, hash } : { timestamp, action_type, status, details, error, actor, seq, hash },
  )
}

/** Options of {@link createAppendQueue}. */
export interface AppendQueueOptions {
  readonly sink: AuditSink
  readonly context: AppendContext
  /** As the logger's: `'warn'` resolves a failed event unpersisted (without `seq`/`hash`) after a process warning. */
  readonly onError: 'throw' | 'warn'
  /** Called with each committed event, in commit order (the logger publishes it on `events$`). */
  readonly onCommitted: (event: AuditEvent) => void
  /** Most events per `append` call. Default 1000. */
  readonly maxBatch?: number
}

/** The logger's side of an appending sink: events of one event-loop turn go to one `append` (group commit). */
export interface AppendQueue {
  /** Queues one event; resolves with it as stored once the sink committed it. */
  enqueue(pending: PendingEvent): Promise<AuditEvent>
  /** Rejects every queued event not yet handed to the sink with a `closed` error (one in flight settles by itself). */
  close(): void
}

interface Waiting {
  readonly pending: PendingEvent
  readonly resolve: (event: AuditEvent) => void
  readonly reject: (error: unknown) => void
}

function unpersisted(pending: PendingEvent, timestamp: string): AuditEvent {
  const { action_type, status, details, error, actor } = pending
  const event: { timestamp: string; action_type: string; status: AuditStatus; details: JsonObject; error: string | null; actor?: string } =
    actor === undefined ? { timestamp, action_type, status, details, error } : { timestamp, action_type, status, details, error, actor }
  return Object.freeze(event)
}

/**
 * Creates the queue through which a logger drives a sink with `append`. One call is in flight at a time, so events are
 * stored in call order; those queued meanwhile form the next call, so that batches grow with the load.
 */
export function createAppendQueue(options: AppendQueueOptions): AppendQueue {
  const { sink, context, onError, onCommitted } = options
  const maxBatch = options.maxBatch ?? 1000
  let queue: Waiting[] = []
  let busy = false
  let scheduled = false
  let closed = false

  const fail = (members: readonly Waiting[], error: unknown): void => {
    for (const member of members) {
      if (onError === 'warn' && !(error instanceof AuditrailError && (error.code === 'closed' || error.code === 'invalid'))) {
        emitAuditrailWarning('AUDITRAIL_NOT_PERSISTED', error)
        member.resolve(unpersisted(member.pending, context.clock.now()))
      } else {
        member.reject(error)
      }
    }
  }

  const send = (): void => {
    scheduled = false
    if (busy || queue.length === 0) return
    const batch = queue.length <= maxBatch ? queue : queue.slice(0, maxBatch)
    queue = queue.length <= maxBatch ? [] : queue.slice(maxBatch)
    busy = true
    const settle = (): void => {
      busy = false
      if (queue.length > 0) send()
    }
    let appended: Promise<readonly AuditEvent[]>
    try {
      appended = (sink.append as NonNullable<AuditSink['append']>)(
        batch.map((member) => member.pending),
        context,
      )
    } catch (error) {
      appended = Promise.reject(error)
    }
    appended.then(
      (events) => {
        for (let i = 0; i < batch.length; i++) {
          const event = events[i] as AuditEvent
          onCommitted(event)
          ;(batch[i] as Waiting).resolve(event)
        }
        settle()
      },
      (error: unknown) => {
        fail(batch, sinkError(sink.name, 'append the events', error))
        settle()
      },
    )
  }

  return {
    enqueue(pending) {
      if (closed) return Promise.reject(new AuditrailError('closed', 'logEventAsync after close', { component: 'core' }))
      const refusal = sink.refuse?.(pending)
      if (refusal !== undefined) return Promise.reject(refusal)
      return new Promise<AuditEvent>((resolve, reject) => {
        queue.push({ pending, resolve, reject })
        if (!busy && !scheduled) {
          scheduled = true
          setImmediate(send)
        }
      })
    },
    close() {
      if (closed) return
      closed = true
      const left = queue
      queue = []
      for (const member of left) member.reject(new AuditrailError('closed', `the logger was closed before ${sink.name} stored this event`, { component: 'core' }))
    },
  }
}

/** The one sink with `append` among `sinks`, if any; such a sink must be the logger's only sink (`options` error). */
export function appendingSinkOf(sinks: readonly AuditSink[]): AuditSink | undefined {
  const appending = sinks.find((sink) => sink.append !== undefined)
  if (appending !== undefined && sinks.length > 1) {
    throw new AuditrailError('options', `${appending.name} orders and commits events itself: it must be the logger's only sink`, { component: 'core', field: 'sinks' })
  }
  return appending
}
