import * as fs from 'node:fs'
import * as path from 'node:path'
import {
  accessDeniedError,
  AuditrailError,
  isAccessDenied,
  DIRECTORY_MODE,
  createEventLogger,
  validateEventLoggerOptions,
  resolveFormat,
  summarizeEvents,
  type AuditEvent,
  type AuditLogFormat,
  type AuditSink,
  type AuditStatus,
  type Clock,
  type EventLogger,
  type FileIo,
  type HmacKey,
  type IntegrityMode,
  type LockTenureOptions,
  type LogDetails,
  type LogDetailsArgument,
  type LogEventOptions,
  type LogSummary,
  type ReadOptions,
  type RedactOption,
  type SummarizeOptions,
} from '@auditrail/core'
import { createCsvSink, CSV_LOG_FILE } from '@auditrail/sink-csv'
import { createJsonSink, JSON_LOG_FILE, type RegrowthOptions } from '@auditrail/sink-json'
import { createNoneSink } from '@auditrail/sink-none'
import type { Observable } from 'rxjs'

/** Options of {@link AuditLogger}. */
export interface AuditLoggerOptions {
  /** Output format; wins over `AUDIT_LOG_FORMAT`. Default: the environment variable, else `json`. */
  readonly format?: AuditLogFormat
  /** The spec's contract exactly: refuse details of the twenty known actions that do not match their codec, and status `"error"`. Default `false`. */
  readonly strict?: boolean
  /** `'process'` (default) or `'fsync'` (survives power loss, one disk flush per event). */
  readonly durability?: 'process' | 'fsync'
  /** More sinks, written after the format's sink, e.g. a custom MLflow sink. */
  readonly sinks?: readonly AuditSink[]
  /** Timestamp source. Default: a microsecond clock that never goes back. */
  readonly clock?: Clock
  /** Cross-process lock of the file sinks: stale time, wait timeout, and how long to keep it between writes. */
  readonly lock?: LockTenureOptions
  /**
   * JSON format: where the file's gap is regrown as it fills. Default: a worker thread, for logs over 1 MiB, so no
   * event waits for the copy of a large log; `{ mode: 'sync' }` keeps everything on the caller's thread.
   */
  readonly regrowth?: RegrowthOptions
  /** `'throw'` (default): a persistence failure throws from `logEvent`; `'warn'`: it becomes a process warning. */
  readonly onError?: 'throw' | 'warn'
  /** Mode of the files the file sinks create, less the umask. Default `0o600` (owner only); world-writable is refused. */
  readonly fileMode?: number
  /** File-system calls of the file sinks, for fault injection. Default `node:fs`. */
  readonly io?: FileIo
  /** Who acts, for every event that does not name its own (`logEvent`'s last argument). Default: no `actor` field. */
  readonly actor?: string
  /**
   * `'sha256-chain'`: tamper evidence. Every event gets `seq` and `hash` (SHA-256 over the event and the previous hash),
   * continued across restarts and writers; `verifyLog` finds and locates any edit, deletion, insertion or reordering.
   * Default: off, and files keep exactly the spec's fields. Once a log is chained, writers without it are refused.
   */
  readonly integrity?: IntegrityMode
  /** With `integrity`: HMAC-SHA-256 with this key, so that without the key nobody can forge a consistent chain. */
  readonly hmacKey?: HmacKey
  /**
   * Detail keys whose values never reach the file or `events$`: plain names (`['token', 'password', 'api_key']`, at any
   * depth) or paths (`'auth.token'`), replaced by `[REDACTED]`, or by `hmac-sha256:<hex>` with
   * `{ keys, replaceWith: { hmacKey } }` so that equal secrets stay comparable. Default: nothing redacted.
   */
  readonly redact?: RedactOption
  /** Environment read for `AUDIT_LOG_FORMAT`. Default `process.env`. */
  readonly env?: NodeJS.ProcessEnv
}

