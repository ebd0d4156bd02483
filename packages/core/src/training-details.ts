import * as t from 'io-ts'
import { JsonValueCodec } from './json-value.js'

// Each action's details: the spec's keys first, then those WeightsLab's services really log (docs/WEIGHTSLAB-EVENTS.md
// says which call writes which). Every codec is one flat `t.partial`: strict mode reads its `props` as the key list.

const JsonRecord = t.record(t.string, JsonValueCodec)

const trainingControl = {
  step: t.number,
  epoch: t.number,
  reason: t.string,
  previous_state: t.string,
  /** WeightsLab: `"paused"` or `"running"`, the trainer's state after the call. */
  trainer_state: t.string,
  /** WeightsLab: `"agent"` when its assistant paused or resumed, absent from the UI's path. */
  source: t.string,
}

/** Codecs of the training and model actions: hyperparameters, pause/resume, modes, checkpoints, evaluation, notes. */
export const trainingDetailsCodecs = {
  hp_change: t.partial({ changed_params: JsonRecord, before: JsonRecord, after: JsonRecord }, 'HpChangeDetails'),
  pause: t.partial(trainingControl, 'PauseDetails'),
  resume: t.partial(trainingControl, 'ResumeDetails'),
  mode_switch: t.partial(
    { mode: t.string, previous_mode: t.string, from_mode: t.string, to_mode: t.string, auditor_mode: t.boolean, evaluation_mode: t.boolean },
    'ModeSwitchDetails',
  ),
  checkpoint_restore: t.partial(
    { checkpoint_id: t.string, step: t.number, path: t.string, checkpoint_step: t.union([t.number, t.null]), weights_only: t.boolean },
    'CheckpointRestoreDetails',
  ),
  checkpoint_save: t.partial(
    {
      save_optimizer: t.boolean,
      save_architecture: t.boolean,
      path: t.string,
      architecture_saved: t.boolean,
      experiment_hash: t.string,
      checkpoint_file: t.union([t.string, t.null]),
    },
    'CheckpointSaveDetails',
  ),
  evaluation_start: t.partial(
    { split_name: t.string, checkpoint_id: t.string, metrics: t.readonlyArray(t.string), eval_mode: t.string, tags: t.readonlyArray(t.string), use_full_set: t.boolean },
    'EvaluationStartDetails',
  ),
  note_write: t.partial(
    {
      plot_name: t.string,
      point_id: t.union([t.string, t.number]),
      note: t.string,
      cleared: t.boolean,
      before: t.string,
      after: t.string,
      metric_name: t.string,
      model_age: t.number,
      note_text: t.string,
      note_action: t.string,
    },
    'NoteWriteDetails',
  ),
  restart_instance: t.partial({}, 'RestartInstanceDetails'),
  experiment_rename: t.partial({ experiment_hash: t.string, new_name: t.string }, 'ExperimentRenameDetails'),
} as const
