import type { AuditEvent, JsonObject, JsonValue } from '@auditrail/core'

/** One problem the verification found, as the page shows it. */
export interface ReportFinding {
  readonly severity: 'error' | 'warning'
  readonly line: number
  readonly message: string
  readonly seq?: number
}

/**
 * The verification result the report shows at the top: the shape of the CLI's `verifyLog()` result (structurally),
 * so a caller passes that object as it is.
 */
export interface ReportIntegrity {
  readonly ok: boolean
  readonly events: number
  readonly errors: number
  readonly warnings: number
  readonly findings: readonly ReportFinding[]
  readonly chain?: {
    readonly head?: { readonly seq: number; readonly hash: string }
    readonly chained: number
    readonly unchainedBefore: number
    readonly firstBadSeq?: number
  }
}

/** An event embedded in the page: its ordinal (0 = oldest in the log), its time in microseconds, the event. */
export interface EmbeddedEvent {
  readonly n: number
  readonly us: number
  readonly event: AuditEvent
}

/** One change of one hyperparameter, as replay's hyperparameters projection records it. */
export interface HyperparameterPoint {
  readonly us: number
  readonly timestamp: string
  readonly value: JsonValue
  readonly previous?: JsonValue
  readonly actor?: string
  readonly seq?: number
}

/** Training's state after each `pause`, `resume` or `mode_switch`, as replay's training projection gives it. */
export interface TrainingPoint {
  readonly us: number
  readonly status: 'running' | 'paused' | 'unknown'
  readonly statusChangedAt: string | null
  readonly mode: string | null
  readonly modeChangedAt: string | null
  readonly step: number | null
  readonly epoch: number | null
}

/** A successful `checkpoint_restore`, replay's `lastCheckpointRestore` from then on. */
export interface CheckpointPoint {
  readonly us: number
  readonly timestamp: string
  readonly details: JsonObject
}

/** A series kept up to a cap: the newest points, and how many older ones were left out. */
export interface CappedSeries<T> {
  readonly points: readonly T[]
  readonly omitted: number
}

/** Events per time bin, action type and status, over the whole log. */
export interface TimeBins {
  /** Bin width in microseconds. */
  readonly width: number
  /** Index of the first bin (bin k covers [k × width, (k + 1) × width) µs since the epoch). */
  readonly first: number
  readonly count: number
  /** Most bins the chart holds: live updates widen the bins (doubling) rather than grow past it. */
  readonly maxBins: number
  /** Action types, indexed by the cells. */
  readonly actions: readonly string[]
  /** Flat quadruples: bin offset from `first`, action index, successes, failures. */
  readonly cells: readonly number[]
}

/** Everything the page shows, embedded in it as JSON. */
export interface ReportData {
  readonly version: 1
  readonly title: string
  /** The log as the user named it, for the `auditrail` commands the page prints. */
  readonly log: string
  readonly format: string
  readonly generatedAt: string
  /** True when served by `auditrail serve`: the page listens for appended events. */
  readonly live: boolean
  readonly integrity: ReportIntegrity
  readonly summary: {
    readonly total: number
    readonly byAction: Readonly<Record<string, number>>
    readonly byStatus: Readonly<Record<string, number>>
    readonly failedByAction: Readonly<Record<string, number>>
    readonly span: { readonly start: string; readonly end: string; readonly startUs: number; readonly endUs: number } | null
  }
  /** Events per actor over the whole log (the first `maxActors` actors). */
  readonly actors: Readonly<Record<string, number>>
  readonly bins: TimeBins
  /** Embedded events, oldest first. */
  readonly events: readonly EmbeddedEvent[]
  /** How many events of the log are not embedded; `important` of them state-changing or failed. */
  readonly omitted: { readonly events: number; readonly important: number }
  readonly hyperparameters: Readonly<Record<string, CappedSeries<HyperparameterPoint>>>
  readonly training: CappedSeries<TrainingPoint>
  readonly checkpoints: CappedSeries<CheckpointPoint>
}
