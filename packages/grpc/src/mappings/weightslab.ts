// The audit mapping of WeightsLab's ExperimentService (GrayboxTech/weightslab at 1f0b464d): the action types and
// detail keys its own Python handlers log, taken from the request and the response as docs/WEIGHTSLAB-RPCS.md
// describes each RPC, so that a log written through the proxy reads like one WeightsLab wrote, and every event is
// valid for a `strict: true` logger (docs/WEIGHTSLAB-EVENTS.md, last section). Where the proxy logs more than
// WeightsLab does (failures, RPCs it never logs), packages/grpc/README.md says so. Written to
// packages/grpc/mappings/weightslab.json as well (test/proxy-weightslab.test.ts keeps the two equal).
import type { DetailSource, ProxyCondition, ProxyMapping, ProxyRule, ProxyStatusRule } from '../proxy-mapping.js'

const SERVICE = 'ExperimentService'
const rpc = (method: string): string => `${SERVICE}/${method}`

const ok: ProxyStatusRule = { successField: 'success', errorField: 'message' }
const notebookOk: ProxyStatusRule = { successField: 'ok', errorField: 'error' }
const readOnly = { log: false } as const

const exists = (path: string): ProxyCondition => ({ exists: path })
const missing = (path: string): ProxyCondition => ({ not: { exists: path } })
const is = (field: string, equals: string | boolean): ProxyCondition => ({ field, equals })
const request = (path: string, more: Omit<Extract<DetailSource, { request: string }>, 'request'> = {}): DetailSource => ({ request: path, ...more })
const response = (path: string, more: Omit<Extract<DetailSource, { response: string }>, 'response'> = {}): DetailSource => ({ response: path, ...more })
const constant = (value: string | boolean): DetailSource => ({ const: value })

// ExperimentCommand takes the first branch that applies: restart, save checkpoint, plot note, hyperparameters.
const RESTART = 'restart_operation'
const SAVE = 'save_checkpoint_operation'
const NOTE = 'plot_note_operation'
const HP = 'hyper_parameter_change.hyper_parameters'
const hpBranch = (...more: ProxyCondition[]): ProxyCondition => ({ all: [missing(RESTART), missing(SAVE), missing(NOTE), exists('hyper_parameter_change'), ...more] })

/** The six hyperparameters WeightsLab applies and logs in `changed_params`, in its order (`checkpont_frequency` is its spelling). */
const CHANGED_PARAMS = ['training_steps_to_do', 'batch_size', 'val_batch_size', 'test_batch_size', 'full_eval_frequency', 'checkpont_frequency']

/** What `get_hyper_parameters` answers, as `{ name: numerical_value }` under the request's field names. */
const hyperParameters = {
  rpc: rpc('ExperimentCommand'),
  request: { get_hyper_parameters: true },
  path: 'hyper_parameters_descs',
  entries: { key: 'name', value: 'numerical_value' },
  // WeightsLab's descriptors name three parameters differently from HyperParameters (experiment_context.py).
  rename: { training_left: 'training_steps_to_do', eval_frequency: 'full_eval_frequency', checkpoint_frequency: 'checkpont_frequency' },
} as const

const modeOf = { map: { '1': 'audit', '0': 'train' } } as const

const experimentCommand: readonly ProxyRule[] = [
  { when: exists(RESTART), action: 'restart_instance', status: ok },
  {
    when: { all: [missing(RESTART), exists(SAVE)] },
    action: 'checkpoint_save',
    status: ok,
    details: {
      save_optimizer: request(`${SAVE}.save_optimizer`),
      save_architecture: request(`${SAVE}.save_architecture`),
      // "Saved weights[, optimizer][, architecture] (training paused)."; `path` is not in the answer.
      architecture_saved: response('message', { test: '\\barchitecture\\b', onlyWhen: 'success' }),
    },
  },
  {
    when: { all: [missing(RESTART), missing(SAVE), exists(NOTE)] },
    action: 'note_write',
    status: ok,
    details: {
      metric_name: request(`${NOTE}.metric_name`),
      model_age: request(`${NOTE}.model_age`),
      note_text: request(`${NOTE}.note`),
      note_action: request(`${NOTE}.note`, { test: '\\S', map: { true: 'saved', false: 'cleared' } }),
    },
  },
  {
    when: hpBranch({ any: CHANGED_PARAMS.map((name) => exists(`${HP}.${name}`)) }),
    action: 'hp_change',
    status: ok,
    details: { changed_params: request(HP, { pick: CHANGED_PARAMS }) },
    // WeightsLab does not record old values; the proxy reads them before and after: `before`/`after` of the changed keys.
    capture: { ...hyperParameters, keysOf: 'changed_params' },
  },
  {
    when: hpBranch(is(`${HP}.evaluation_mode`, true)),
    action: 'mode_switch',
    status: ok,
    details: { from_mode: constant('train'), to_mode: constant('evaluation'), evaluation_mode: constant(true) },
  },
  {
    when: hpBranch(is(`${HP}.evaluation_mode`, false)),
    action: 'mode_switch',
    status: ok,
    details: { from_mode: constant('train'), to_mode: constant('train'), evaluation_mode: constant(false) },
  },
  {
    when: hpBranch(is(`${HP}.auditor_mode`, true)),
    action: 'mode_switch',
    status: ok,
    details: { from_mode: { before: 'auditor_mode', ...modeOf }, to_mode: constant('audit'), auditor_mode: constant(true) },
    // WeightsLab logs an auditor-mode switch only when the mode changes: the stored mode is read first.
    capture: { ...hyperParameters, record: false },
    skipIfEqual: ['from_mode', 'to_mode'],
  },
  {
    when: hpBranch(is(`${HP}.auditor_mode`, false)),
    action: 'mode_switch',
    status: ok,
    details: { from_mode: { before: 'auditor_mode', ...modeOf }, to_mode: constant('train'), auditor_mode: constant(false) },
    capture: { ...hyperParameters, record: false },
    skipIfEqual: ['from_mode', 'to_mode'],
  },
  { when: hpBranch(is(`${HP}.is_training`, true)), action: 'resume', status: ok, details: { trainer_state: constant('running') } },
  { when: hpBranch(is(`${HP}.is_training`, false)), action: 'pause', status: ok, details: { trainer_state: constant('paused') } },
  // Not logged by WeightsLab, though it loads weights: the proxy records it with checkpoint_restore's key.
  { when: hpBranch(exists('load_checkpoint_operation')), action: 'checkpoint_restore', status: ok, details: { checkpoint_id: request('load_checkpoint_operation.checkpoint_id', { as: 'string' }) } },
]

