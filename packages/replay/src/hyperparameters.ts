import type { AuditEvent, JsonObject, JsonValue } from '@auditrail/core'
import { objectField } from './details-reader.js'
import type { Projection } from './projection.js'

/** One hyperparameter as replay knows it. */
export interface HyperparameterValue {
  /** The current value. */
  readonly value: JsonValue
  /** The value before the last change: `before[name]` where the event gives it, else the value replay knew; absent when neither. */
  readonly previous?: JsonValue
  /** Timestamp of the last change. */
  readonly changedAt: string
  /** The `hp_change` event of the last change. */
  readonly event: AuditEvent
}

/** Every hyperparameter ever changed, by name, in order of first change. */
export type HyperparameterState = Readonly<Record<string, HyperparameterValue>>

function sameJson(a: JsonValue | undefined, b: JsonValue): boolean {
  return a !== undefined && JSON.stringify(a) === JSON.stringify(b)
}

/**
 * The parameters an `hp_change` sets: those of `changed_params`, valued as `after` states them where it does;
 * and those of `after` whose value is new to replay (callers often log every hyperparameter in `after`,
 * changed or not). With none of `changed_params`, `after` and `before`, the top-level details are the
 * parameters, as in the spec's API example (`details={"learning_rate": 0.001, "batch_size": 32}`).
 */
function changesOf(details: JsonObject, known: ReadonlyMap<string, HyperparameterValue>): Map<string, JsonValue> | string {
  const changed = objectField(details, 'changed_params')
  const after = objectField(details, 'after')
  if (changed === undefined && after === undefined) {
    if (details['changed_params'] !== undefined || details['after'] !== undefined) return 'hp_change whose changed_params or after is not an object'
    if (details['before'] !== undefined) return 'hp_change with before but neither changed_params nor after'
    if (Object.keys(details).length === 0) return 'hp_change without changed parameters'
    return new Map(Object.entries(details))
  }
  const changes = new Map<string, JsonValue>(Object.entries(changed ?? {}))
  for (const [name, value] of Object.entries(after ?? {})) {
    if (changes.has(name) || !sameJson(known.get(name)?.value, value)) changes.set(name, value)
  }
  return changes
}

/** Folds `hp_change` into the current value of each hyperparameter, with the time and event of its last change. */
export const hyperparametersProjection: Projection<HyperparameterState> = {
  actions: ['hp_change'],
  start() {
    const params = new Map<string, HyperparameterValue>()
    return {
      apply(event) {
        const changes = changesOf(event.details, params)
        if (typeof changes === 'string') return changes
        const before = objectField(event.details, 'before')
        for (const [name, value] of changes) {
          const previous = before !== undefined && Object.hasOwn(before, name) ? before[name] : params.get(name)?.value
          params.set(name, { value, ...(previous === undefined ? {} : { previous }), changedAt: event.timestamp, event })
        }
        return undefined
      },
      result: () => Object.fromEntries(params),
    }
  },
}
