// A stand-in for WeightsLab's Python gRPC backend (GrayboxTech/weightslab at 1f0b464d,
// weightslab/trainer/services/{experiment,data,notebook}_service.py), for testing what sits in front of it — an
// auditing proxy above all. It serves the 20 RPCs of proto/weightslab/experiment_service.proto over in-memory state
// and answers as the Python handlers do: the same branches, the same success=false + message replies (status OK),
// the same texts where WeightsLab's are fixed strings. What it cannot reproduce (a real model, pandas queries, a
// Python kernel) is replaced by small deterministic stand-ins, each said so where it is written.
// docs/WEIGHTSLAB-RPCS.md describes each RPC against the Python source.
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import * as grpc from '@grpc/grpc-js'
import * as protoLoader from '@grpc/proto-loader'

/** The 20 RPCs the backend serves, as named in WeightsLab's `ExperimentService`. */
export const weightsLabMethods = [
  'ExperimentCommand', 'EditDataSample', 'ApplyDataQuery', 'RestoreCheckpoint', 'RenameExperimentRun',
  'SetExperimentRunNotes', 'TriggerEvaluation', 'CancelEvaluation', 'GetEvaluationStatus', 'GetDataSamples',
  'GetLatestLoggerData', 'ListExperimentRuns', 'GetPointCloud', 'GetMedia', 'RunNotebookCell',
  'InterruptNotebookCell', 'SaveNotebook', 'GetNotebook', 'GenerateNotebookCode', 'CheckAgentHealth',
] as const

/** One of {@link weightsLabMethods}. */
export type WeightsLabMethod = (typeof weightsLabMethods)[number]

/** WeightsLab's `HyperParameters` message, every field present: the values the backend holds. */
export interface WeightsLabHyperParameters {
  experiment_name: string
  training_steps_to_do: number
  learning_rate: number
  batch_size: number
  full_eval_frequency: number
  checkpont_frequency: number
  is_training: boolean
  nb_steps: number
  auditor_mode: boolean
  train_batch_size: number
  val_batch_size: number
  test_batch_size: number
  evaluation_mode: boolean
  evaluation_config: string
}

/** One dataset sample: WeightsLab keys samples by id and origin (the loader's name). */
export interface WeightsLabSample {
  sample_id: string
  origin: string
  /** Boolean tags the sample wears (WeightsLab's `tag:<name>` columns set to true). */
  tags: string[]
  /** Categorical tags: tag name → category value. */
  categorical: Record<string, string>
  /** WeightsLab's `discarded` column: the sample is deny-listed, out of the training loop. */
  discarded: boolean
}

/** One run (experiment hash) recorded under the root log directory. */
export interface WeightsLabRun {
  experiment_hash: string
  experiment_name: string
  notes: string
  created: string
  last_used: string
  /** Steps that have a weights checkpoint; `latest_weight_step` is the largest, or -1. */
  checkpoint_steps: number[]
}

/** One point of a plotted signal; plot notes live on points, as in WeightsLab's signal logger. */
export interface WeightsLabSignalPoint {
  metric_name: string
  experiment_hash: string
  model_age: number
  metric_value: number
  point_note: string
}

/** The evaluation controller: WeightsLab's statuses are idle, requested, running, done, canceled, error. */
export interface WeightsLabEvaluation {
  status: 'idle' | 'requested' | 'running' | 'done' | 'canceled' | 'error'
  split_name: string
  tags: string[]
  use_full_set: boolean
  current: number
  total: number
  message: string
  error: string
}

/** The one notebook and the kernel's counters. */
export interface WeightsLabNotebook {
  /** File stem, no `.ipynb`. */
  name: string
  /** The saved JSON, or `null` before the first GetNotebook/SaveNotebook (GetNotebook then writes a default). */
  ipynb_json: string | null
  exec_count: number
  /** The cell executing now, if any. */
  running: { cell_id: string; interrupted: boolean } | null
}

/** A streaming call the client cancelled before its last chunk. */
export interface WeightsLabCancellation {
  method: WeightsLabMethod
  /** Chunks written before the cancellation was seen. */
  chunks_sent: number
}

/** One call as the backend received it. */
export interface WeightsLabCall {
  method: WeightsLabMethod
  request: Readonly<Record<string, unknown>>
  /** `OK`, or the gRPC status name injected by `failNext`. */
  status: string
}

/** The backend's whole state: read it to assert what a call did, write it to set a scene up. */
export interface WeightsLabState {
  hyperParameters: WeightsLabHyperParameters
  /** The model's age in training steps. */
  modelAge: number
  /** Set by `nb_steps`: the step at which training would pause again. */
  pauseAtStep: number | null
  samples: WeightsLabSample[]
  /** Boolean tags declared without any sample wearing them (`__register_tag__`). */
  registeredTags: string[]
  /** Categorical tags and their allowed values. */
  categoricalTags: Record<string, string[]>
  runs: WeightsLabRun[]
  /** Hash of the run currently loaded. */
  currentExperimentHash: string
  signals: WeightsLabSignalPoint[]
  evaluation: WeightsLabEvaluation
  notebook: WeightsLabNotebook
  /** Whether an LLM agent is configured: natural-language queries, code generation, CheckAgentHealth. */
  agentAvailable: boolean
  /** Whether a model is registered: without one, saving a checkpoint fails as in WeightsLab. */
  modelRegistered: boolean
  /** Directory reported in notebook paths; nothing is written there. */
  rootLogDir: string
  /** Checkpoints written by `save_checkpoint_operation`, as paths. */
  savedCheckpoints: string[]
  /** How many `restart_operation`s were received (the backend does not exit). */
  restarts: number
  calls: WeightsLabCall[]
  cancellations: WeightsLabCancellation[]
}

