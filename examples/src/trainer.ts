import { compileQuery } from './data-query.js'
import { TrainerError } from './trainer-error.js'

/**
 * An in-memory stand-in for a training process: hyperparameters, run state, samples with tags,
 * checkpoints, notes and evaluations. Deterministic (no timers, no randomness) so tests can predict it.
 * It knows nothing of gRPC or auditing: its errors carry a `kind` the service maps to a gRPC status.
 */

/** The modes the spec's `mode_switch` moves between. */
export const TRAINING_MODES = ['train', 'audit', 'evaluation'] as const
/** One of {@link TRAINING_MODES}. */
export type TrainingMode = (typeof TRAINING_MODES)[number]
/** Dataset splits a sample comes from and an evaluation runs on. */
export const SPLITS = ['train', 'val', 'test'] as const

/** One sample of the dataset. */
export interface SampleRecord {
  readonly sample_id: string
  readonly origin: string
  readonly loss: number
  tags: string[]
  discarded: boolean
}

/** A restorable checkpoint. */
export interface CheckpointRecord {
  readonly checkpoint_id: string
  readonly step: number
  readonly hyperparameters: Readonly<Record<string, number>>
}

/** One finished evaluation. */
export interface EvaluationRecord {
  readonly split_name: string
  readonly step: number
  readonly loss: number
  readonly accuracy: number
}

/** A note on a point of a plot. */
export interface NoteRecord {
  readonly plot_name: string
  readonly point_id: number
  readonly note: string
}

/** A copy of everything the trainer holds, as the read-only RPC reports it. */
export interface TrainerSnapshot {
  readonly hyperparameters: Record<string, number>
  readonly paused: boolean
  readonly mode: TrainingMode
  readonly step: number
  readonly active_query: string
  readonly sample_count: number
  readonly discarded_count: number
  readonly tag_counts: Record<string, number>
  readonly checkpoints: Array<{ checkpoint_id: string; step: number }>
  readonly notes: NoteRecord[]
  readonly evaluations: EvaluationRecord[]
}

/** Options of {@link createTrainer}. */
export interface TrainerOptions {
  /** Number of samples, ids `s0`…; 70% train, 20% val, 10% test. Default 100. */
  readonly samples?: number
}

/** The simulated trainer; every method is synchronous, so an RPC's handler changes it atomically. */
export type Trainer = ReturnType<typeof createTrainer>

const INITIAL_HYPERPARAMETERS = { learning_rate: 0.01, batch_size: 64, weight_decay: 0.0005, momentum: 0.9 }

function checkHyperparameter(name: string, value: number): void {
  if (!(name in INITIAL_HYPERPARAMETERS)) throw new TrainerError('invalid_argument', `Unknown hyperparameter: ${name}`)
  if (!Number.isFinite(value) || value < 0) throw new TrainerError('invalid_argument', `${name} must be a finite, non-negative number, got ${value}`)
  if (name === 'batch_size' && (!Number.isInteger(value) || value < 1)) throw new TrainerError('invalid_argument', `batch_size must be a positive integer, got ${value}`)
}