function checkDirectory(rootLogDir: string): void {
  const fail = (message: string, cause?: unknown): never => {
    throw new AuditrailError('io', message, { component: 'auditrail', file: rootLogDir, cause })
  }
  try {
    // Owner only, like the files in it; an existing directory keeps its mode.
    fs.mkdirSync(rootLogDir, { recursive: true, mode: DIRECTORY_MODE })
  } catch (error) {
    if (isAccessDenied(error)) throw accessDeniedError('auditrail', 'create rootLogDir', rootLogDir, error)
    fail(`cannot create rootLogDir: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, error)
  }
  if (!fs.statSync(rootLogDir).isDirectory()) fail('rootLogDir exists but is not a directory')
  try {
    fs.accessSync(rootLogDir, fs.constants.W_OK | fs.constants.X_OK)
  } catch (error) {
    // Another user's 0700 directory is the usual cause: the message names its owner.
    if (isAccessDenied(error)) throw accessDeniedError('auditrail', 'write in rootLogDir', rootLogDir, error)
    fail(`rootLogDir is not writable: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, error)
  }
}

/**
 * The spec's AuditLogger: one immutable, typed event per action, persisted before `logEvent` returns,
 * to `<rootLogDir>/audit_log.json` (newest first) or `audit_log.csv`, or nowhere with format `none`.
 *
 * @example
 * const logger = new AuditLogger('root_experiment')
 * logger.logEvent('hp_change', 'success', { changed_params: { learning_rate: 0.001 } })
 * logger.getLogSummary() // { total_events: 1, by_action_type: { hp_change: 1 }, by_status: { success: 1 } }
 * logger.close()
 */
export class AuditLogger<Strict extends boolean = false> {
  /** The directory holding the log (created, with parents, by the constructor). */
  readonly rootLogDir: string
  /** A label for this experiment; not written into events (the spec's format has no field for it). */
  readonly experimentName: string
  /** The format after resolution: option > `AUDIT_LOG_FORMAT` > `json`. */
  readonly format: AuditLogFormat
  /** `<rootLogDir>/audit_log.json`, whether or not that is the format in use. */
  readonly jsonPath: string
  /** `<rootLogDir>/audit_log.csv`, whether or not that is the format in use. */
  readonly csvPath: string
  readonly #core: EventLogger
  readonly #store: AuditSink

