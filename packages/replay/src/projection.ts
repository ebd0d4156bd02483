import type { AuditEvent } from '@auditrail/core'

/** Why a successful event of a known action type left the state as it was. */
export interface SkippedEvent {
  readonly event: AuditEvent
  /** E.g. `tag_add without tag_name`. */
  readonly reason: string
}

/** One fold in progress: it owns its accumulator, so folding is O(1) per event whatever the state's size. */
export interface Fold<S> {
  /**
   * Folds one successful event, in time order, into the state. Returns a reason when the event is of an
   * action this projection handles but its details lack what the projection needs; `undefined` otherwise.
   * Never mutates the event.
   */
  apply(event: AuditEvent): string | undefined
  /** The state so far, as a fresh plain-JSON object: later `apply` calls do not change it. */
  result(): S
}

/**
 * A typed projection: a fold over events in time order into one part of an experiment's state. The result
 * depends only on the events folded, in order; the accumulator is private to one fold and mutated in place,
 * because copying a large tag set on every `tag_add` would make replay quadratic.
 */
export interface Projection<S> {
  /** The action types this projection reads; others never reach it. */
  readonly actions: readonly string[]
  /** Starts a fold from the empty state. */
  start(): Fold<S>
}