/** Creates a trainer at step 1200 with checkpoints `ckpt_010` (step 1000) and `ckpt_011` (step 1100). */
export function createTrainer(options: TrainerOptions = {}) {
  const count = options.samples ?? 100
  const hyperparameters: Record<string, number> = { ...INITIAL_HYPERPARAMETERS }
  let paused = false
  let mode: TrainingMode = 'train'
  let step = 1200
  let activeQuery = ''
  const samples = new Map<string, SampleRecord>()
  for (let i = 0; i < count; i += 1) {
    const origin = i % 10 < 7 ? 'train' : i % 10 < 9 ? 'val' : 'test'
    // A spread of losses with a few outliers (every 17th sample), reproducible without a random source.
    const loss = Math.round((((i * 37) % 100) / 40 + (i % 17 === 0 ? 3 : 0)) * 1000) / 1000
    samples.set(`s${i}`, { sample_id: `s${i}`, origin, loss, tags: [], discarded: false })
  }
  const checkpoints: CheckpointRecord[] = [
    { checkpoint_id: 'ckpt_010', step: 1000, hyperparameters: { ...INITIAL_HYPERPARAMETERS, learning_rate: 0.02 } },
    { checkpoint_id: 'ckpt_011', step: 1100, hyperparameters: { ...INITIAL_HYPERPARAMETERS } },
  ]
  const notes = new Map<string, NoteRecord>()
  const evaluations: EvaluationRecord[] = []

  const sampleOf = (id: string): SampleRecord => {
    const sample = samples.get(id)
    if (sample === undefined) throw new TrainerError('not_found', `Sample not found: ${id}`)
    return sample
  }
  /** Checks every id first, so an edit naming an unknown sample changes nothing; a repeated id counts once. */
  const samplesOf = (ids: readonly string[]): SampleRecord[] => {
    if (ids.length === 0) throw new TrainerError('invalid_argument', 'sample_ids must not be empty')
    return [...new Set(ids)].map(sampleOf)
  }

  return {
    hyperparameters: (): Record<string, number> => ({ ...hyperparameters }),
    training: () => ({ paused, mode, step }),
    activeQuery: (): string => activeQuery,

    changeHyperparameters(changes: Readonly<Record<string, number>>): void {
      const entries = Object.entries(changes)
      if (entries.length === 0) throw new TrainerError('invalid_argument', 'No hyperparameter to change')
      for (const [name, value] of entries) checkHyperparameter(name, value)
      Object.assign(hyperparameters, changes)
    },
    pause(): void {
      if (paused) throw new TrainerError('failed_precondition', 'Training is already paused')
      paused = true
    },
    resume(): void {
      if (!paused) throw new TrainerError('failed_precondition', 'Training is not paused')
      paused = false
    },
    switchMode(next: string): void {
      if (!(TRAINING_MODES as readonly string[]).includes(next)) throw new TrainerError('invalid_argument', `Unknown mode: ${JSON.stringify(next)}`)
      mode = next as TrainingMode
    },

    /** The tags and discard flags of the given samples (unknown ids skipped), as JSON. */
    sampleStates(ids: readonly string[]): Record<string, { tags: string[]; discarded: boolean }> {
      const states: Record<string, { tags: string[]; discarded: boolean }> = {}
      for (const id of ids) {
        const sample = samples.get(id)
        if (sample !== undefined) states[id] = { tags: [...sample.tags], discarded: sample.discarded }
      }
      return states
    },
    origins: (ids: readonly string[]): string[] => ids.map((id) => samples.get(id)?.origin ?? 'unknown'),
    samples: (ids: readonly string[] = []): SampleRecord[] =>
      (ids.length === 0 ? [...samples.values()] : ids.map(sampleOf)).map((s) => ({ ...s, tags: [...s.tags] })),

    /** Adds a tag; returns how many samples did not have it yet. */
    addTag(tag: string, ids: readonly string[]): number {
      if (tag.trim() === '') throw new TrainerError('invalid_argument', 'tag_name must not be empty')
      const fresh = samplesOf(ids).filter((s) => !s.tags.includes(tag))
      for (const sample of fresh) sample.tags.push(tag)
      return fresh.length
    },
    /** Removes a tag; returns how many samples had it. */
    removeTag(tag: string, ids: readonly string[]): number {
      const tagged = samplesOf(ids).filter((s) => s.tags.includes(tag))
      for (const sample of tagged) sample.tags = sample.tags.filter((t) => t !== tag)
      return tagged.length
    },
    /** Sets the discard flag; returns how many samples changed. */
    setDiscarded(ids: readonly string[], discarded: boolean): number {
      const changing = samplesOf(ids).filter((s) => s.discarded !== discarded)
      for (const sample of changing) sample.discarded = discarded
      return changing.length
    },

    /** Makes `query` the active data view (`field op value`); returns the matching sample ids. */
    applyQuery(query: string): string[] {
      const matches = compileQuery(query)
      activeQuery = query
      return [...samples.values()].filter(matches).map((s) => s.sample_id)
    },

    restoreCheckpoint(id: string): number {
      const checkpoint = checkpoints.find((c) => c.checkpoint_id === id)
      if (checkpoint === undefined) throw new TrainerError('not_found', `Checkpoint file not found: ${id}`)
      step = checkpoint.step
      Object.assign(hyperparameters, checkpoint.hyperparameters)
      return step
    },

    lastEvaluation: (split: string): EvaluationRecord | null => evaluations.findLast((e) => e.split_name === split) ?? null,
    /** The metrics an evaluation of `split` reaches after each of its batches; records the final one. */
    evaluate(split: string): Array<{ loss: number; accuracy: number }> {
      if (!(SPLITS as readonly string[]).includes(split)) throw new TrainerError('invalid_argument', `Unknown split: ${JSON.stringify(split)}`)
      const kept = [...samples.values()].filter((s) => s.origin === split && !s.discarded)
      if (kept.length === 0) throw new TrainerError('failed_precondition', `No samples left in split ${split}`)
      const meanLoss = kept.reduce((sum, s) => sum + s.loss, 0) / kept.length
      const batches = [1, 2, 3].map((b) => {
        const loss = Math.round((meanLoss * (1 + (3 - b) * 0.05)) * 1000) / 1000
        return { loss, accuracy: Math.round(1000 / (1 + loss)) / 1000 }
      })
      const last = batches[batches.length - 1] as { loss: number; accuracy: number }
      evaluations.push({ split_name: split, step, ...last })
      return batches
    },

    note: (plot: string, point: number): string => notes.get(`${plot}#${point}`)?.note ?? '',
    /** Writes a note; an empty note clears it. */
    writeNote(plot: string, point: number, note: string): void {
      if (plot.trim() === '') throw new TrainerError('invalid_argument', 'plot_name must not be empty')
      if (note === '') notes.delete(`${plot}#${point}`)
      else notes.set(`${plot}#${point}`, { plot_name: plot, point_id: point, note })
    },

    snapshot(): TrainerSnapshot {
      const tagCounts: Record<string, number> = {}
      let discarded = 0
      for (const sample of samples.values()) {
        if (sample.discarded) discarded += 1
        for (const tag of sample.tags) tagCounts[tag] = (tagCounts[tag] ?? 0) + 1
      }
      return {
        hyperparameters: { ...hyperparameters },
        paused,
        mode,
        step,
        active_query: activeQuery,
        sample_count: samples.size,
        discarded_count: discarded,
        tag_counts: tagCounts,
        checkpoints: checkpoints.map(({ checkpoint_id, step: s }) => ({ checkpoint_id, step: s })),
        notes: [...notes.values()],
        evaluations: [...evaluations],
      }
    },
  }
}