/** Options of {@link startWeightsLabBackend}. */
export interface WeightsLabBackendOptions {
  /** The .proto to serve; default: the repository's proto/weightslab/experiment_service.proto. */
  protoPath?: string
  /** Default 0: a free port. */
  port?: number
  /** Default 127.0.0.1. */
  host?: string
  /** Pause between two chunks of a stream, so a client can cancel mid-way; default 10 ms. */
  chunkDelayMs?: number
}

/** A running backend. */
export interface WeightsLabBackend {
  /** `host:port`, ready for a grpc-js client. */
  address: string
  port: number
  state: WeightsLabState
  /** Makes the next call of `method` fail with the gRPC status `code` (and `details`) instead of running it. */
  failNext(method: WeightsLabMethod, code: grpc.status, details?: string): void
  close(): Promise<void>
}

/** The repository's own WeightsLab-compatible proto, found from this module (src/ or dist/ alike). */
export function defaultWeightsLabProtoPath(): string {
  // packages/testkit/{src,dist}/weightslab-backend.* → three levels up is the repository root.
  const path = fileURLToPath(new URL('../../../proto/weightslab/experiment_service.proto', import.meta.url))
  if (!existsSync(path)) throw new Error(`WeightsLab proto not found at ${path}; pass protoPath`)
  return path
}

/** A fresh state: one current run with three checkpoints, another run, eight samples, a few signal points. */
export function createWeightsLabState(): WeightsLabState {
  const current = 'a1b2c3d4e5f6a7b8c9d0e1f2'
  const other = 'f0e1d2c3b4a5f6e7d8c9b0a1'
  const samples: WeightsLabSample[] = []
  for (let i = 0; i < 8; i++) {
    samples.push({ sample_id: String(i), origin: i < 6 ? 'train_loader' : 'val_loader', tags: [], categorical: {}, discarded: false })
  }
  const signals: WeightsLabSignalPoint[] = []
  for (const step of [0, 100, 200]) {
    signals.push({ metric_name: 'train/loss', experiment_hash: current, model_age: step, metric_value: 2 / (1 + step / 100), point_note: '' })
  }
  signals.push({ metric_name: 'eval/accuracy', experiment_hash: current, model_age: 200, metric_value: 0.75, point_note: '' })
  return {
    hyperParameters: {
      experiment_name: 'mnist', training_steps_to_do: 1000, learning_rate: 0.001, batch_size: 32, full_eval_frequency: 100,
      checkpont_frequency: 100, is_training: false, nb_steps: 0, auditor_mode: false, train_batch_size: 32, val_batch_size: 64,
      test_batch_size: 64, evaluation_mode: false, evaluation_config: '',
    },
    modelAge: 200,
    pauseAtStep: null,
    samples,
    registeredTags: [],
    categoricalTags: {},
    runs: [
      { experiment_hash: current, experiment_name: 'mnist', notes: '', created: '2026-11-30T09:00:00', last_used: '2026-12-01T10:00:00', checkpoint_steps: [0, 100, 200] },
      { experiment_hash: other, experiment_name: 'mnist-baseline', notes: 'first try', created: '2026-11-29T09:00:00', last_used: '2026-11-29T12:00:00', checkpoint_steps: [0, 50] },
    ],
    currentExperimentHash: current,
    signals,
    evaluation: { status: 'idle', split_name: '', tags: [], use_full_set: false, current: 0, total: 0, message: '', error: '' },
    notebook: { name: 'notebook', ipynb_json: null, exec_count: 0, running: null },
    agentAvailable: false,
    modelRegistered: true,
    rootLogDir: '/weightslab/root_log_dir',
    savedCheckpoints: [],
    restarts: 0,
    calls: [],
    cancellations: [],
  }
}

// Messages as @grpc/proto-loader hands them over (keepCase, defaults, oneofs): plain objects. Optional (proto3
// `optional`) fields are absent unless sent, which is how WeightsLab's `HasField` checks are mirrored.
type Msg = Record<string, unknown>
type Unary = grpc.handleUnaryCall<Msg, Msg>
type Streaming = grpc.handleServerStreamingCall<Msg, Msg>

const str = (m: Msg, k: string): string => (typeof m[k] === 'string' ? (m[k] as string) : '')
const num = (m: Msg, k: string): number => (typeof m[k] === 'number' ? (m[k] as number) : 0)
const bool = (m: Msg, k: string): boolean => m[k] === true
const strs = (m: Msg, k: string): string[] => (Array.isArray(m[k]) ? (m[k] as unknown[]).map(String) : [])
const has = (m: Msg, k: string): boolean => m[k] !== undefined && m[k] !== null
const sub = (m: Msg, k: string): Msg => (typeof m[k] === 'object' && m[k] !== null ? (m[k] as Msg) : {})
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

const editOverride = 0
const editAccumulate = 1
const editRemove = 2
/** `SampleEditType` arrives as a number or, with `enums: String`, a name. */
function editType(m: Msg): number {
  const t = m['type']
  if (t === 'EDIT_ACCUMULATE' || t === editAccumulate) return editAccumulate
  if (t === 'EDIT_REMOVE' || t === editRemove) return editRemove
  return editOverride
}

