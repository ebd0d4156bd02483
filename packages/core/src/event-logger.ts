import { Subject, type Observable, type Subscription } from 'rxjs'
import { createClock, type Clock } from './clock.js'
import type { LogDetailsArgument } from './action-details.js'
import type { AuditStatus } from './audit-status.js'
import type { AuditEvent } from './codecs.js'
import { AuditrailError, emitAuditrailWarning, sinkError } from './errors.js'
import { validateEventInput } from './event-input.js'
import type { JsonObject } from './json-value.js'
import { createRedactor, type RedactOption } from './redact.js'
import { chainHeadOf, genesisHash, sealEventTexts, validateIntegrityOptions, type ChainHead, type HmacKey, type IntegrityMode } from './hash-chain.js'
import type { AuditSink } from './sink.js'
import { attachSink, type SinkFailure } from './sink-attachment.js'
import { withGetters } from './fast-object.js'
import { appendingSinkOf, createAppendQueue } from './append-queue.js'
import { rememberEventJson } from './event-json.js'

/** Options of {@link createEventLogger}. */
export interface EventLoggerOptions {
  /** Where events are persisted, in this order. Default: none (events only reach `events$`). */
  readonly sinks?: readonly AuditSink[]
  /** Timestamp source. Default: {@link createClock}(). */
  readonly clock?: Clock
  /**
   * The spec's contract exactly: details of the known actions must match their codec (wrong types or unknown keys
   * are refused), and the status is `"success"` or `"failed"` (WeightsLab's `"error"` is refused; write `"failed"`).
   * Default `false`, as the spec and the Python original: any JSON object, and `"error"` too, is accepted.
   * Action types outside the known ones always accept any JSON object.
   */
  readonly strict?: boolean
  /**
   * What a persistence failure (a sink's `io`, `locked`, `corrupt`… error) does: `'throw'` (default) throws
   * it from `logEvent`; `'warn'` emits it as a process warning and returns the event unpersisted, as the
   * Python original does, for callers that must never be interrupted by the audit log. Invalid input
   * (`invalid`) and use after close (`closed`) always throw.
   */
  readonly onError?: 'throw' | 'warn'
  /**
   * Who acts, for every event that does not name its own `actor` (see {@link LogEventOptions}). Default: none, and
   * events carry no `actor` field, exactly the spec's five fields.
   */
  readonly actor?: string
  /**
   * `'sha256-chain'`: every event gets `seq` (1, 2, 3 … in file order, continued across restarts and writers) and
   * `hash`, SHA-256 over its fields and the previous event's hash, so that an edit, deletion, insertion or reordering
   * shows (see `createChainVerifier`). Default: none, and events keep the spec's fields only. The chain continues from
   * the first sink that implements `head` (the log file), else from this logger's own last event. A chained event's
   * `details` have their keys in canonical (sorted) order, as hashed: the same value, serialized once for both.
   */
  readonly integrity?: IntegrityMode
  /** With `integrity`: HMAC-SHA-256 with this key instead of SHA-256, so that only key holders can recompute the chain. */
  readonly hmacKey?: HmacKey
  /**
   * Detail keys whose values are replaced before any sink or `events$` subscriber sees them: plain names (`token`,
   * at any depth) or paths (`auth.token`), by `[REDACTED]` or by an HMAC of the value (see {@link RedactOptions}).
   * Default: nothing is redacted.
   */
  readonly redact?: RedactOption
}

/** Per-call options of `logEvent`. */
export interface LogEventOptions {
  /** Who did it (a user, a service account): a non-empty string without control characters. Default: the logger's `actor`. */
  readonly actor?: string
}

/**
 * The core logger: validates, stamps, fans out to sinks, then publishes on `events$`. `Strict` is its `strict` option
 * as the compiler knows it: `true` makes unknown keys of a known action's details literal a compile error.
 */
export interface EventLogger<Strict extends boolean = false> {
  /** Each event after every sink persisted it, in order. Completes on `close()`. */
  readonly events$: Observable<AuditEvent>
  /** The attached sinks, in write order. */
  readonly sinks: readonly AuditSink[]
  /** True once `close()` was called. */
  readonly closed: boolean
  /**
   * Records one action. Returns the persisted event; throws an `invalid` AuditrailError (nothing written)
   * for bad input, or an AuditrailError naming the sink when a sink could not persist it. `error` may be an `Error`:
   * its message is stored.
   */
  logEvent<A extends string, D extends object = object>(
    actionType: A,
    status: AuditStatus,
    details?: LogDetailsArgument<A, D, Strict> | null,
    error?: string | Error | null,
    options?: LogEventOptions,
  ): AuditEvent
  /**
   * Records one action like `logEvent` (in call order, synchronously written), and resolves once it survives
   * power loss: the events of one event-loop turn share one `sync()` of each sink (group commit).
   * Rejects with what `logEvent` would throw, or with the sync's failure.
   */
  logEventAsync<A extends string, D extends object = object>(
    actionType: A,
    status: AuditStatus,
    details?: LogDetailsArgument<A, D, Strict> | null,
    error?: string | Error | null,
    options?: LogEventOptions,
  ): Promise<AuditEvent>
  /** Detaches and closes every sink. Idempotent. */
  close(): void
}

