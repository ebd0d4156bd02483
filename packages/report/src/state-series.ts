import type { AuditEvent } from '@auditrail/core'
import { checkpointProjection, hyperparametersProjection, trainingProjection } from '@auditrail/replay'
import { createCappedList } from './capped-list.js'
import type { CappedSeries, CheckpointPoint, HyperparameterPoint, TrainingPoint } from './report-data.js'

/** The state series the page draws and replays a moment from. */
export interface StateSeries {
  readonly hyperparameters: Record<string, CappedSeries<HyperparameterPoint>>
  readonly training: CappedSeries<TrainingPoint>
  readonly checkpoints: CappedSeries<CheckpointPoint>
}

/**
 * Folds successful events (oldest first) through replay's own projections and records their result after each change,
 * so that the last point at or before a moment is exactly what `replay(…, { at })` gives for that part of the state.
 */
export function createStateSeries(maxPoints: number): { add(event: AuditEvent, us: number): void; result(): StateSeries } {
  const hp = hyperparametersProjection.start()
  const training = trainingProjection.start()
  const checkpoint = checkpointProjection.start()
  const hpActions = new Set(hyperparametersProjection.actions)
  const trainingActions = new Set(trainingProjection.actions)
  const checkpointActions = new Set(checkpointProjection.actions)
  const hpSeries = new Map<string, ReturnType<typeof createCappedList<HyperparameterPoint>>>()
  const trainingSeries = createCappedList<TrainingPoint>(maxPoints)
  const checkpointSeries = createCappedList<CheckpointPoint>(maxPoints)
  return {
    add(event, us) {
      if (event.status !== 'success') return
      if (hpActions.has(event.action_type)) {
        if (hp.apply(event) !== undefined) return
        for (const [name, value] of Object.entries(hp.result())) {
          if (value.event !== event) continue
          let series = hpSeries.get(name)
          if (series === undefined) hpSeries.set(name, (series = createCappedList(maxPoints)))
          series.push({
            us,
            timestamp: event.timestamp,
            value: value.value,
            ...(value.previous === undefined ? {} : { previous: value.previous }),
            ...(event.actor === undefined ? {} : { actor: event.actor }),
            ...(event.seq === undefined ? {} : { seq: event.seq }),
          })
        }
      } else if (trainingActions.has(event.action_type)) {
        if (training.apply(event) === undefined) trainingSeries.push({ us, ...training.result() })
      } else if (checkpointActions.has(event.action_type)) {
        checkpoint.apply(event)
        checkpointSeries.push({ us, timestamp: event.timestamp, details: event.details })
      }
    },
    result() {
      const capped = <T>(list: ReturnType<typeof createCappedList<T>>): CappedSeries<T> => ({ points: list.toArray(), omitted: list.dropped })
      return {
        hyperparameters: Object.fromEntries([...hpSeries].map(([name, list]) => [name, capped(list)])),
        training: capped(trainingSeries),
        checkpoints: capped(checkpointSeries),
      }
    },
  }
}
