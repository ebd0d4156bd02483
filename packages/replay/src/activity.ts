import type { JsonObject } from '@auditrail/core'
import type { Projection } from './projection.js'

/** One successful action kept as it was logged. */
export interface ActivityEntry {
  readonly timestamp: string
  /** The event's details, untouched. */
  readonly details: JsonObject
}

/** Every successful event of `action`, oldest first: the evaluations started, the queries run. */
export function createActivityProjection(action: string): Projection<readonly ActivityEntry[]> {
  return {
    actions: [action],
    start() {
      const entries: ActivityEntry[] = []
      return {
        apply(event) {
          entries.push({ timestamp: event.timestamp, details: event.details })
          return undefined
        },
        result: () => [...entries],
      }
    },
  }
}

/** One successful action of several kinds kept as it was logged, with its action type. */
export interface ActionEntry extends ActivityEntry {
  readonly action_type: string
}

/** Every successful event of any of `actions`, oldest first, with its action type: e.g. the notebook's runs and saves. */
export function createActionLogProjection(actions: readonly string[]): Projection<readonly ActionEntry[]> {
  return {
    actions,
    start() {
      const entries: ActionEntry[] = []
      return {
        apply(event) {
          entries.push({ action_type: event.action_type, timestamp: event.timestamp, details: event.details })
          return undefined
        },
        result: () => [...entries],
      }
    },
  }
}

/** The last successful event of `action`, or `null`. */
export function createLastActivityProjection(action: string): Projection<ActivityEntry | null> {
  return {
    actions: [action],
    start() {
      let last: ActivityEntry | null = null
      return {
        apply(event) {
          last = { timestamp: event.timestamp, details: event.details }
          return undefined
        },
        result: () => last,
      }
    },
  }
}

/** The last successful `checkpoint_restore`, or `null`: the checkpoint the model was last rolled back to. */
export const checkpointProjection: Projection<ActivityEntry | null> = createLastActivityProjection('checkpoint_restore')