function combineFailures(failures: readonly SinkFailure[]): unknown {
  if (failures.length === 1) return (failures[0] as SinkFailure).error
  const names = failures.map((f) => f.sink.name).join(', ')
  return new AuditrailError('io', `${failures.length} sinks failed to persist the event: ${names}`, {
    component: 'core',
    cause: new AggregateError(failures.map((f) => f.error)),
  })
}

/**
 * Validates the options of {@link createEventLogger} (all but the sinks), throwing an `options` or `invalid` error naming
 * the field; returns the redactor. Callers that do I/O before creating the logger (a facade making a directory) call it first.
 */
export function validateEventLoggerOptions(options: Omit<EventLoggerOptions, 'sinks'>): ((details: JsonObject) => JsonObject) | undefined {
  const onError = options.onError ?? 'throw'
  if (onError !== 'throw' && onError !== 'warn') {
    throw new AuditrailError('options', `onError: expected "throw" | "warn", got ${JSON.stringify(onError)}`, { component: 'core', field: 'onError' })
  }
  validateIntegrityOptions(options.integrity, options.hmacKey)
  if (options.actor !== undefined) validateEventInput('check', 'success', {}, null, false, options.actor)
  return options.redact === undefined ? undefined : createRedactor(options.redact)
}

/**
 * The frozen event, its keys in the order files show them, built from object literals: objects built by spreading
 * (`{ ...fields, seq, hash }`) took V8's slow paths, and made serializing each chained event 0.8 µs slower.
 */
function createEvent(
  timestamp: string,
  action_type: string,
  status: AuditStatus,
  details: JsonObject,
  error: string | null,
  actor: string | undefined,
  seq?: number,
  hash?: string,
): AuditEvent {
  if (seq === undefined || hash === undefined) {
    return Object.freeze(actor === undefined ? { timestamp, action_type, status, details, error } : { timestamp, action_type, status, details, error, actor })
  }
  return Object.freeze(
    actor === undefined ? { timestamp, action_type, status, details, error, seq, hash } : { timestamp, action_type, status, details, error, actor, seq, hash },
  )
}

/** How many events a sink stores: its summary when it has a fast one, else by reading them. */
function countStored(sink: AuditSink): number {
  if (sink.summarize !== undefined) return sink.summarize().total_events
  let count = 0
  for (const _ of sink.read?.() ?? []) count++
  return count
}

/**
 * Creates the core logger. Sinks subscribe to an internal RxJS Subject through {@link attachSink};
 * when one of several sinks fails, the others still receive the event, `logEvent` throws
 * (the one error, or an `io` error whose cause is an AggregateError), and `events$` does not emit it.
 */