/** Starts the backend on `host:port` (default a free loopback port) and resolves once it accepts calls. */
export async function startWeightsLabBackend(options: WeightsLabBackendOptions = {}): Promise<WeightsLabBackend> {
  const protoPath = options.protoPath ?? defaultWeightsLabProtoPath()
  const host = options.host ?? '127.0.0.1'
  const chunkDelayMs = options.chunkDelayMs ?? 10
  const definition = protoLoader.loadSync(protoPath, { keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true })
  const service = definition['ExperimentService'] as protoLoader.ServiceDefinition | undefined
  if (service === undefined) throw new Error(`${protoPath}: no top-level ExperimentService`)

  const state = createWeightsLabState()
  const injected = new Map<WeightsLabMethod, { code: grpc.status; details: string }[]>()

  const currentRun = (): WeightsLabRun | undefined => state.runs.find((r) => r.experiment_hash === state.currentExperimentHash)
  const sampleKey = (s: { sample_id: string; origin: string }): string => `${s.origin}\u0000${s.sample_id}`
  let view: Set<string> | null = null // ApplyDataQuery's filtered view, as WeightsLab freezes it
  const viewSamples = (): WeightsLabSample[] => (view === null ? state.samples : state.samples.filter((s) => view?.has(sampleKey(s))))
  const pause = (): void => {
    state.hyperParameters.is_training = false
  }
  const uniqueTags = (): string[] => [...new Set([...state.registeredTags, ...state.samples.flatMap((s) => s.tags)])].sort()

  /** Records the call, and answers true (having failed it) when failNext queued a status for it. */
  function intercept(method: WeightsLabMethod, request: Msg, fail: (error: grpc.ServiceError) => void): boolean {
    const queued = injected.get(method)?.shift()
    state.calls.push({ method, request, status: queued === undefined ? 'OK' : grpc.status[queued.code] ?? String(queued.code) })
    if (queued === undefined) return false
    const error = Object.assign(new Error(queued.details), { code: queued.code, details: queued.details, metadata: new grpc.Metadata() })
    fail(error)
    return true
  }

  function unary(method: WeightsLabMethod, body: (request: Msg) => Msg): Unary {
    return (call, callback) => {
      if (intercept(method, call.request, (error) => callback(error))) return
      try {
        callback(null, body(call.request))
      } catch (error) {
        // A bug here must reach the test as a failed call, not a hung one.
        callback({ code: grpc.status.INTERNAL, details: error instanceof Error ? error.message : String(error) })
      }
    }
  }

  /** A server stream: `produce` yields chunks; the stream stops, and the cancellation is recorded, when the client cancels. */
  function streaming(method: WeightsLabMethod, produce: (request: Msg, isCancelled: () => boolean) => AsyncIterable<Msg>): Streaming {
    return (call) => {
      if (intercept(method, call.request, (error) => call.emit('error', error))) return
      let cancelled = false
      call.on('cancelled', () => {
        cancelled = true
      })
      void (async () => {
        let sent = 0
        try {
          for await (const chunk of produce(call.request, () => cancelled || call.cancelled)) {
            if (cancelled || call.cancelled) break
            call.write(chunk)
            sent++
          }
        } catch (error) {
          if (!(cancelled || call.cancelled)) {
            call.emit('error', { code: grpc.status.INTERNAL, details: error instanceof Error ? error.message : String(error) })
            return
          }
        }
        if (cancelled || call.cancelled) {
          state.cancellations.push({ method, chunks_sent: sent })
          return
        }
        call.end()
      })()
    }
  }

  // --- ExperimentCommand (experiment_service.py:ExperimentCommand, l. 1013) -------------------------------------

  function hyperParameterDescs(): Msg[] {
    // WeightsLab's ExperimentContext.hyper_parameters (experiment_context.py l. 232): learning rate is not exposed.
    const hp = state.hyperParameters
    const run = currentRun()
    const n = (label: string, name: string, value: number): Msg => ({ label, name, type: 'number', numerical_value: value })
    return [
      { label: 'Experiment Name', name: 'experiment_name', type: 'text', string_value: hp.experiment_name },
      { label: 'Last hash', name: 'last_hash', type: 'text', string_value: run?.experiment_hash ?? '' },
      n('Model Age', 'model_age', state.modelAge),
      n('Total Training Steps', 'total_training_steps', state.modelAge + hp.training_steps_to_do),
      n('Left Training Steps', 'training_left', hp.training_steps_to_do),
      n('Eval Frequency', 'eval_frequency', hp.full_eval_frequency),
      n('Checkpoint Frequency', 'checkpoint_frequency', hp.checkpont_frequency),
      n('Batch Size', 'batch_size', hp.batch_size),
      n('Val Batch Size', 'val_batch_size', hp.val_batch_size),
      n('Test Batch Size', 'test_batch_size', hp.test_batch_size),
      n('Is Training', 'is_training', hp.is_training ? 1 : 0),
      n('Auditor Mode', 'auditor_mode', hp.auditor_mode ? 1 : 0),
    ]
  }

  function requestEvaluation(split: string, tags: string[], useFullSet: boolean): boolean {
    // evaluation_controller.py request_evaluation: refused only while one is running; a requested one is replaced.
    if (state.evaluation.status === 'running') return false
    state.evaluation = { status: 'requested', split_name: split, tags, use_full_set: useFullSet, current: 0, total: 0, message: 'Evaluation pending…', error: '' }
    return true
  }

  function cancelEvaluation(reason: string): boolean {
    if (state.evaluation.status !== 'requested' && state.evaluation.status !== 'running') return false
    // WeightsLab flags the cancel and the training thread ends the pass; there is no training thread here.
    state.evaluation = { ...state.evaluation, status: 'canceled', message: reason }
    return true
  }

  function experimentCommand(req: Msg): Msg {
    if (has(req, 'restart_operation')) {
      state.restarts++ // WeightsLab exits the process half a second later; a test backend stays up.
      return { success: true, message: 'Restart requested. The instance will restart shortly.' }
    }
    if (has(req, 'save_checkpoint_operation')) {
      const op = sub(req, 'save_checkpoint_operation')
      if (!state.modelRegistered) {
        return { success: false, message: "No model registered — nothing to dump. Register one with watch_or_edit(model, flag='model')." }
      }
      pause()
      const run = currentRun()
      if (run !== undefined && !run.checkpoint_steps.includes(state.modelAge)) run.checkpoint_steps.push(state.modelAge)
      state.savedCheckpoints.push(`${state.rootLogDir}/checkpoints/${state.currentExperimentHash}/step_${state.modelAge}.pt`)
      const saved = ['weights', ...(bool(op, 'save_optimizer') ? ['optimizer'] : []), ...(bool(op, 'save_architecture') ? ['architecture'] : [])]
      return { success: true, message: `Saved ${saved.join(', ')} (training paused).` }
    }
    if (has(req, 'plot_note_operation')) {
      const op = sub(req, 'plot_note_operation')
      const metric = str(op, 'metric_name')
      const hash = str(op, 'experiment_hash')
      const age = num(op, 'model_age')
      const note = str(op, 'note')
      if (metric === '' || hash === '') return { success: false, message: 'metric_name and experiment_hash are required for plot notes' }
      const point = state.signals.find((p) => p.metric_name === metric && p.experiment_hash === hash && p.model_age === age)
      if (point === undefined) return { success: false, message: `Signal point not found for note update: ${metric}@${hash}:${age}` }
      point.point_note = note
      return { success: true, message: note.trim() !== '' ? `Saved note for ${metric} @ step ${age}` : `Cleared note for ${metric} @ step ${age}` }
    }
    if (has(req, 'hyper_parameter_change')) {
      const hp = sub(sub(req, 'hyper_parameter_change'), 'hyper_parameters')
      const live = state.hyperParameters
      pause() // WeightsLab pauses the trainer before any change
      // Only these are applied (l. 1201-1262); learning_rate is commented out there, experiment_name and
      // train_batch_size are ignored.
      for (const key of ['training_steps_to_do', 'batch_size', 'val_batch_size', 'test_batch_size', 'full_eval_frequency', 'checkpont_frequency'] as const) {
        if (has(hp, key)) live[key] = num(hp, key)
      }
      if (has(hp, 'evaluation_mode')) live.evaluation_mode = bool(hp, 'evaluation_mode')
      if (has(hp, 'evaluation_config') && str(hp, 'evaluation_config') !== '') {
        try {
          const cfg = JSON.parse(str(hp, 'evaluation_config')) as Record<string, unknown>
          if (cfg['cancel'] === true) cancelEvaluation(String(cfg['reason'] ?? 'Canceled by user'))
          else requestEvaluation(String(cfg['split'] ?? ''), Array.isArray(cfg['tags']) ? cfg['tags'].map(String) : [], cfg['use_full_set'] !== false)
        } catch {
          // WeightsLab logs a parse error at debug level and carries on.
        }
      }
      if (has(hp, 'auditor_mode')) live.auditor_mode = bool(hp, 'auditor_mode')
      if (has(hp, 'is_training')) {
        let desired = bool(hp, 'is_training')
        if (desired && (state.evaluation.status === 'requested' || state.evaluation.status === 'running')) desired = false // resume blocked
        if (has(hp, 'nb_steps') && num(hp, 'nb_steps') > 0) state.pauseAtStep = state.modelAge + num(hp, 'nb_steps')
        live.is_training = desired
      }
      if (has(req, 'load_checkpoint_operation')) {
        // Handled only inside the hyper_parameter_change branch (l. 1429): alone, the operation is a no-op read.
        pause()
        const id = num(sub(req, 'load_checkpoint_operation'), 'checkpoint_id')
        if (!state.modelRegistered) return { success: false, message: 'No model registered to load checkpoint' }
        // WeightsLab answers str(exception) of model.load(); the text here is ours.
        if (!(currentRun()?.checkpoint_steps.includes(id) ?? false)) return { success: false, message: `Checkpoint ${id} not found` }
        state.modelAge = id
        return { success: true, message: `Loaded checkpoint ${id}` }
      }
      return { success: true, message: 'Command executed successfully' }
    }
    // Reads (and every operation the branches above do not handle: deny_samples_operation and its kin,
    // load_checkpoint_operation alone) — WeightsLab answers success with an empty message.
    const response: Msg = { success: true, message: '', hyper_parameters_descs: [], layer_representations: [] }
    if (bool(req, 'get_hyper_parameters')) response['hyper_parameters_descs'] = hyperParameterDescs()
    if (bool(req, 'get_interactive_layers') && state.modelRegistered) {
      // A two-layer stand-in model.
      const layers: Msg[] = [
        { layer_id: 0, layer_name: 'conv1', layer_type: 'Conv2d', neurons_count: 8, incoming_neurons_count: 1, kernel_size: 3, stride: 1, neurons_statistics: [] },
        { layer_id: 1, layer_name: 'fc', layer_type: 'Linear', neurons_count: 10, incoming_neurons_count: 8, neurons_statistics: [] },
      ]
      response['layer_representations'] = has(req, 'get_single_layer_info_id') ? layers.filter((l) => l['layer_id'] === num(req, 'get_single_layer_info_id')) : layers
    }
    if (has(req, 'get_data_records') && str(req, 'get_data_records') !== '') {
      const origin = str(req, 'get_data_records')
      const records = state.samples.filter((s) => s.origin === origin)
      if (records.length > 0) {
        response['sample_statistics'] = {
          origin, sample_count: records.length, task_type: 'classification',
          records: records.map((s) => ({ sample_id: s.sample_id, sample_discarded: s.discarded, task_type: 'classification' })),
        }
      }
    }
    return response
  }

  // --- Checkpoints and runs ------------------------------------------------------------------------------------

  function restoreCheckpoint(req: Msg): Msg {
    const raw = str(req, 'experiment_hash')
    let hash = raw
    let step: number | null = null
    const marker = raw.indexOf('@@weights_step=')
    if (marker >= 0) {
      hash = raw.slice(0, marker)
      const parsed = Number.parseInt(raw.slice(marker + '@@weights_step='.length).trim(), 10)
      step = Number.isNaN(parsed) ? null : parsed
    }
    pause() // WeightsLab pauses before restoring, whether or not the restore succeeds
    const run = state.runs.find((r) => r.experiment_hash === hash)
    const ok = run !== undefined && (step === null || run.checkpoint_steps.includes(step))
    if (!ok) return { success: false, message: `Failed to restore checkpoint ${hash}` }
    state.currentExperimentHash = hash
    if (step !== null) state.modelAge = step
    else state.modelAge = Math.max(0, ...run.checkpoint_steps)
    return { success: true, message: step !== null ? `Weights restored from checkpoint ${hash}` : `Checkpoint ${hash} restored successfully` }
  }

  const runInfo = (r: WeightsLabRun): Msg => ({
    experiment_hash: r.experiment_hash, experiment_name: r.experiment_name, notes: r.notes, created: r.created, last_used: r.last_used,
    latest_weight_step: r.checkpoint_steps.length > 0 ? Math.max(...r.checkpoint_steps) : -1, is_current: r.experiment_hash === state.currentExperimentHash,
  })

  function renameRun(req: Msg): Msg {
    const hash = str(req, 'experiment_hash')
    const name = str(req, 'new_name')
    const run = state.runs.find((r) => r.experiment_hash === hash)
    if (run === undefined) return { success: false, message: `Failed to rename ${hash}` }
    run.experiment_name = name
    return { success: true, message: `Renamed ${hash} to '${name}'` }
  }

  function setRunNotes(req: Msg): Msg {
    const hash = str(req, 'experiment_hash')
    const run = state.runs.find((r) => r.experiment_hash === hash)
    if (run === undefined) return { success: false, message: `Failed to save notes for ${hash}` }
    run.notes = str(req, 'notes')
    return { success: true, message: 'Notes saved' }
  }

  // --- Evaluation ----------------------------------------------------------------------------------------------

  function triggerEvaluation(req: Msg): Msg {
    const split = str(req, 'split_name')
    if (split === '') return { success: false, message: 'split_name is required' }
    if (!requestEvaluation(split, strs(req, 'tags'), bool(req, 'use_full_set'))) return { success: false, message: 'Evaluation already in progress' }
    return { success: true, message: `Evaluation on '${split}' requested` }
  }

  function cancelEvaluationRpc(req: Msg): Msg {
    const reason = str(req, 'reason') || 'Canceled by user'
    if (!cancelEvaluation(reason)) return { success: false, message: 'No active evaluation to cancel' }
    return { success: true, message: `Evaluation canceled: ${reason}` }
  }

  // --- Data ----------------------------------------------------------------------------------------------------

  function counts(message: string, intent: string): Msg {
    const rows = viewSamples()
    const discarded = rows.filter((s) => s.discarded).length
    return {
      success: true, message, number_of_all_samples: rows.length, number_of_samples_in_the_loop: rows.length - discarded,
      number_of_discarded_samples: discarded, unique_tags: uniqueTags(), agent_intent_type: intent, analysis_result: '',
      categorical_tags: Object.entries(state.categoricalTags).map(([name, categories]) => ({ name, categories })),
    }
  }

  /** The stand-in for WeightsLab's pandas filters: `col == value` / `col != value` clauses joined by `and`. */
  function matches(sample: WeightsLabSample, clause: string): boolean {
    const m = /^\s*([\w:/.-]+)\s*(==|!=)\s*['"]?([^'"]*?)['"]?\s*$/.exec(clause)
    if (m === null) throw new Error(`unsupported query clause: ${clause.trim()}`)
    const [, column = '', op, rawValue = ''] = m
    let actual: string
    if (column === 'origin') actual = sample.origin
    else if (column === 'sample_id') actual = sample.sample_id
    else if (column === 'discarded') actual = sample.discarded ? 'true' : 'false'
    else if (column.startsWith('tag:')) actual = sample.tags.includes(column.slice(4)) ? 'true' : 'false'
    else throw new Error(`unknown column: ${column}`)
    const value = rawValue === '1' || rawValue === 'True' ? 'true' : rawValue === '0' || rawValue === 'False' ? 'false' : rawValue
    return (actual === value) === (op === '==')
  }

  function applyDataQuery(req: Msg): Msg {
    const query = str(req, 'query')
    if (query === '') return counts(`Current dataframe has ${viewSamples().length} samples`, 'INTENT_FILTER')
    try {
      if (!bool(req, 'is_natural_language')) {
        const clauses = query.split(/\s+and\s+/i)
        const kept = state.samples.filter((s) => clauses.every((c) => matches(s, c)))
        view = new Set(kept.map(sampleKey))
        return counts(`Filtered to ${kept.length} samples`, 'INTENT_FILTER')
      }
      const squashed = query.toLowerCase().replace(/\s/g, '')
      if (squashed.startsWith('@reset') || squashed.startsWith('@clear')) {
        view = null
        return { success: true, message: 'View has been reset successfully.' }
      }
      if (!state.agentAvailable) return { success: false, message: 'Natural language queries require agent (not available)' }
      // No LLM here: an available agent answers with no operation.
      return counts('No operation performed', 'INTENT_FILTER')
    } catch (error) {
      return { success: false, message: `Failed to apply query: ${error instanceof Error ? error.message : String(error)}` }
    }
  }

  function getDataSamples(req: Msg): Msg {
    const start = num(req, 'start_index')
    const count = num(req, 'records_cnt')
    if (start < 0 || count <= 0) return { success: false, message: 'Invalid start_index or records_cnt', data_records: [] }
    const rows = viewSamples()
    if (rows.length === 0) return { success: false, message: 'Internal dataframe is empty or not initialized.', data_records: [] }
    const slice = rows.slice(start, start + count)
    if (slice.length === 0) return { success: false, message: `No samples found at index ${start}:${start + count}`, data_records: [] }
    return {
      success: true, message: '',
      data_records: slice.map((s) => ({
        sample_id: s.sample_id,
        data_stats: [
          { name: 'origin', type: 'string', shape: [], value: [], value_string: s.origin },
          { name: 'discarded', type: 'scalar', shape: [], value: [s.discarded ? 1 : 0], value_string: '' },
          { name: 'tags', type: 'string', shape: [], value: [], value_string: s.tags.join(';') },
        ],
      })),
    }
  }

  function editDataSample(req: Msg): Msg {
    const stat = str(req, 'stat_name')
    if (stat === '__register_tag__') {
      // Declaring a tag touches no sample, so WeightsLab handles it before pausing.
      const name = str(req, 'string_value').trim().replace(/^tag:/, '')
      if (name === '') return { success: false, message: 'Missing tag name to register.' }
      if (name in state.categoricalTags) return { success: false, message: `Tag '${name}' could not be registered (it may already exist as a categorical tag).` }
      if (!state.registeredTags.includes(name)) state.registeredTags.push(name)
      return { success: true, message: `Tag '${name}' registered` }
    }
    pause() // every other edit pauses training first
    if (stat === '__discard_by_tag__') {
      const name = str(req, 'string_value').trim()
      if (name === '') return { success: false, message: 'Missing tag name for discard-by-tag operation.' }
      const tagged = state.samples.filter((s) => s.tags.includes(name))
      if (tagged.length === 0) return { success: true, message: `No samples found with tag '${name}'.` }
      for (const s of tagged) s.discarded = true
      return { success: true, message: `Discarded ${tagged.length} samples with tag '${name}'.` }
    }
    if (stat.startsWith('__') && stat.endsWith('__')) {
      // __save_data_state__, __copy_metadata__, __delete_metadata__, __save_step_signal_snapshot__ and the like
      // change WeightsLab's dataframe files, which this backend does not model.
      return { success: false, message: `${stat} is not implemented by the auditrail test backend` }
    }
    if (stat === '' || (!stat.startsWith('tag') && stat !== 'discarded')) {
      return { success: false, message: "Only 'tags', 'discarded', '__copy_metadata__', '__delete_metadata__', '__save_data_state__', '__force_h5_write_and_save__', '__register_tag__', and '__discard_by_tag__' edits are supported." }
    }
    const ids = strs(req, 'samples_ids')
    const origins = strs(req, 'sample_origins')
    if (ids.length === 0) {
      // WeightsLab binds is_tag_request only inside `if request.samples_ids`, so an empty edit raises and is
      // answered by its except clause with Python's UnboundLocalError text.
      return { success: false, message: "Failed to edit samples: cannot access local variable 'is_tag_request' where it is not associated with a value" }
    }
    const categorical = bool(req, 'is_categorical')
    const type = editType(req)
    const value = str(req, 'string_value').trim()
    const find = (id: string, origin: string): WeightsLabSample | undefined => state.samples.find((s) => s.sample_id === id && s.origin === origin)
    // Python's zip(): pairs up to the shorter list.
    const pairs = ids.slice(0, Math.min(ids.length, origins.length)).map((id, i) => [id, origins[i] ?? ''] as const)
    if (categorical) {
      const name = stat.replace(/^tag:/, '')
      const declared = strs(req, 'categories').filter((c) => c !== '')
      const known = new Set([...(state.categoricalTags[name] ?? []), ...declared, ...(type !== editRemove && value !== '' ? [value] : [])])
      state.categoricalTags[name] = [...known]
      for (const [id, origin] of pairs) {
        const s = find(id, origin)
        if (s === undefined) continue
        if (type === editRemove || value === '') delete s.categorical[name]
        else s.categorical[name] = value
      }
    } else if (stat.startsWith('tag')) {
      if (value !== '') {
        for (const [id, origin] of pairs) {
          const s = find(id, origin)
          if (s === undefined) continue
          // _calculate_tag_column_updates: removal clears the tag; any other type toggles it (set when absent,
          // cleared when the sample already wears it) — so EDIT_ACCUMULATE on a tagged sample removes the tag.
          const wearing = s.tags.includes(value)
          const target = type === editRemove ? false : !wearing
          s.tags = target ? (wearing ? s.tags : [...s.tags, value]) : s.tags.filter((t) => t !== value)
        }
      }
      if (type === editRemove && num(req, 'float_value') === -1) {
        // Whole-column delete: the tag leaves every sample and the registry.
        const column = stat.trim().replace(/^tag:/, '')
        for (const s of state.samples) s.tags = s.tags.filter((t) => t !== column)
        state.registeredTags = state.registeredTags.filter((t) => t !== column)
      }
    } else {
      for (const [id, origin] of pairs) {
        const s = find(id, origin)
        if (s !== undefined) s.discarded = bool(req, 'bool_value')
      }
    }
    return { success: true, message: `Edited ${ids.length} samples` }
  }

  /** Looks a sample up as WeightsLab's _locate_sample does: in `origin`, or in every loader when it is empty. */
  function locate(req: Msg): { sample?: WeightsLabSample; error?: string } {
    const id = str(req, 'sample_id')
    if (!/^\s*[+-]?\d+\s*$/.test(id)) return { error: `invalid literal for int() with base 10: '${id}'` }
    const origin = str(req, 'origin')
    const sample = state.samples.find((s) => Number(s.sample_id) === Number(id) && (origin === '' || s.origin === origin))
    return sample === undefined ? {} : { sample }
  }

  async function* pointCloud(req: Msg, isCancelled: () => boolean): AsyncIterable<Msg> {
    const found = locate(req)
    if (found.error !== undefined) {
      yield { success: false, message: `Failed to retrieve point cloud: ${found.error}` }
      return
    }
    if (found.sample === undefined) {
      yield { success: false, message: `Sample ${str(req, 'sample_id')} not found (origin=${str(req, 'origin') || 'any'})` }
      return
    }
    // A synthetic cloud: 64 points × (x, y, z, intensity), float32, in four chunks.
    const maxPoints = num(req, 'max_points')
    const points = maxPoints > 0 ? Math.min(64, maxPoints) : 64
    const features = 4
    const data = Buffer.alloc(points * features * 4)
    for (let i = 0; i < points * features; i++) data.writeFloatLE((i % 17) / 16, i * 4)
    yield* chunked(data, 4, isCancelled, (i, total, bytes) => ({
      success: true, data: bytes, chunk_index: i, total_chunks: total,
      ...(i === 0 ? { num_points: points, num_features: features, pc_range: [0, 0, 0, 1, 1, 1], feature_names: ['x', 'y', 'z', 'intensity'] } : {}),
    }))
  }

  async function* media(req: Msg, isCancelled: () => boolean): AsyncIterable<Msg> {
    const found = locate(req)
    if (found.error !== undefined) {
      yield { success: false, message: `Failed to retrieve media: ${found.error}` }
      return
    }
    if (found.sample === undefined) {
      yield { success: false, message: `Sample ${str(req, 'sample_id')} not found (origin=${str(req, 'origin') || 'any'})` }
      return
    }
    const audio = (str(req, 'kind') || 'video').trim().toLowerCase() === 'audio'
    const data = Buffer.alloc(4096, audio ? 0x52 : 0x4d) // stand-in bytes, not a playable file
    yield* chunked(data, 4, isCancelled, (i, total, bytes) => ({
      success: true, data: bytes, chunk_index: i, total_chunks: total,
      ...(i === 0
        ? audio
          ? { mime_type: 'audio/wav', frame_count: 0, fps: 0, has_audio: true, width: 0, height: 0, total_bytes: data.length, duration_seconds: 1, sample_rate: 16000 }
          : { mime_type: 'video/mp4', frame_count: 24, fps: 24, has_audio: false, width: 64, height: 64, total_bytes: data.length, duration_seconds: 1, sample_rate: 0 }
        : {}),
    }))
  }

  async function* chunked(data: Buffer, parts: number, isCancelled: () => boolean, make: (i: number, total: number, bytes: Buffer) => Msg): AsyncIterable<Msg> {
    const size = Math.ceil(data.length / parts)
    const total = Math.max(1, Math.ceil(data.length / size))
    for (let i = 0; i < total; i++) {
      if (i > 0) await sleep(chunkDelayMs)
      if (isCancelled()) return
      yield make(i, total, data.subarray(i * size, (i + 1) * size))
    }
  }

  // --- Signals -------------------------------------------------------------------------------------------------

  function latestLoggerData(req: Msg): Msg {
    const names = strs(req, 'metric_names')
    const hashes = strs(req, 'experiment_hashes')
    const points = state.signals.filter((p) => (names.length === 0 || names.includes(p.metric_name)) && (hashes.length === 0 || hashes.includes(p.experiment_hash)))
    const curves = new Map<string, WeightsLabSignalPoint[]>()
    for (const p of points) curves.set(`${p.metric_name}\u0000${p.experiment_hash}`, [...(curves.get(`${p.metric_name}\u0000${p.experiment_hash}`) ?? []), p])
    return {
      points: bool(req, 'index_only') ? [] : points.map((p) => ({ metric_name: p.metric_name, model_age: p.model_age, metric_value: p.metric_value, experiment_hash: p.experiment_hash, point_note: p.point_note, audit_mode: state.hyperParameters.auditor_mode })),
      weightslab_version: 'auditrail-testkit',
      curves: [...curves.values()].map((c) => ({
        metric_name: c[0]?.metric_name ?? '', experiment_hash: c[0]?.experiment_hash ?? '',
        first_step: Math.min(...c.map((p) => p.model_age)), last_step: Math.max(...c.map((p) => p.model_age)), point_count: c.length,
        value_min: Math.min(...c.map((p) => p.metric_value)), value_max: Math.max(...c.map((p) => p.metric_value)),
      })),
      applied_max_points: num(req, 'max_points'),
    }
  }

  // --- Notebook (notebook_service.py) --------------------------------------------------------------------------

  /**
   * The stand-in kernel runs no Python: line by line, `print(<literal>)` writes stdout, `time.sleep(<s>)` waits
   * (interruptibly, at most 30 s), `raise <Name>(<msg>)` fails the cell, and a last bare expression is echoed as its
   * result. Chunks go out as they are produced, as WeightsLab streams them live.
   */
  async function* runCell(req: Msg, isCancelled: () => boolean): AsyncIterable<Msg> {
    const cellId = str(req, 'cell_id')
    const lines = str(req, 'code').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'))
    const running = { cell_id: cellId, interrupted: false }
    state.notebook.running = running
    const execCount = ++state.notebook.exec_count
    let ok = true
    try {
      for (const [index, line] of lines.entries()) {
        if (isCancelled()) return
        const printed = /^print\((.*)\)$/.exec(line)
        const slept = /^time\.sleep\(\s*([\d.]+)\s*\)$/.exec(line)
        const raised = /^raise\s+(\w+)\((.*)\)$/.exec(line)
        if (printed !== null) {
          yield { cell_id: cellId, stdout: `${unquote(printed[1] ?? '')}\n` }
          await sleep(chunkDelayMs)
        } else if (slept !== null) {
          const until = Date.now() + Math.min(30, Number(slept[1])) * 1000
          while (Date.now() < until && !running.interrupted && !isCancelled()) await sleep(Math.min(10, chunkDelayMs || 10))
        } else if (raised !== null) {
          yield { cell_id: cellId, error_traceback: `Traceback (most recent call last):\n  File "<cell>", line ${index + 1}, in <module>\n${raised[1]}: ${unquote(raised[2] ?? '')}` }
          ok = false
          break
        } else if (index === lines.length - 1 && !/^(import|from)\s|^[\w.]+\s*=[^=]/.test(line)) {
          yield { cell_id: cellId, result_text: /^['"]/.test(line) ? `'${unquote(line)}'` : line }
        }
        if (running.interrupted) {
          yield { cell_id: cellId, error_traceback: `Traceback (most recent call last):\n  File "<cell>", line ${index + 1}, in <module>\nKeyboardInterrupt` }
          ok = false
          break
        }
      }
      if (isCancelled()) return
      yield { cell_id: cellId, done: { exec_count: execCount, ok } }
    } finally {
      if (state.notebook.running === running) state.notebook.running = null
    }
  }

  const notebookPath = (): string => `${state.rootLogDir}/${state.notebook.name}.ipynb`
  const defaultNotebook = (): string =>
    JSON.stringify({ cells: [{ cell_type: 'code', metadata: {}, source: 'df.head()', execution_count: null, outputs: [] }], metadata: {}, nbformat: 4, nbformat_minor: 5 }, null, 1)

  function getNotebook(): Msg {
    if (state.notebook.ipynb_json !== null) return { ipynb_json: state.notebook.ipynb_json, existed: true, path: notebookPath(), name: state.notebook.name }
    state.notebook.ipynb_json = defaultNotebook() // written on first use, as WeightsLab does
    return { ipynb_json: state.notebook.ipynb_json, existed: false, path: notebookPath(), name: state.notebook.name }
  }

  function saveNotebook(req: Msg): Msg {
    const ipynb = str(req, 'ipynb_json')
    try {
      JSON.parse(ipynb)
    } catch (error) {
      return { ok: false, path: '', error: `invalid notebook JSON: ${error instanceof Error ? error.message : String(error)}`, name: state.notebook.name }
    }
    const requested = str(req, 'name').trim()
    if (requested !== '') {
      // _sanitize_stem: drop .ipynb and any directories, keep [A-Za-z0-9._ -].
      const stem = (requested.toLowerCase().endsWith('.ipynb') ? requested.slice(0, -6) : requested).split(/[\\/]/).pop() ?? ''
      state.notebook.name = stem.replace(/[^A-Za-z0-9._ -]/g, '_').trim() || 'notebook'
    }
    state.notebook.ipynb_json = ipynb
    return { ok: true, path: notebookPath(), error: '', name: state.notebook.name }
  }

  const handlers: Record<WeightsLabMethod, Unary | Streaming> = {
    ExperimentCommand: unary('ExperimentCommand', experimentCommand),
    EditDataSample: unary('EditDataSample', editDataSample),
    ApplyDataQuery: unary('ApplyDataQuery', applyDataQuery),
    RestoreCheckpoint: unary('RestoreCheckpoint', restoreCheckpoint),
    RenameExperimentRun: unary('RenameExperimentRun', renameRun),
    SetExperimentRunNotes: unary('SetExperimentRunNotes', setRunNotes),
    TriggerEvaluation: unary('TriggerEvaluation', triggerEvaluation),
    CancelEvaluation: unary('CancelEvaluation', cancelEvaluationRpc),
    GetEvaluationStatus: unary('GetEvaluationStatus', () => {
      const e = state.evaluation
      return { status: e.status, current: e.current, total: e.total, message: e.message, error: e.error, split_name: e.split_name }
    }),
    GetDataSamples: unary('GetDataSamples', getDataSamples),
    GetLatestLoggerData: unary('GetLatestLoggerData', latestLoggerData),
    ListExperimentRuns: unary('ListExperimentRuns', () => ({ runs: state.runs.map(runInfo) })),
    GetPointCloud: streaming('GetPointCloud', pointCloud),
    GetMedia: streaming('GetMedia', media),
    RunNotebookCell: streaming('RunNotebookCell', runCell),
    InterruptNotebookCell: unary('InterruptNotebookCell', () => {
      if (state.notebook.running === null) return { ok: false, error: 'No cell is currently running.' }
      state.notebook.running.interrupted = true
      return { ok: true, error: '' }
    }),
    SaveNotebook: unary('SaveNotebook', saveNotebook),
    GetNotebook: unary('GetNotebook', getNotebook),
    GenerateNotebookCode: unary('GenerateNotebookCode', (req) =>
      state.agentAvailable
        ? { code: `# ${str(req, 'prompt')}\ndf.head()`, explanation: 'Shows the first rows of the dataframe.', ok: true, error: '' }
        : { code: '', explanation: '', ok: false, error: 'Agent backend is not running.' }),
    CheckAgentHealth: unary('CheckAgentHealth', () => ({
      available: state.agentAvailable,
      message: state.agentAvailable
        ? 'Agent available. Ready to help you. Type /model to test another model or /reset to clear your API key and start over.'
        : 'Agent not configured. Type /init to set up.',
    })),
  }

  // Serve only what the loaded proto declares, so a proto missing one of the methods fails here, loudly.
  for (const name of weightsLabMethods) if (service[name] === undefined) throw new Error(`${protoPath}: ExperimentService has no ${name}`)
  const served = Object.fromEntries(Object.keys(service).filter((name): name is WeightsLabMethod => name in handlers).map((name) => [name, handlers[name]]))
  const server = new grpc.Server()
  server.addService(service, served)
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${host}:${options.port ?? 0}`, grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound)))
  })

  return {
    address: `${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    state,
    failNext(method, code, details) {
      const queue = injected.get(method) ?? []
      queue.push({ code, details: details ?? `failNext: ${grpc.status[code] ?? code} injected into ${method}` })
      injected.set(method, queue)
    },
    close() {
      return new Promise<void>((resolve) => {
        // A stream left open (a sleeping notebook cell) would hold tryShutdown; force it after a moment.
        const force = setTimeout(() => server.forceShutdown(), 1000)
        server.tryShutdown(() => {
          clearTimeout(force)
          resolve()
        })
      })
    },
  }
}

function unquote(text: string): string {
  const t = text.trim()
  return /^(['"]).*\1$/.test(t) ? t.slice(1, -1) : t
}