const samples = {
  samples_affected: request('samples_ids', { count: true }),
  sample_ids: request('samples_ids'),
  origins: request('sample_origins'),
}
const tagEdit = (categorical: boolean, add: boolean): ProxyCondition => ({
  all: [
    { field: 'stat_name', matches: '^tag' },
    categorical ? is('is_categorical', true) : { not: is('is_categorical', true) },
    add ? (categorical ? { all: [{ not: is('type', 'EDIT_REMOVE') }, { present: 'string_value' }] } : is('type', 'EDIT_ACCUMULATE')) : categorical ? { any: [is('type', 'EDIT_REMOVE'), { not: { present: 'string_value' } }] } : { not: is('type', 'EDIT_ACCUMULATE') },
  ],
})

const editDataSample: readonly ProxyRule[] = [
  // The tag's name as WeightsLab stores it: stripped, without a `tag:` prefix.
  { when: is('stat_name', '__register_tag__'), action: 'tag_register', status: ok, details: { tag_name: request('string_value', { extract: '^\\s*(?:tag:)?([\\s\\S]*?)\\s*$' }) } },
  // Discards samples though WeightsLab does not log it: the proxy's own action type.
  { when: is('stat_name', '__discard_by_tag__'), action: 'discard_by_tag', status: ok, details: { tag_name: request('string_value') } },
  { when: tagEdit(false, true), action: 'tag_add', status: ok, details: { tag_name: request('string_value'), ...samples } },
  { when: tagEdit(false, false), action: 'tag_remove', status: ok, details: { tag_name: request('string_value'), ...samples } },
  // WeightsLab logs a categorical tag edit as sample_discard/sample_restore, which would replay as discarded samples;
  // the proxy logs it as the tag edit it is, the tag's column as tag_name.
  { when: tagEdit(true, true), action: 'tag_add', status: ok, details: { tag_name: request('stat_name', { extract: '^tag:?([\\s\\S]*)$' }), ...samples } },
  { when: tagEdit(true, false), action: 'tag_remove', status: ok, details: { tag_name: request('stat_name', { extract: '^tag:?([\\s\\S]*)$' }), ...samples } },
  { when: { all: [is('stat_name', 'discarded'), is('bool_value', true)] }, action: 'sample_discard', status: ok, details: samples },
  { when: { all: [is('stat_name', 'discarded'), { not: is('bool_value', true) }] }, action: 'sample_restore', status: ok, details: samples },
]

const onSuccess = { onlyWhen: 'success' } as const