export function createEventLogger<Strict extends boolean = false>(options: EventLoggerOptions & { readonly strict?: Strict } = {}): EventLogger<Strict> {
  const sinks = [...(options.sinks ?? [])]
  const clock = options.clock ?? createClock()
  const strict = options.strict ?? false
  const onError = options.onError ?? 'throw'
  const redactor = validateEventLoggerOptions(options)
  const chained = options.integrity === 'sha256-chain'
  const hmacKey = options.hmacKey
  // Where the chain continues from: the first sink that stores events and can say which is newest.
  const chainSink = sinks.find((sink) => sink.head !== undefined)
  let ownHead: ChainHead | undefined
  // The timestamp of the last event this logger persisted.
  let lastPersisted: string | undefined
  const defaultActor = options.actor
  const preparing = sinks.filter((sink) => sink.prepare !== undefined)
  const persist$ = new Subject<AuditEvent>()
  const published$ = new Subject<AuditEvent>()
  let failures: SinkFailure[] = []
  const syncing = sinks.filter((sink) => sink.sync !== undefined)
  let group: { resolve: () => void; reject: (error: unknown) => void }[] | undefined
  // The sink being synced, so that its failure can name it.
  let syncingNow: AuditSink | undefined
  const commitGroup = (): void => {
    const members = group ?? []
    group = undefined
    try {
      for (syncingNow of syncing) syncingNow.sync?.()
    } catch (error) {
      const failure = sinkError(syncingNow?.name ?? 'core', 'sync', error)
      for (const member of members) member.reject(failure)
      return
    }
    for (const member of members) member.resolve()
  }
  // A sink that stores asynchronously in its own order (a database) is driven by a queue instead (see AuditSink.append).
  const appendSink = appendingSinkOf(sinks)
  const appendQueue =
    appendSink === undefined
      ? undefined
      : createAppendQueue({
          sink: appendSink,
          context: hmacKey === undefined ? { clock } : { clock, hmacKey },
          onError,
          onCommitted: (event) => published$.next(event),
        })
  const subscriptions: Subscription[] = sinks.map((sink) => attachSink(persist$, sink, (failure) => failures.push(failure)))
  let closed = false

  const methods: Omit<EventLogger<Strict>, 'closed'> = {
    events$: published$.asObservable(),
    sinks,
    logEvent(actionType, status, details, error, callOptions) {
      if (closed) throw new AuditrailError('closed', 'logEvent after close', { component: 'core' })
      if (appendSink !== undefined) {
        throw new AuditrailError('options', `${appendSink.name} commits over the network: use logEventAsync, which resolves after COMMIT`, { component: 'core', field: 'logEvent' })
      }
      const input = validateEventInput(actionType, status, details, error, strict, callOptions?.actor ?? defaultActor)
      let failure: unknown
      let previous: ChainHead | undefined
      let startCount = 0
      // The sink being asked, so that a failure of a custom one can name it.
      let asked: AuditSink | undefined
      try {
        let chainNewest: string | undefined
        for (let i = 0; i < preparing.length; i++) {
          const sink = preparing[i] as AuditSink
          asked = sink
          const newest = sink.prepare?.()
          // The newest stored event is usually the one this logger wrote last: the clock is past it already.
          if (newest !== undefined && newest !== lastPersisted) clock.observe(newest)
          if (sink === chainSink) chainNewest = newest
        }
        // Unchained, the head is read only to refuse writing into a chained log. When the newest stored timestamp is
        // that of our own last event (timestamps are unique across writers), the newest event is ours: no need to read it.
        const ours = !chained && chainNewest !== undefined && chainNewest === lastPersisted
        asked = chainSink
        const newestStored = ours ? undefined : chainSink?.head?.()
        previous = chainSink === undefined ? ownHead : chainHeadOf(newestStored)
        // The chain starts on a log that already holds events: seq 1 commits to how many (counted once, under the lock).
        startCount = chained && previous === undefined && newestStored !== undefined && chainSink !== undefined ? countStored(chainSink) : 0
        if (!chained && previous !== undefined && chainSink !== undefined) {
          throw new AuditrailError('options', `the log is hash-chained (newest seq ${previous.seq}): open it with integrity: "sha256-chain" so the chain continues`, {
            component: 'core',
            field: 'integrity',
            ...(chainSink.path === undefined ? {} : { file: chainSink.path }),
          })
        }
      } catch (thrown) {
        failure = sinkError(asked?.name ?? 'core', 'prepare the write', thrown)
      }
      const timestamp = clock.now()
      const stored = redactor === undefined ? input.details : redactor(input.details)
      const { action_type: action, status: eventStatus, error: eventError, actor } = input
      let event: AuditEvent
      if (chained) {
        const seq = (previous?.seq ?? 0) + 1
        const previousHash = previous?.hash ?? genesisHash(startCount)
        const sealed = sealEventTexts(timestamp, action, eventStatus, stored, eventError, actor, seq, previousHash, hmacKey)
        event = createEvent(timestamp, action, eventStatus, sealed.details, eventError, actor, seq, sealed.hash)
        if (sealed.line !== undefined) rememberEventJson(event, sealed.line)
      } else {
        event = createEvent(timestamp, action, eventStatus, stored, eventError, actor)
      }
      if (failure === undefined) {
        persist$.next(event)
        if (failures.length > 0) {
          failure = combineFailures(failures)
          failures = []
        }
      }
      if (failure !== undefined) {
        if (onError === 'throw') throw failure
        emitAuditrailWarning('AUDITRAIL_NOT_PERSISTED', failure)
        return event
      }
      lastPersisted = timestamp
      if (chained) ownHead = chainHeadOf(event)
      // Nobody listening is the common case: a Subject's next() costs a closure and a scan even then.
      if (published$.observed) published$.next(event)
      return event
    },
    logEventAsync(actionType, status, details, error, callOptions) {
      if (appendQueue !== undefined) {
        if (closed) return Promise.reject(new AuditrailError('closed', 'logEventAsync after close', { component: 'core' }))
        try {
          const input = validateEventInput(actionType, status, details, error, strict, callOptions?.actor ?? defaultActor)
          return appendQueue.enqueue(redactor === undefined ? input : { ...input, details: redactor(input.details) })
        } catch (thrown) {
          return Promise.reject(thrown)
        }
      }
      let event: AuditEvent
      try {
        event = logger.logEvent(actionType, status, details, error, callOptions)
      } catch (thrown) {
        return Promise.reject(thrown)
      }
      return new Promise<AuditEvent>((resolve, reject) => {
        if (group === undefined) {
          group = []
          setImmediate(commitGroup)
        }
        group.push({ resolve: () => resolve(event), reject })
      })
    },
    close() {
      if (closed) return
      closed = true
      // Promises of logEventAsync still waiting for their turn's sync are settled before the sinks close.
      if (group !== undefined) commitGroup()
      appendQueue?.close()
      for (const subscription of subscriptions) subscription.unsubscribe()
      persist$.complete()
      published$.complete()
      const errors: unknown[] = []
      for (const sink of sinks) {
        try {
          sink.close()
        } catch (error) {
          errors.push(sinkError(sink.name, 'close', error))
        }
      }
      if (errors.length === 1) throw errors[0]
      if (errors.length > 1) throw new AuditrailError('io', 'several sinks failed to close', { component: 'core', cause: new AggregateError(errors) })
    },
  }
  const logger: EventLogger<Strict> = withGetters(methods, { closed: () => closed })
  return logger
}
