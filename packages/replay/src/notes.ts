import { stringField, type SampleId } from './details-reader.js'
import type { Projection } from './projection.js'

/** A note on a plot point, as last written. */
export interface NoteEntry {
  readonly plotName: string | null
  readonly pointId: SampleId | null
  readonly note: string
  /** Timestamp of the write that set this text. */
  readonly writtenAt: string
}

/**
 * Folds `note_write` into the notes standing on each plot point (`plot_name`, `point_id`): the text is
 * `note`, else `after`; `cleared: true` or an empty text removes the note. Listed in order of last write.
 */
export const notesProjection: Projection<readonly NoteEntry[]> = {
  actions: ['note_write'],
  start() {
    const notes = new Map<string, NoteEntry>()
    return {
      apply(event) {
        const plotName = stringField(event.details, 'plot_name') ?? null
        const point = event.details['point_id']
        const pointId = typeof point === 'string' || typeof point === 'number' ? point : null
        // JSON keeps the point id's type in the key: point 7 and point "7" are different points.
        const key = JSON.stringify([plotName, pointId])
        const text = stringField(event.details, 'note') ?? stringField(event.details, 'after')
        if (event.details['cleared'] === true || text === '') {
          notes.delete(key)
          return undefined
        }
        if (text === undefined) return 'note_write without note, after or cleared'
        notes.delete(key)
        notes.set(key, { plotName, pointId, note: text, writtenAt: event.timestamp })
        return undefined
      },
      result: () => [...notes.values()],
    }
  },
}
