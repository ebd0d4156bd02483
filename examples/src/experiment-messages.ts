/**
 * TypeScript shapes of proto/experiment_service.proto's messages as @grpc/proto-loader delivers them
 * (keepCase, defaults, oneofs, longs as numbers, enums as names). Written by hand: no code generation.
 */

/** One of the oneof `command` members of {@link ExperimentCommandRequest}. */
export type CommandName = 'hyperparameter_change' | 'pause' | 'resume' | 'mode_switch' | 'plot_note'

/** ExperimentCommand's request: exactly one command set; `command` names it (proto-loader's `oneofs`). */
export interface ExperimentCommandRequest {
  readonly command?: CommandName
  readonly hyperparameter_change?: { readonly changes: Readonly<Record<string, number>> } | null
  readonly pause?: { readonly reason?: string } | null
  readonly resume?: { readonly reason?: string } | null
  readonly mode_switch?: { readonly mode: string } | null
  readonly plot_note?: { readonly plot_name: string; readonly point_id: number; readonly note: string } | null
}

/** ExperimentCommand's response. */
export interface ExperimentCommandResponse {
  readonly message: string
  readonly state: ExperimentState | null
}

/** The edit of an EditDataSample call. */
export type EditType = 'EDIT_TYPE_UNSPECIFIED' | 'TAG_ADD' | 'TAG_REMOVE' | 'SAMPLE_DISCARD' | 'SAMPLE_RESTORE'

/** EditDataSample's request. */
export interface EditDataSampleRequest {
  readonly type: EditType
  readonly sample_ids: readonly string[]
  readonly tag_name?: string
  readonly reason?: string
}

/** EditDataSample's response. */
export interface EditDataSampleResponse {
  readonly samples_affected: number
}

/** ApplyDataQuery's request. */
export interface DataQueryRequest {
  readonly query_type: string
  readonly query_text: string
}

/** ApplyDataQuery's response. */
export interface DataQueryResponse {
  readonly sample_ids: string[]
}

/** RestoreCheckpoint's request. */
export interface RestoreCheckpointRequest {
  readonly checkpoint_id: string
}

/** RestoreCheckpoint's response. */
export interface RestoreCheckpointResponse {
  readonly step: number
}

/** TriggerEvaluation's request. */
export interface TriggerEvaluationRequest {
  readonly split_name: string
}

/** One message of TriggerEvaluation's stream. */
export interface EvaluationProgress {
  readonly batch: number
  readonly total_batches: number
  readonly loss: number
  readonly accuracy: number
}

/** One sample, as GetSamples returns it. */
export interface SampleMessage {
  readonly sample_id: string
  readonly origin: string
  readonly loss: number
  readonly tags: string[]
  readonly discarded: boolean
}

/** The read-only view of the experiment (GetExperimentState). */
export interface ExperimentState {
  readonly hyperparameters: Record<string, number>
  readonly paused: boolean
  readonly mode: string
  readonly step: number
  readonly active_query: string
  readonly sample_count: number
  readonly discarded_count: number
  readonly tag_counts: Record<string, number>
  readonly checkpoints: Array<{ checkpoint_id: string; step: number }>
  readonly notes: Array<{ plot_name: string; point_id: number; note: string }>
  readonly evaluations: Array<{ split_name: string; step: number; loss: number; accuracy: number }>
}
