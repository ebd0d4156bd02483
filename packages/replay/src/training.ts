import { numberField, stringField } from './details-reader.js'
import type { Projection } from './projection.js'

/** Whether training runs, from `pause` and `resume`; `unknown` before either. */
export type TrainingStatus = 'running' | 'paused' | 'unknown'

/** Training control as replay knows it. */
export interface TrainingState {
  readonly status: TrainingStatus
  /** Timestamp of the last `pause` or `resume`, or `null`. */
  readonly statusChangedAt: string | null
  /** The mode (`train`, `audit`, `evaluation`, …) of the last `mode_switch` (its `mode`, or WeightsLab's `to_mode`), or `null` before any. */
  readonly mode: string | null
  /** Timestamp of the last `mode_switch`, or `null`. */
  readonly modeChangedAt: string | null
  /** `step` of the last `pause` or `resume` that gave one, else `null`. */
  readonly step: number | null
  /** `epoch` of the last `pause` or `resume` that gave one, else `null`. */
  readonly epoch: number | null
}

/** Folds `pause`, `resume` and `mode_switch` into training's status and mode. */
export const trainingProjection: Projection<TrainingState> = {
  actions: ['pause', 'resume', 'mode_switch'],
  start() {
    let state: TrainingState = { status: 'unknown', statusChangedAt: null, mode: null, modeChangedAt: null, step: null, epoch: null }
    return {
      apply(event) {
        if (event.action_type === 'mode_switch') {
          // The spec's shape says `mode`; WeightsLab's says `to_mode` (beside `from_mode` and `auditor_mode`/`evaluation_mode`).
          const mode = stringField(event.details, 'mode') ?? stringField(event.details, 'to_mode')
          if (mode === undefined) return 'mode_switch without mode or to_mode'
          state = { ...state, mode, modeChangedAt: event.timestamp }
          return undefined
        }
        const step = numberField(event.details, 'step')
        const epoch = numberField(event.details, 'epoch')
        state = {
          ...state,
          status: event.action_type === 'pause' ? 'paused' : 'running',
          statusChangedAt: event.timestamp,
          step: step ?? state.step,
          epoch: epoch ?? state.epoch,
        }
        return undefined
      },
      result: () => ({ ...state }),
    }
  },
}
