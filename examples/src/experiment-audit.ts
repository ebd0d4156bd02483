import { defineRpcAudit, READ_ONLY, type RpcAuditMapping } from '@auditrail/grpc'
import type {
  CommandName,
  DataQueryRequest,
  EditDataSampleRequest,
  EditDataSampleResponse,
  EditType,
  ExperimentCommandRequest,
  RestoreCheckpointRequest,
  RestoreCheckpointResponse,
  TriggerEvaluationRequest,
} from './experiment-messages.js'
import type { Trainer } from './trainer.js'

const ACTION_OF_COMMAND: Record<CommandName, string> = {
  hyperparameter_change: 'hp_change',
  pause: 'pause',
  resume: 'resume',
  mode_switch: 'mode_switch',
  plot_note: 'note_write',
}

const ACTION_OF_EDIT: Partial<Record<EditType, string>> = {
  TAG_ADD: 'tag_add',
  TAG_REMOVE: 'tag_remove',
  SAMPLE_DISCARD: 'sample_discard',
  SAMPLE_RESTORE: 'sample_restore',
}

/** What an empty or unknown command is logged as: still a user action, and it fails. */
const UNKNOWN_COMMAND = 'experiment_command'
const UNKNOWN_EDIT = 'data_sample_edit'

/** The slice of the trainer each command changes, read before and after the handler. */
function commandState(trainer: Trainer, request: ExperimentCommandRequest, action: string): unknown {
  switch (action) {
    case 'hp_change': {
      // Only the parameters the call names: before/after show exactly what changed, as the spec asks.
      const current = trainer.hyperparameters()
      const names = Object.keys(request.hyperparameter_change?.changes ?? {}).filter((name) => name in current)
      return Object.fromEntries(names.map((name) => [name, current[name]]))
    }
    case 'pause':
    case 'resume':
      return { paused: trainer.training().paused }
    case 'mode_switch':
      return { mode: trainer.training().mode }
    case 'note_write':
      return trainer.note(request.plot_note?.plot_name ?? '', request.plot_note?.point_id ?? 0)
    default:
      return undefined
  }
}

const experimentCommand = (trainer: Trainer) =>
  defineRpcAudit<ExperimentCommandRequest>({
    action: (request) => (request.command === undefined ? UNKNOWN_COMMAND : ACTION_OF_COMMAND[request.command]),
    capture: (request, action) => commandState(trainer, request, action),
    details: ({ request, actionType, before, after }) => {
      switch (actionType) {
        case 'hp_change':
          return { changed_params: { ...request.hyperparameter_change?.changes } }
        case 'pause':
        case 'resume': {
          const reason = (actionType === 'pause' ? request.pause : request.resume)?.reason
          const wasPaused = (before as { paused: boolean }).paused
          return { step: trainer.training().step, previous_state: wasPaused ? 'paused' : 'running', ...(reason ? { reason } : {}) }
        }
        case 'mode_switch':
          return { mode: request.mode_switch?.mode ?? '', previous_mode: (before as { mode: string }).mode }
        case 'note_write': {
          const note = request.plot_note
          return { plot_name: note?.plot_name ?? '', point_id: note?.point_id ?? 0, note: note?.note ?? '', cleared: note?.note === '', before, after }
        }
        default:
          return { command: request.command ?? null }
      }
    },
  })

const editDataSample = (trainer: Trainer) =>
  defineRpcAudit<EditDataSampleRequest, EditDataSampleResponse>({
    action: (request) => ACTION_OF_EDIT[request.type] ?? UNKNOWN_EDIT,
    capture: (request) => trainer.sampleStates(request.sample_ids),
    details: ({ request, actionType, response }) => ({
      ...(actionType === 'tag_add' || actionType === 'tag_remove' ? { tag_name: request.tag_name ?? '' } : {}),
      samples_affected: response?.samples_affected ?? 0,
      sample_ids: [...request.sample_ids],
      origins: trainer.origins(request.sample_ids),
      ...(request.reason ? { reason: request.reason } : {}),
    }),
  })

const applyDataQuery = (trainer: Trainer) =>
  defineRpcAudit<DataQueryRequest, { sample_ids: string[] }>({
    action: 'query_execute',
    capture: () => ({ active_query: trainer.activeQuery() }),
    details: ({ request, response }) => ({
      query_type: request.query_type,
      query_text: request.query_text,
      ...(response === undefined ? {} : { result_count: response.sample_ids.length }),
    }),
  })

const restoreCheckpoint = (trainer: Trainer) =>
  defineRpcAudit<RestoreCheckpointRequest, RestoreCheckpointResponse>({
    action: 'checkpoint_restore',
    capture: () => ({ step: trainer.training().step, hyperparameters: trainer.hyperparameters() }),
    details: ({ request, response }) => ({ checkpoint_id: request.checkpoint_id, ...(response === undefined ? {} : { step: response.step }) }),
  })

const triggerEvaluation = (trainer: Trainer) =>
  defineRpcAudit<TriggerEvaluationRequest>({
    action: 'evaluation_start',
    capture: (request) => trainer.lastEvaluation(request.split_name),
    details: ({ request }) => ({ split_name: request.split_name, step: trainer.training().step }),
  })

/**
 * How each RPC of the ExperimentService is audited: the declarative mapping `createAuditedService` reads.
 * Together the five audited RPCs produce all twelve of the spec's action types.
 */
export function experimentAuditMapping(trainer: Trainer): RpcAuditMapping {
  return {
    ExperimentCommand: experimentCommand(trainer),
    EditDataSample: editDataSample(trainer),
    ApplyDataQuery: applyDataQuery(trainer),
    RestoreCheckpoint: restoreCheckpoint(trainer),
    TriggerEvaluation: triggerEvaluation(trainer),
    GetExperimentState: READ_ONLY,
    GetSamples: READ_ONLY,
  }
}
