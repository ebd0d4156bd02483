import { stringField, type SampleId } from './details-reader.js'
import type { Projection } from './projection.js'

/** A note on a plot point, as last written. */
export interface NoteEntry {
  /** `plot_name`, or WeightsLab's `metric_name` (e.g. `train/loss`). */
  readonly plotName: string | null
  /** `point_id`, or WeightsLab's `model_age` (the training step of the point). */
  readonly pointId: SampleId | null
  readonly note: string
  /** Timestamp of the write that set this text. */
  readonly writtenAt: string
}

/**
 * Folds `note_write` into the notes standing on each plot point (`plot_name`, `point_id`; WeightsLab's `metric_name`,
 * `model_age`): the text is `note`, else `note_text`, else `after`; `cleared: true`, `note_action: "cleared"` or an
 * empty text removes the note. Listed in order of last write.
 */
export const notesProjection: Projection<readonly NoteEntry[]> = {
  actions: ['note_write'],
  start() {
    const notes = new Map<string, NoteEntry>()
    return {
      apply(event) {
        const plotName = stringField(event.details, 'plot_name') ?? stringField(event.details, 'metric_name') ?? null
        const point = event.details['point_id'] ?? event.details['model_age']
        const pointId = typeof point === 'string' || typeof point === 'number' ? point : null
        // JSON keeps the point id's type in the key: point 7 and point "7" are different points.
        const key = JSON.stringify([plotName, pointId])
        const text = stringField(event.details, 'note') ?? stringField(event.details, 'note_text') ?? stringField(event.details, 'after')
        if (event.details['cleared'] === true || event.details['note_action'] === 'cleared' || text === '') {
          notes.delete(key)
          return undefined
        }
        if (text === undefined) return 'note_write without note, note_text, after or cleared'
        notes.delete(key)
        notes.set(key, { plotName, pointId, note: text, writtenAt: event.timestamp })
        return undefined
      },
      result: () => [...notes.values()],
    }
  },
}
