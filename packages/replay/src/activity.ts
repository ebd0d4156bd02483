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

/** The last successful `checkpoint_restore`, or `null`: the checkpoint the model was last rolled back to. */
export const checkpointProjection: Projection<ActivityEntry | null> = {
  actions: ['checkpoint_restore'],
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
