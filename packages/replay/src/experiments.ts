import { stringField } from './details-reader.js'
import type { Projection } from './projection.js'

/** A run's name as last set. */
export interface ExperimentName {
  readonly name: string
  /** Timestamp of the rename that set it. */
  readonly renamedAt: string
}

/** Each run's name by its experiment hash, in order of last rename. */
export type ExperimentNames = Readonly<Record<string, ExperimentName>>

/** Folds WeightsLab's `experiment_rename` (`experiment_hash`, `new_name`) into each run's current name. */
export const experimentNamesProjection: Projection<ExperimentNames> = {
  actions: ['experiment_rename'],
  start() {
    const names = new Map<string, ExperimentName>()
    return {
      apply(event) {
        const hash = stringField(event.details, 'experiment_hash')
        const name = stringField(event.details, 'new_name')
        if (hash === undefined || name === undefined) return 'experiment_rename without experiment_hash or new_name'
        names.delete(hash)
        names.set(hash, { name, renamedAt: event.timestamp })
        return undefined
      },
      result: () => Object.fromEntries(names),
    }
  },
}