/** The WeightsLab mapping: every RPC of its ExperimentService (ours and the real proto's), read-only ones not logged. */
export const weightslabMapping: ProxyMapping = {
  description: "WeightsLab's ExperimentService (GrayboxTech/weightslab 1f0b464d): the action types and detail keys its Python handlers log",
  // The real proto has RPCs our wire-compatible one lacks (agent, weights, annotations): one mapping serves both.
  ignoreMissing: true,
  rpcs: {
    [rpc('ExperimentCommand')]: { rules: experimentCommand },
    [rpc('EditDataSample')]: { rules: editDataSample },
    [rpc('ApplyDataQuery')]: {
      rules: [
        {
          action: 'query_execute',
          status: ok,
          // WeightsLab logs the queries answered through _build_success_response: not @reset/@clear/@overview.
          whenResponse: { any: [{ not: is('success', true) }, { not: is('agent_intent_type', 'INTENT_UNKNOWN') }] },
          details: {
            query_type: response('agent_intent_type', { map: { INTENT_FILTER: 'pandas' }, otherwise: 'analysis', ...onSuccess }),
            results_count: response('number_of_samples_in_the_loop', onSuccess),
            all_samples_count: response('number_of_all_samples', onSuccess),
            discarded_count: response('number_of_discarded_samples', onSuccess),
            message: response('message', { truncate: 100, ...onSuccess }),
            // The spec's key; WeightsLab leaves the query text out.
            query_text: request('query'),
          },
        },
      ],
    },
    [rpc('RestoreCheckpoint')]: {
      rules: [
        {
          action: 'checkpoint_restore',
          status: ok,
          details: {
            // "<hash>" or "<hash>@@weights_step=<n>" (a weights-only restore).
            checkpoint_id: request('experiment_hash', { extract: '^([\\s\\S]*?)(?:@@[\\s\\S]*)?$' }),
            checkpoint_step: request('experiment_hash', { extract: '@@weights_step=(-?\\d+)$', as: 'number', default: null, ...onSuccess }),
            weights_only: request('experiment_hash', { test: '@@weights_step=-?\\d+$', ...onSuccess }),
          },
        },
      ],
    },
    // WeightsLab logs a failed rename without an error.
    [rpc('RenameExperimentRun')]: { rules: [{ action: 'experiment_rename', status: { successField: 'success' }, details: { experiment_hash: request('experiment_hash'), new_name: request('new_name') } }] },
    // Not logged by WeightsLab: the proxy's own action types.
    [rpc('SetExperimentRunNotes')]: { rules: [{ action: 'experiment_notes_set', status: ok, details: { experiment_hash: request('experiment_hash'), notes: request('notes') } }] },
    [rpc('TriggerEvaluation')]: {
      rules: [{ action: 'evaluation_start', status: ok, details: { eval_mode: request('split_name', onSuccess), tags: request('tags', onSuccess), use_full_set: request('use_full_set', onSuccess) } }],
    },
    [rpc('CancelEvaluation')]: { rules: [{ action: 'evaluation_cancel', status: ok, details: { reason: request('reason') } }] },
    [rpc('RunNotebookCell')]: {
      // The stream's last chunk is `done { ok }`; a cell that raised is `failed` (WeightsLab writes "error", which strict refuses).
      rules: [{ action: 'notebook_run', status: { successField: 'done.ok' }, details: { cell_id: request('cell_id'), code: request('code', { truncate: 2000 }), elapsed_s: { elapsedSeconds: true } } }],
    },
    [rpc('InterruptNotebookCell')]: { rules: [{ action: 'notebook_interrupt', status: notebookOk }] },
    [rpc('SaveNotebook')]: { rules: [{ action: 'notebook_save', status: notebookOk, details: { path: response('path', onSuccess), bytes: request('ipynb_json', { count: true }) } }] },
    [rpc('GenerateNotebookCode')]: { rules: [{ action: 'notebook_generate_code', status: notebookOk, details: { prompt: request('prompt', { truncate: 500 }) } }] },
    // RPCs of the real proto that WeightsLab does not log: the proxy's own action types (the API key is never logged).
    [rpc('ManipulateWeights')]: {
      rules: [
        {
          action: 'weights_operation',
          status: ok,
          details: {
            op_type: request('weight_operation.op_type'),
            layer_id: request('weight_operation.layer_id'),
            neuron_ids: request('weight_operation.neuron_ids'),
            neurons_to_add: request('weight_operation.neurons_to_add'),
          },
        },
      ],
    },
    [rpc('InitializeAgent')]: { rules: [{ action: 'agent_initialize', status: ok, details: { provider: request('provider'), model: request('model') } }] },
    [rpc('ChangeAgentModel')]: { rules: [{ action: 'agent_model_change', status: ok, details: { model: request('model') } }] },
    [rpc('ResetAgent')]: { rules: [{ action: 'agent_reset', status: ok }] },
    [rpc('ClearAgentHistory')]: { rules: [{ action: 'agent_history_clear', status: ok }] },
    [rpc('CompactAgentHistory')]: { rules: [{ action: 'agent_history_compact', status: ok }] },
    // Reads. GetNotebook writes a default notebook on first use; WeightsLab does not log it either.
    ...Object.fromEntries(
      [
        'GetLatestLoggerData', 'GetWeights', 'GetActivations', 'GetSamples', 'GetDataSamples', 'GetHistogram', 'GetMetaData', 'GetSignalTrajectory',
        'GetStepSamples', 'GetPointCloud', 'GetMedia', 'GetDataSplits', 'CheckAgentHealth', 'GetAgentModels', 'GetAgentContextUsage', 'GetNotebook',
        'ListExperimentRuns', 'GetEvaluationStatus', 'ExportAnnotations',
      ].map((method) => [rpc(method), readOnly]),
    ),
  },
}
