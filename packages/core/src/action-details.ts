import type * as t from 'io-ts'
import { dataDetailsCodecs } from './data-details.js'
import { notebookDetailsCodecs } from './notebook-details.js'
import { trainingDetailsCodecs } from './training-details.js'

const { hp_change, pause, resume, mode_switch, checkpoint_restore, evaluation_start, note_write } = trainingDetailsCodecs
const { tag_add, tag_remove, sample_discard, sample_restore, query_execute } = dataDetailsCodecs

/**
 * The known `details` fields of each known action: the spec's twelve (in the spec's order), then the eight more
 * WeightsLab logs. Every field is optional; at run time extra fields are allowed unless the logger is `strict`,
 * because real callers log more (e.g. `{ param: "lr" }`). docs/WEIGHTSLAB-EVENTS.md lists who logs what.
 */
export const actionDetailsCodecs = {
  hp_change,
  pause,
  resume,
  mode_switch,
  tag_add,
  tag_remove,
  sample_discard,
  sample_restore,
  query_execute,
  checkpoint_restore,
  evaluation_start,
  note_write,
  checkpoint_save: trainingDetailsCodecs.checkpoint_save,
  restart_instance: trainingDetailsCodecs.restart_instance,
  experiment_rename: trainingDetailsCodecs.experiment_rename,
  tag_register: dataDetailsCodecs.tag_register,
  ...notebookDetailsCodecs,
} as const

/** The known action types: the spec's twelve and WeightsLab's eight more. */
export type KnownActionType = keyof typeof actionDetailsCodecs

/** Every known action type: the spec's twelve in its order, then `checkpoint_save`, `restart_instance`, … */
export const KNOWN_ACTION_TYPES = Object.keys(actionDetailsCodecs) as readonly KnownActionType[]

/** The spec's twelve action types, in the spec's order. */
export const SPEC_ACTION_TYPES: readonly KnownActionType[] = KNOWN_ACTION_TYPES.slice(0, 12)

/** The known details of action `A`, derived from its codec. */
export type ActionDetails<A extends KnownActionType> = t.TypeOf<(typeof actionDetailsCodecs)[A]>

/** Details as callers pass them: any plain object whose values JSON carries (Dates become ISO strings). */
export type DetailsInput = { readonly [key: string]: unknown }

/**
 * The type `logEvent` checks details against for action `A` (it takes `D & LogDetails<A>`, `D` being the argument's own
 * type): a known action's fields must have their types, extra keys are allowed (as at run time unless `strict`), and
 * any object type will do, `interface` types included: no index signature is asked for. To have unknown keys of an
 * object literal refused at compile time too, write `{ … } satisfies ActionDetails<'hp_change'>`.
 */
export type LogDetails<A extends string> = A extends KnownActionType ? ActionDetails<A> : object

/**
 * The type of `logEvent`'s `details` on a logger created with `strict: Strict` (`D`: the argument's own type). Without
 * `strict` (or with a `boolean` not known at compile time): `D & LogDetails<A>`, extra keys allowed. With `strict: true`:
 * `LogDetails<A>` alone, so an unknown key of a literal is a compile error, as at run time — `changed_param` on
 * `hp_change` gets "Did you mean to write 'changed_params'?".
 */
export type LogDetailsArgument<A extends string, D, Strict extends boolean> = Strict extends true ? StrictDetails<A> : D & LogDetails<A>

/** `LogDetails<A>`, but a known action without fields (`restart_instance`) takes `{}` only: TypeScript checks no excess keys against `{}`. */
type StrictDetails<A extends string> = A extends KnownActionType ? ([keyof ActionDetails<A>] extends [never] ? { readonly [key: string]: never } : ActionDetails<A>) : object

/** True when `action` is one of the known action types. */
export function isKnownActionType(action: string): action is KnownActionType {
  return Object.prototype.hasOwnProperty.call(actionDetailsCodecs, action)
}
