import type { AuditEvent } from 'auditrail'
import { replay } from '@auditrail/replay'

/**
 * The demo's "state from the log alone": @auditrail/replay folds the events, oldest first, into the
 * experiment's state, with no access to the trainer. Returns the lines the demo prints.
 */
export function describeReplayedState(events: Iterable<AuditEvent>): string[] {
  const state = replay(events)
  const hyperparameters = Object.fromEntries(Object.entries(state.hyperparameters).map(([name, entry]) => [name, entry.value]))
  const tags = Object.fromEntries(Object.entries(state.data.tags).map(([tag, samples]) => [tag, samples.length]))
  return [
    `  hyperparameters changed: ${JSON.stringify(hyperparameters)}`,
    `  training:        ${state.training.status}, mode ${state.training.mode ?? 'unknown'}, step ${state.training.step ?? 'unknown'}`,
    `  data:            ${state.data.discarded.length} discarded, tags ${JSON.stringify(tags)}`,
    `  from ${state.eventCount} events (${state.failures.length} failed, which change nothing), as of ${state.asOf ?? 'never'}`,
  ]
}
