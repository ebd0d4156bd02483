import type { AppendContext, PendingEvent } from './append-queue.js'
import type { AuditEvent } from './codecs.js'
import { AuditrailError, emitAuditrailWarning } from './errors.js'
import type { LogSummary } from './summary.js'

/** Which end of the log to start reading from. */
export type ReadOrder = 'newest-first' | 'oldest-first'

/** A stored record a reader read past (`skipInvalid`): the file, where in it, and the `decode`/`corrupt` error it gave. */
export interface SkippedRecord {
  readonly file: string | undefined
  /** As the sink names positions: `event 3`, `byte 1234`, `record 5`. */
  readonly position: string
  readonly error: AuditrailError
}

/**
 * Read past records that are not valid events instead of stopping at the first: `true` reports each as a process
 * warning (`AuditrailWarning`, code `AUDITRAIL_RECORD_SKIPPED`); a function is called with each instead.
 */
export type SkipInvalid = true | ((skipped: SkippedRecord) => void)

/** Options of {@link AuditSink.summarize}. */
export interface SummarizeOptions {
  /** Default: the first invalid record throws its `decode` or `corrupt` error. */
  readonly skipInvalid?: SkipInvalid
}

/** Options of {@link AuditSink.read}. */
export interface ReadOptions extends SummarizeOptions {
  /** Default: the sink's natural order (`newest-first` for JSON, `oldest-first` for CSV). */
  readonly order?: ReadOrder
}

/**
 * For sinks' readers: runs `decode`, and when `skipInvalid` is set and it throws a `decode` or `corrupt` error, reports
 * the record as skipped and returns `undefined`. Other failures (I/O, a closed sink) always throw: they are not the record's.
 */
export function decodeOrSkip<T>(skipInvalid: SkipInvalid | undefined, file: string | undefined, position: string, decode: () => T): T | undefined {
  if (skipInvalid === undefined) return decode()
  try {
    return decode()
  } catch (error) {
    if (!(error instanceof AuditrailError) || (error.code !== 'decode' && error.code !== 'corrupt')) throw error
    if (skipInvalid === true) emitAuditrailWarning('AUDITRAIL_RECORD_SKIPPED', error)
    else skipInvalid({ file, position, error })
    return undefined
  }
}

/**
 * Where events are persisted. Core calls a sink's members serially, never concurrently, and never
 * routes a sink's failure through RxJS: whatever `write` throws reaches the caller of `logEvent`.
 */
export interface AuditSink {
  /** Short name used in error messages, e.g. `sink-json`. */
  readonly name: string
  /** The file this sink writes, when it writes one. */
  readonly path?: string
  /**
   * Persists one event. Returns only once the event is persisted as far as the sink's durability
   * promises (for file sinks: in the file, surviving a crash of this process); throws otherwise,
   * preferably an `AuditrailError`, leaving what was stored before intact.
   */
  write(event: AuditEvent): void
  /**
   * Optional: readies the next `write` (a file sink takes its cross-process lock and re-reads its file) and
   * returns the newest timestamp already stored, if any, so that core stamps the next event after it: the
   * file then holds one order in which timestamps strictly increase across all writers. Core calls it right
   * before stamping each event; a throw here fails the event before anything is written.
   */
  prepare?(): string | undefined
  /**
   * Optional: the newest stored event, as read under the lock `prepare` took (or as this sink last wrote it). With
   * `integrity: 'sha256-chain'` core continues the hash chain from it, so that writers sharing one file keep one
   * chain; without integrity, core refuses to append unchained events after a chained one.
   */
  head?(): AuditEvent | undefined
  /**
   * Optional: releases what the sink keeps between writes (a file sink's cross-process lock, which it holds
   * through a burst of writes) and leaves its file tidy. Events are persisted before this, by `write`.
   */
  flush?(): void
  /**
   * Optional: makes every write so far survive power loss (fdatasync, and a directory fsync after a rename).
   * Core's `logEventAsync` calls it once for all the events of one event-loop turn (group commit).
   */
  sync?(): void
  /** Optional: the summary of the stored events, by a path faster than decoding each (same result as `summarizeEvents(read())`). */
  summarize?(options?: SummarizeOptions): LogSummary
  /** Optional capability: the stored events, streamed (an abandoned iteration releases its file). */
  read?(options?: ReadOptions): Iterable<AuditEvent>
  /**
   * Optional, for a store reached asynchronously that keeps its own total order (a database shared by many hosts).
   * Stores `events` in one transaction, all or none: under the store's own lock it stamps each one after the newest
   * stored timestamp (`context.clock.observe`, then `now()`), numbers it after the stored head and chains it with
   * `sealEvent`, exactly as core chains a file. Resolves with the stored events, in the same order, once committed
   * (durably, as far as the store promises); rejects, preferably with an `AuditrailError`, having stored none.
   * Core calls it only from `logEventAsync`, one call at a time, with the events of one event-loop turn (group
   * commit); a sink with `append` is its logger's only sink, and `logEvent` refuses it (`options` error). Such a
   * sink's `write` throws too, as nothing synchronous can wait for a network commit.
   */
  append?(events: readonly PendingEvent[], context: AppendContext): Promise<readonly AuditEvent[]>
  /**
   * Optional, with `append`: the error for an event this store can never hold (PostgreSQL: U+0000 in a string), or
   * undefined. Asked before the event joins a group, so that it alone is refused rather than its whole transaction.
   */
  refuse?(event: PendingEvent): AuditrailError | undefined
  /** Releases files, locks and timers. Idempotent; `write` after `close` throws a `closed` error. */
  close(): void
}
