import { AuditrailError, isFailureStatus, isKnownActionType, parseMicros, type AuditEvent } from '@auditrail/core'
import {
  checkpointProjection,
  createActionLogProjection,
  createActivityProjection,
  createLastActivityProjection,
  type ActionEntry,
  type ActivityEntry,
} from './activity.js'
import { dataProjection, type DataState } from './data.js'
import { experimentNamesProjection, type ExperimentNames } from './experiments.js'
import { hyperparametersProjection, type HyperparameterState } from './hyperparameters.js'
import { notesProjection, type NoteEntry } from './notes.js'
import type { Fold, Projection, SkippedEvent } from './projection.js'
import { trainingProjection, type TrainingState } from './training.js'

/** Options of {@link replay} and {@link createReplay}. */
export interface ReplayOptions {
  /**
   * The moment to replay to: events stamped later are not folded. An ISO 8601 string (an audit timestamp, or
   * anything `Date.parse` reads) or a `Date`. Default: no cutoff, every event given — the state now.
   */
  readonly at?: string | Date
}

/** An experiment's state at a moment, replayed from its audit log. */
export interface ExperimentState {
  /** Timestamp of the latest event folded, or `null` when none was. */
  readonly asOf: string | null
  /** How many events were folded (those at or before `at`), failed ones included. */
  readonly eventCount: number
  readonly hyperparameters: HyperparameterState
  readonly training: TrainingState
  readonly data: DataState
  /** The last successful `checkpoint_restore`, or `null`. */
  readonly lastCheckpointRestore: ActivityEntry | null
  /** The last successful `checkpoint_save` (WeightsLab's "Save weights"), or `null`. */
  readonly lastCheckpointSave: ActivityEntry | null
  /** Successful `evaluation_start` events, oldest first. */
  readonly evaluations: readonly ActivityEntry[]
  /** Successful `query_execute` events, oldest first. */
  readonly queries: readonly ActivityEntry[]
  /** The notes standing on plot points. */
  readonly notes: readonly NoteEntry[]
  /** Each run's name by experiment hash, from WeightsLab's `experiment_rename`. */
  readonly experimentNames: ExperimentNames
  /** Successful `restart_instance` events, oldest first. */
  readonly restarts: readonly ActivityEntry[]
  /** Successful notebook events (`notebook_run`, `notebook_interrupt`, `notebook_save`, `notebook_generate_code`), oldest first. */
  readonly notebook: readonly ActionEntry[]
  /** Every failed event (status `failed`, or WeightsLab's `error`), oldest first: failures never change state. */
  readonly failures: readonly AuditEvent[]
  /** Every event of an action type outside the known twenty (the spec's twelve and WeightsLab's eight), untouched, oldest first. */
  readonly unknownEvents: readonly AuditEvent[]
  /** Successful events of known types whose details lacked what their projection needs, with the reason. */
  readonly skipped: readonly SkippedEvent[]
}

/** A replay in progress: fold events one at a time, read the state at any point. */
export interface Replay {
  /** Folds one event, in time order; returns `false` when it is stamped after `at` and so ignored. */
  apply(event: AuditEvent): boolean
  /** The state after the events folded so far: a fresh object, unchanged by later `apply` calls. */
  state(): ExperimentState
}

function cutoffMicros(at: string | Date | undefined): number {
  if (at === undefined) return Number.POSITIVE_INFINITY
  const micros = at instanceof Date ? at.getTime() * 1000 : Number.isNaN(parseMicros(at)) ? Date.parse(at) * 1000 : parseMicros(at)
  if (Number.isNaN(micros)) {
    throw new AuditrailError('options', `at: expected an ISO 8601 time or a Date, got ${at instanceof Date ? 'an invalid Date' : JSON.stringify(at)}`, {
      component: 'replay',
      field: 'at',
    })
  }
  return micros
}

/** The projections whose results make up an {@link ExperimentState}, under their key in it. */
const PROJECTIONS = {
  hyperparameters: hyperparametersProjection,
  training: trainingProjection,
  data: dataProjection,
  lastCheckpointRestore: checkpointProjection,
  lastCheckpointSave: createLastActivityProjection('checkpoint_save'),
  evaluations: createActivityProjection('evaluation_start'),
  queries: createActivityProjection('query_execute'),
  notes: notesProjection,
  experimentNames: experimentNamesProjection,
  restarts: createActivityProjection('restart_instance'),
  notebook: createActionLogProjection(['notebook_run', 'notebook_interrupt', 'notebook_save', 'notebook_generate_code']),
} as const

type Projected = { -readonly [K in keyof typeof PROJECTIONS]: (typeof PROJECTIONS)[K] extends Projection<infer S> ? S : never }

/** Starts an incremental replay. Throws an `options` AuditrailError for an unreadable `at`. */
export function createReplay(options: ReplayOptions = {}): Replay {
  const cutoff = cutoffMicros(options.at)
  const folds = Object.entries(PROJECTIONS).map(([key, projection]) => ({ key, fold: (projection as Projection<unknown>).start() }))
  const routes = new Map<string, Fold<unknown>>()
  folds.forEach(({ key, fold }) => {
    for (const action of PROJECTIONS[key as keyof typeof PROJECTIONS].actions) routes.set(action, fold)
  })
  let asOf: { timestamp: string; micros: number } | null = null
  let eventCount = 0
  const failures: AuditEvent[] = []
  const unknownEvents: AuditEvent[] = []
  const skipped: SkippedEvent[] = []

  return {
    apply(event) {
      const micros = parseMicros(event.timestamp)
      if (micros > cutoff) return false
      eventCount++
      if (asOf === null || micros > asOf.micros) asOf = { timestamp: event.timestamp, micros }
      if (!isKnownActionType(event.action_type)) unknownEvents.push(event)
      if (isFailureStatus(event.status)) failures.push(event)
      else {
        const reason = routes.get(event.action_type)?.apply(event)
        if (reason !== undefined) skipped.push({ event, reason })
      }
      return true
    },
    state() {
      const projected = Object.fromEntries(folds.map(({ key, fold }) => [key, fold.result()])) as Projected
      return {
        asOf: asOf?.timestamp ?? null,
        eventCount,
        ...projected,
        failures: [...failures],
        unknownEvents: [...unknownEvents],
        skipped: [...skipped],
      }
    },
  }
}

/**
 * Replays `events` (in time order: a log read oldest first) and returns the experiment's state at `at`.
 * Pure: no I/O, the events untouched; streams, so any iterable of any length will do.
 *
 * @example
 * replay(logger.readEvents({ order: 'oldest-first' }), { at: '2026-05-27T14:30:00Z' }).hyperparameters.learning_rate?.value
 */
export function replay(events: Iterable<AuditEvent>, options: ReplayOptions = {}): ExperimentState {
  const run = createReplay(options)
  for (const event of events) run.apply(event)
  return run.state()
}
