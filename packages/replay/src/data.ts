import type { AuditEvent } from '@auditrail/core'
import { originAt, sampleIdsField, sampleKey, stringField, type SampleId } from './details-reader.js'
import type { Projection } from './projection.js'

/** One sample in a tag or in the discarded set. */
export interface SampleEntry {
  readonly id: SampleId
  /** Its origin (`train`, `val`, …) from the event's `origins`, when given. */
  readonly origin?: string
  /** When it entered the set (the first event that put it there since it last left). */
  readonly since: string
  /** For discarded samples: the discard's `reason`, when given. */
  readonly reason?: string
}

/** The data operations' outcome: each tag's samples and the discarded samples, in order of entry. */
export interface DataState {
  /** Tags with at least one sample. */
  readonly tags: Readonly<Record<string, readonly SampleEntry[]>>
  /** Tags declared by `tag_register` (WeightsLab registers a tag before any sample has it), in order of registration. */
  readonly registered: readonly string[]
  readonly discarded: readonly SampleEntry[]
}

type SampleSet = Map<string, SampleEntry>

function addAll(set: SampleSet, event: AuditEvent, ids: readonly SampleId[]): void {
  const reason = event.action_type === 'sample_discard' ? stringField(event.details, 'reason') : undefined
  ids.forEach((id, index) => {
    const key = sampleKey(id)
    if (set.has(key)) return
    const origin = originAt(event.details, index)
    set.set(key, { id, ...(origin === undefined ? {} : { origin }), since: event.timestamp, ...(reason === undefined ? {} : { reason }) })
  })
}

function removeAll(set: SampleSet, ids: readonly SampleId[]): void {
  for (const id of ids) set.delete(sampleKey(id))
}

/**
 * Folds `tag_add`, `tag_remove`, `sample_discard` and `sample_restore` into tag sets and the discarded set, and
 * `tag_register` into the registered tags (its `sample_ids`, when it has them, join the tag as with `tag_add`).
 */
export const dataProjection: Projection<DataState> = {
  actions: ['tag_add', 'tag_remove', 'sample_discard', 'sample_restore', 'tag_register'],
  start() {
    const tags = new Map<string, SampleSet>()
    const discarded: SampleSet = new Map()
    const registered = new Set<string>()
    return {
      apply(event) {
        if (event.action_type === 'tag_register') {
          const tag = stringField(event.details, 'tag_name')
          if (tag === undefined) return 'tag_register without tag_name'
          registered.add(tag)
          if (event.details['sample_ids'] === undefined) return undefined
        }
        const ids = sampleIdsField(event.details)
        if (ids === undefined) return `${event.action_type} without sample_ids`
        if (event.action_type === 'sample_discard') addAll(discarded, event, ids)
        else if (event.action_type === 'sample_restore') removeAll(discarded, ids)
        else {
          const tag = stringField(event.details, 'tag_name')
          if (tag === undefined) return `${event.action_type} without tag_name`
          const set = tags.get(tag) ?? new Map<string, SampleEntry>()
          if (event.action_type !== 'tag_remove') {
            addAll(set, event, ids)
            tags.set(tag, set)
          } else {
            removeAll(set, ids)
            if (set.size === 0) tags.delete(tag)
          }
        }
        return undefined
      },
      result: () => ({
        tags: Object.fromEntries([...tags].map(([tag, set]) => [tag, [...set.values()]])),
        discarded: [...discarded.values()],
        registered: [...registered],
      }),
    }
  },
}