  /**
   * Resolves the format, creates `rootLogDir` if missing and checks an existing log file.
   * Throws an AuditrailError: `io` if `rootLogDir` cannot be created or written, `corrupt` if an existing
   * log is not one we can continue (it is left untouched), `options` for an invalid option.
   */
  constructor(rootLogDir = 'root_experiment', experimentName = 'default', options: AuditLoggerOptions & { readonly strict?: Strict } = {}) {
    if (typeof rootLogDir !== 'string' || rootLogDir.length === 0) {
      throw new AuditrailError('options', 'rootLogDir: expected a non-empty string', { component: 'auditrail', field: 'rootLogDir' })
    }
    // Options first: a bad one must fail before the directory is made.
    validateEventLoggerOptions(options)
    this.rootLogDir = rootLogDir
    this.experimentName = experimentName
    this.format = resolveFormat(options.format, options.env ?? process.env)
    this.jsonPath = path.join(rootLogDir, JSON_LOG_FILE)
    this.csvPath = path.join(rootLogDir, CSV_LOG_FILE)
    const fileOptions = {
      rootLogDir,
      ...(options.durability === undefined ? {} : { durability: options.durability }),
      ...(options.lock === undefined ? {} : { lock: options.lock }),
      ...(options.io === undefined ? {} : { io: options.io }),
      ...(options.fileMode === undefined ? {} : { fileMode: options.fileMode }),
    }
    // The sink validates its options and any existing file before the directory is made: a bad option creates nothing.
    this.#store =
      this.format === 'json' ? createJsonSink(options.regrowth === undefined ? fileOptions : { ...fileOptions, regrowth: options.regrowth }) : this.format === 'csv' ? createCsvSink(fileOptions) : createNoneSink()
    if (this.format !== 'none') {
      try {
        checkDirectory(rootLogDir)
      } catch (error) {
        this.#store.close()
        throw error
      }
    }
    this.#core = createEventLogger({
      sinks: [this.#store, ...(options.sinks ?? [])],
      ...(options.clock === undefined ? {} : { clock: options.clock }),
      ...(options.strict === undefined ? {} : { strict: options.strict }),
      ...(options.onError === undefined ? {} : { onError: options.onError }),
      ...(options.actor === undefined ? {} : { actor: options.actor }),
      ...(options.integrity === undefined ? {} : { integrity: options.integrity }),
      ...(options.hmacKey === undefined ? {} : { hmacKey: options.hmacKey }),
      ...(options.redact === undefined ? {} : { redact: options.redact }),
    })
  }

  /** The path of the log file in use, or `undefined` for format `none`. */
  get logPath(): string | undefined {
    return this.format === 'json' ? this.jsonPath : this.format === 'csv' ? this.csvPath : undefined
  }

  /** True once `close()` was called (then `logEvent` throws a `closed` error). */
  get closed(): boolean {
    return this.#core.closed
  }

  /** Every event after it was persisted, in order; completes on `close()`. */
  get events$(): Observable<AuditEvent> {
    return this.#core.events$
  }

  /**
   * Records one action and returns the persisted event. Synchronous: when it returns, the event is in the file.
   * Known action types get their details typed (`hp_change` → `changed_params`, …); any other non-empty
   * action type takes any JSON object. Throws an AuditrailError: `invalid` (naming the field; nothing written),
   * `io`/`locked`/`corrupt` when the event could not be persisted, `closed` after `close()`.
   */
  logEvent<A extends string, D extends object = object>(
    actionType: A,
    status: AuditStatus,
    details?: LogDetailsArgument<A, D, Strict> | null,
    error?: string | Error | null,
    options?: LogEventOptions,
  ): AuditEvent {
    // The core logger is typed loose: `Strict` only narrows what callers of this one may pass.
    return this.#core.logEvent(actionType, status, details as (D & LogDetails<A>) | null | undefined, error, options)
  }

  /**
   * Like `logEvent`, but the promise resolves once the event survives power loss: all events logged in one
   * event-loop turn share one fdatasync (group commit), so many concurrent producers cost few disk flushes.
   */
  logEventAsync<A extends string, D extends object = object>(
    actionType: A,
    status: AuditStatus,
    details?: LogDetailsArgument<A, D, Strict> | null,
    error?: string | Error | null,
    options?: LogEventOptions,
  ): Promise<AuditEvent> {
    return this.#core.logEventAsync(actionType, status, details as (D & LogDetails<A>) | null | undefined, error, options)
  }

  /**
   * Reads the stored events back, streaming (newest first by default for JSON, oldest first for CSV). The first record
   * that does not decode throws, unless `skipInvalid` (a warning for each, or a function called with each).
   */
  readEvents(options?: ReadOptions): Iterable<AuditEvent> {
    return this.#store.read?.(options) ?? []
  }

  /**
   * The spec's summary: totals by action type and status, read from the file (so other writers count too).
   * `skipInvalid` counts past records that do not decode (reported as warnings, or to the function given).
   */
  getLogSummary(options: SummarizeOptions = {}): LogSummary {
    return this.#store.summarize?.(options) ?? summarizeEvents(this.readEvents(options))
  }

  /** Reads the stored events back as an async iterable, yielding to the event loop between batches. */
  async *readEventsAsync(options?: ReadOptions): AsyncGenerator<AuditEvent> {
    let count = 0
    for (const event of this.readEvents(options)) {
      yield event
      // Let timers and I/O run during a long read; a million events would otherwise hold the loop for seconds.
      if (++count % 4096 === 0) await new Promise((resolve) => setImmediate(resolve))
    }
  }

  /**
   * Lets go of the cross-process lock the file sink keeps through a burst of writes (it would anyway after a
   * few idle milliseconds) and leaves the file tidy. Every returned `logEvent` was already persisted.
   */
  flush(): void {
    for (const sink of this.#core.sinks) sink.flush?.()
  }

  /** Releases the file and lock. Idempotent; `logEvent` afterwards throws a `closed` error. */
  close(): void {
    this.#core.close()
  }
}
