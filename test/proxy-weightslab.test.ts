// The WeightsLab stand-in backend behind the auditing proxy with `weightslabMapping`: every call is made twice, once
// direct to one backend and once through the proxy to an identical second one, and the answers must be equal; the
// events must be those WeightsLab's Python writes (action types, statuses, detail keys — docs/WEIGHTSLAB-RPCS.md),
// each accepted by a strict logger. Against our proto and, when ../shared/weightslab holds it, WeightsLab's own.
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { startAuditProxy, weightslabMapping, type AuditProxy } from '@auditrail/grpc'
import { startWeightsLabBackend, type WeightsLabBackend } from '@auditrail/testkit'
import * as grpc from '@grpc/grpc-js'
import * as protoLoader from '@grpc/proto-loader'
import { AuditLogger, type AuditEvent } from 'auditrail'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { asUser } from './support/proxy-harness.js'
import { tempDir } from './support/temp-dir.js'

const repoRoot = fileURLToPath(new URL('..', import.meta.url))
const protos: { label: string; file: string }[] = [{ label: 'our proto/weightslab', file: path.join(repoRoot, 'proto/weightslab/experiment_service.proto') }]
const realProto = path.resolve(repoRoot, '../shared/weightslab/experiment_service.proto')
if (existsSync(realProto)) protos.push({ label: "WeightsLab's own proto [needs ../shared/weightslab]", file: realProto })

type Msg = Record<string, unknown>

it('the committed mappings/weightslab.json is weightslabMapping', () => {
  const file = path.join(repoRoot, 'packages/grpc/mappings/weightslab.json')
  expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(JSON.parse(JSON.stringify(weightslabMapping)))
})

for (const proto of protos) {
  describe(`the WeightsLab mapping over ${proto.label}`, () => {
    const definition = protoLoader.loadSync(proto.file, { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true })
    const Client = grpc.makeGenericClientConstructor(definition['ExperimentService'] as protoLoader.ServiceDefinition, 'ExperimentService')
    let direct: WeightsLabBackend
    let proxied: WeightsLabBackend
    let proxy: AuditProxy
    let logger: AuditLogger<true>
    let toDirect: grpc.Client
    let toProxy: grpc.Client
    const warnings: string[] = []
    const auditErrors: string[] = []
    let seen = 0

    beforeAll(async () => {
      direct = await startWeightsLabBackend({ protoPath: proto.file, chunkDelayMs: 5 })
      proxied = await startWeightsLabBackend({ protoPath: proto.file, chunkDelayMs: 5 })
      // Strict: every event the mapping writes must have WeightsLab's keys with their JSON types.
      logger = new AuditLogger(tempDir('auditrail-proxy-wl-'), 'weightslab', { format: 'json', strict: true })
      proxy = await startAuditProxy({
        target: proxied.address,
        protoPath: proto.file,
        mapping: weightslabMapping,
        logger,
        onWarning: (message) => warnings.push(message),
        onAuditError: (error) => auditErrors.push(error.message),
      })
      toDirect = new Client(direct.address, grpc.credentials.createInsecure())
      toProxy = new Client(proxy.address, grpc.credentials.createInsecure())
    })
    afterAll(async () => {
      toDirect.close()
      toProxy.close()
      await proxy.close()
      await direct.close()
      await proxied.close()
    })

    const unary = (client: grpc.Client, method: string, request: Msg): Promise<Msg> =>
      new Promise((resolve, reject) => {
        const fn = (client as unknown as Record<string, (r: Msg, m: grpc.Metadata, cb: (e: grpc.ServiceError | null, v: Msg) => void) => void>)[method]
        fn?.call(client, request, asUser('alice'), (error, value) => (error ? reject(error) : resolve(value)))
      })
    const stream = (client: grpc.Client, method: string, request: Msg): grpc.ClientReadableStream<Msg> =>
      (client as unknown as Record<string, (r: Msg, m: grpc.Metadata) => grpc.ClientReadableStream<Msg>>)[method]!.call(client, request, asUser('alice'))
    const collect = (client: grpc.Client, method: string, request: Msg): Promise<Msg[]> =>
      new Promise((resolve, reject) => {
        const chunks: Msg[] = []
        const call = stream(client, method, request)
        call.on('data', (chunk: Msg) => chunks.push(chunk))
        call.on('error', reject)
        call.on('end', () => resolve(chunks))
      })
    /** The events written since the last call of this function. */
    const fresh = (): Pick<AuditEvent, 'action_type' | 'status' | 'details' | 'error'>[] => {
      const all = [...logger.readEvents({ order: 'oldest-first' })]
      const added = all.slice(seen)
      seen = all.length
      expect(added.every((event) => event.actor === 'alice')).toBe(true)
      return added.map(({ action_type, status, details, error }) => ({ action_type, status, details, error }))
    }
    /** Calls both backends the same way; the answers must be equal. Returns the proxied answer. */
    const both = async (method: string, request: Msg = {}): Promise<Msg> => {
      const [a, b] = await Promise.all([unary(toDirect, method, request), unary(toProxy, method, request)])
      expect(b).toEqual(a)
      return b
    }
    const hp = (hyper_parameters: Msg): Msg => ({ hyper_parameter_change: { hyper_parameters } })
    const ok = (details: Msg, action_type: string) => ({ action_type, status: 'success', details, error: null })

    it('maps every RPC of the proto; nothing mutating is left unmapped', () => {
      expect(proxy.unmapped).toEqual([])
      expect(warnings).toEqual([])
    })

    it('ExperimentCommand: hyperparameters with before/after, modes, pause/resume, notes, checkpoints, restart; reads not logged', async () => {
      await both('ExperimentCommand', { get_hyper_parameters: true })
      await both('ExperimentCommand', { get_interactive_layers: true, get_data_records: 'val_loader' })
      expect(fresh()).toEqual([])

      await both('ExperimentCommand', hp({ batch_size: 128, training_steps_to_do: 50, learning_rate: 0.5 }))
      expect(fresh()).toEqual([
        ok({ changed_params: { training_steps_to_do: 50, batch_size: 128 }, before: { training_steps_to_do: 1000, batch_size: 32 }, after: { training_steps_to_do: 50, batch_size: 128 } }, 'hp_change'),
      ])
      // A learning-rate-only change logs nothing in WeightsLab.
      await both('ExperimentCommand', hp({ learning_rate: 0.1 }))
      expect(fresh()).toEqual([])

      await both('ExperimentCommand', hp({ is_training: true }))
      await both('ExperimentCommand', hp({ is_training: false }))
      expect(fresh()).toEqual([ok({ trainer_state: 'running' }, 'resume'), ok({ trainer_state: 'paused' }, 'pause')])

      await both('ExperimentCommand', hp({ auditor_mode: true, evaluation_mode: true }))
      expect(fresh()).toEqual([
        ok({ from_mode: 'train', to_mode: 'evaluation', evaluation_mode: true }, 'mode_switch'),
        ok({ from_mode: 'train', to_mode: 'audit', auditor_mode: true }, 'mode_switch'),
      ])
      // The auditor mode is already on: WeightsLab logs no switch; the evaluation toggle logs whenever present.
      await both('ExperimentCommand', hp({ auditor_mode: true, evaluation_mode: false }))
      expect(fresh()).toEqual([ok({ from_mode: 'train', to_mode: 'train', evaluation_mode: false }, 'mode_switch')])
      await both('ExperimentCommand', hp({ auditor_mode: false }))
      expect(fresh()).toEqual([ok({ from_mode: 'audit', to_mode: 'train', auditor_mode: false }, 'mode_switch')])

      await both('ExperimentCommand', { ...hp({}), load_checkpoint_operation: { checkpoint_id: 100 } })
      await both('ExperimentCommand', { ...hp({}), load_checkpoint_operation: { checkpoint_id: 150 } })
      expect(fresh()).toEqual([ok({ checkpoint_id: '100' }, 'checkpoint_restore'), { action_type: 'checkpoint_restore', status: 'failed', details: { checkpoint_id: '150' }, error: 'Checkpoint 150 not found' }])

      const hash = direct.state.currentExperimentHash
      await both('ExperimentCommand', { plot_note_operation: { metric_name: 'train/loss', experiment_hash: hash, model_age: 100, note: 'spike' } })
      await both('ExperimentCommand', { plot_note_operation: { metric_name: 'train/loss', experiment_hash: hash, model_age: 100, note: '  ' } })
      expect(fresh()).toEqual([
        ok({ metric_name: 'train/loss', model_age: 100, note_text: 'spike', note_action: 'saved' }, 'note_write'),
        ok({ metric_name: 'train/loss', model_age: 100, note_text: '  ', note_action: 'cleared' }, 'note_write'),
      ])

      await both('ExperimentCommand', { save_checkpoint_operation: { save_optimizer: true } })
      await both('ExperimentCommand', { save_checkpoint_operation: { save_optimizer: true, save_architecture: true } })
      direct.state.modelRegistered = false
      proxied.state.modelRegistered = false
      const refused = await both('ExperimentCommand', { save_checkpoint_operation: {} })
      expect(fresh()).toEqual([
        ok({ save_optimizer: true, save_architecture: false, architecture_saved: false }, 'checkpoint_save'),
        ok({ save_optimizer: true, save_architecture: true, architecture_saved: true }, 'checkpoint_save'),
        { action_type: 'checkpoint_save', status: 'failed', details: { save_optimizer: false, save_architecture: false }, error: refused['message'] },
      ])
      direct.state.modelRegistered = true
      proxied.state.modelRegistered = true

      await both('ExperimentCommand', { restart_operation: {}, plot_note_operation: { metric_name: 'x' } })
      expect(fresh()).toEqual([ok({}, 'restart_instance')])
      expect(proxied.state.restarts).toBe(1)
    })

    it('EditDataSample: tags added, removed and registered, samples discarded and restored', async () => {
      const origins = ['train_loader', 'train_loader']
      await both('EditDataSample', { stat_name: 'tags', string_value: 'hard', type: 'EDIT_ACCUMULATE', samples_ids: ['0', '1'], sample_origins: origins })
      await both('EditDataSample', { stat_name: 'tags', string_value: 'hard', type: 'EDIT_REMOVE', samples_ids: ['0'], sample_origins: ['train_loader'] })
      await both('EditDataSample', { stat_name: 'discarded', bool_value: true, samples_ids: ['2', '6'], sample_origins: ['train_loader', 'val_loader'] })
      await both('EditDataSample', { stat_name: 'discarded', bool_value: false, samples_ids: ['6'], sample_origins: ['val_loader'] })
      await both('EditDataSample', { stat_name: '__register_tag__', string_value: 'tag:blurry' })
      expect(fresh()).toEqual([
        ok({ tag_name: 'hard', samples_affected: 2, sample_ids: ['0', '1'], origins }, 'tag_add'),
        ok({ tag_name: 'hard', samples_affected: 1, sample_ids: ['0'], origins: ['train_loader'] }, 'tag_remove'),
        ok({ samples_affected: 2, sample_ids: ['2', '6'], origins: ['train_loader', 'val_loader'] }, 'sample_discard'),
        ok({ samples_affected: 1, sample_ids: ['6'], origins: ['val_loader'] }, 'sample_restore'),
        ok({ tag_name: 'blurry' }, 'tag_register'),
      ])
      expect(proxied.state.samples).toEqual(direct.state.samples)
      // A categorical tag is logged as the tag edit it is (WeightsLab: sample_discard/restore); discard-by-tag under our own type.
      const one = { samples_ids: ['3'], sample_origins: ['train_loader'] }
      await both('EditDataSample', { stat_name: 'tag:weather', string_value: 'rainy', is_categorical: true, type: 'EDIT_OVERRIDE', ...one })
      await both('EditDataSample', { stat_name: 'tag:weather', string_value: '', is_categorical: true, type: 'EDIT_OVERRIDE', ...one })
      await both('EditDataSample', { stat_name: '__discard_by_tag__', string_value: 'hard' })
      const edit = { samples_affected: 1, sample_ids: ['3'], origins: ['train_loader'] }
      expect(fresh()).toEqual([ok({ tag_name: 'weather', ...edit }, 'tag_add'), ok({ tag_name: 'weather', ...edit }, 'tag_remove'), ok({ tag_name: 'hard' }, 'discard_by_tag')])
      expect(proxied.state.samples).toEqual(direct.state.samples)
      // A refused edit answers OK + success=false: logged as failed with the message.
      const refusal = await both('EditDataSample', { stat_name: 'tags', string_value: 'x', type: 'EDIT_ACCUMULATE', samples_ids: [], sample_origins: [] })
      expect(fresh()).toEqual([{ action_type: 'tag_add', status: 'failed', details: { tag_name: 'x', samples_affected: 0, sample_ids: [], origins: [] }, error: refusal['message'] }])
    })

    it('ApplyDataQuery, RestoreCheckpoint, runs and evaluations', async () => {
      const counts = await both('ApplyDataQuery', { query: "origin == 'train_loader'" })
      await both('ApplyDataQuery', { query: '@reset', is_natural_language: true })
      await both('ApplyDataQuery', { query: 'where are the cats', is_natural_language: true })
      expect(fresh()).toEqual([
        ok({ query_type: 'pandas', results_count: counts['number_of_samples_in_the_loop'], all_samples_count: counts['number_of_all_samples'], discarded_count: counts['number_of_discarded_samples'], message: counts['message'], query_text: "origin == 'train_loader'" }, 'query_execute'),
        { action_type: 'query_execute', status: 'failed', details: { query_text: 'where are the cats' }, error: 'Natural language queries require agent (not available)' },
      ])

      const [current, other] = direct.state.runs.map((run) => run.experiment_hash)
      await both('RestoreCheckpoint', { experiment_hash: other })
      await both('RestoreCheckpoint', { experiment_hash: `${current}@@weights_step=100` })
      await both('RestoreCheckpoint', { experiment_hash: 'deadbeef' })
      expect(fresh()).toEqual([
        ok({ checkpoint_id: other, checkpoint_step: null, weights_only: false }, 'checkpoint_restore'),
        ok({ checkpoint_id: current, checkpoint_step: 100, weights_only: true }, 'checkpoint_restore'),
        { action_type: 'checkpoint_restore', status: 'failed', details: { checkpoint_id: 'deadbeef' }, error: 'Failed to restore checkpoint deadbeef' },
      ])

      await both('RenameExperimentRun', { experiment_hash: current, new_name: 'mnist-v2' })
      await both('RenameExperimentRun', { experiment_hash: 'nope', new_name: 'x' })
      await both('SetExperimentRunNotes', { experiment_hash: current, notes: 'lr too high' })
      await both('ListExperimentRuns')
      expect(fresh()).toEqual([
        ok({ experiment_hash: current, new_name: 'mnist-v2' }, 'experiment_rename'),
        { action_type: 'experiment_rename', status: 'failed', details: { experiment_hash: 'nope', new_name: 'x' }, error: null },
        ok({ experiment_hash: current, notes: 'lr too high' }, 'experiment_notes_set'),
      ])

      await both('TriggerEvaluation', { split_name: '' })
      await both('TriggerEvaluation', { split_name: 'val_loader', tags: ['hard'], use_full_set: false })
      await both('GetEvaluationStatus')
      await both('CancelEvaluation', { reason: 'wrong split' })
      expect(fresh()).toEqual([
        { action_type: 'evaluation_start', status: 'failed', details: {}, error: 'split_name is required' },
        ok({ eval_mode: 'val_loader', tags: ['hard'], use_full_set: false }, 'evaluation_start'),
        ok({ reason: 'wrong split' }, 'evaluation_cancel'),
      ])
    })

    it('the notebook: cells stream intact and log notebook_run; save, interrupt and generate', async () => {
      const code = 'print("hello")\n41 + 1'
      const [a, b] = await Promise.all([collect(toDirect, 'RunNotebookCell', { cell_id: 'c1', code }), collect(toProxy, 'RunNotebookCell', { cell_id: 'c1', code })])
      expect(b).toEqual(a)
      const [, raised] = await Promise.all([collect(toDirect, 'RunNotebookCell', { cell_id: 'c2', code: 'raise ValueError("bad")' }), collect(toProxy, 'RunNotebookCell', { cell_id: 'c2', code: 'raise ValueError("bad")' })])
      expect(raised.at(-1)).toMatchObject({ done: { ok: false } })
      const events = fresh()
      expect(events).toMatchObject([
        { action_type: 'notebook_run', status: 'success', details: { cell_id: 'c1', code, elapsed_s: expect.any(Number) }, error: null },
        { action_type: 'notebook_run', status: 'failed', details: { cell_id: 'c2', code: 'raise ValueError("bad")', elapsed_s: expect.any(Number) }, error: null },
      ])

      await both('GetNotebook')
      const json = '{"cells":[],"nbformat":4,"note":"ünï"}'
      const saved = await both('SaveNotebook', { ipynb_json: json, name: 'eda' })
      await both('InterruptNotebookCell')
      await both('GenerateNotebookCode', { prompt: 'show the head' })
      expect(fresh()).toEqual([
        ok({ path: saved['path'], bytes: [...json].length }, 'notebook_save'),
        { action_type: 'notebook_interrupt', status: 'failed', details: {}, error: 'No cell is currently running.' },
        { action_type: 'notebook_generate_code', status: 'failed', details: { prompt: 'show the head' }, error: 'Agent backend is not running.' },
      ])
    })

    it('read streams pass through intact, and a cancelled one cancels the backend stream', async () => {
      for (const [method, request] of [['GetPointCloud', { sample_id: '3', origin: 'train_loader' }], ['GetMedia', { sample_id: '1' }]] as const) {
        const [a, b] = await Promise.all([collect(toDirect, method, request), collect(toProxy, method, request)])
        expect(b.length).toBeGreaterThan(1)
        expect(b).toEqual(a)
      }
      // Slow chunks, on a backend and proxy of their own, so that the stream is surely still running when cancelled.
      const slowBackend = await startWeightsLabBackend({ protoPath: proto.file, chunkDelayMs: 300 })
      const slowProxy = await startAuditProxy({ target: slowBackend.address, protoPath: proto.file, mapping: weightslabMapping, logger: new AuditLogger(tempDir('auditrail-proxy-wl-'), 'slow', { format: 'none' }), onWarning: () => {} })
      const toSlow = new Client(slowProxy.address, grpc.credentials.createInsecure())
      try {
        const call = stream(toSlow, 'GetMedia', { sample_id: '1', kind: 'video' })
        call.on('error', () => undefined)
        await new Promise((resolve) => call.once('data', resolve))
        call.cancel()
        await expect.poll(() => slowBackend.state.cancellations.length, { timeout: 10_000 }).toBe(1)
        expect(slowBackend.state.cancellations[0]?.method).toBe('GetMedia')
      } finally {
        toSlow.close()
        await slowProxy.close()
        await slowBackend.close()
      }
      await both('GetDataSamples', { start_index: 0, records_cnt: 3 })
      await both('GetLatestLoggerData', { request_full_history: true, max_points: 100 })
      await both('CheckAgentHealth')
      expect(fresh()).toEqual([])
    })

    if ('InitializeAgent' in (definition['ExperimentService'] as object)) {
      it("the real proto's agent RPCs: forwarded as they are (the stand-in answers UNIMPLEMENTED), logged, the API key never", async () => {
        await expect(unary(toProxy, 'InitializeAgent', { api_key: 'sk-secret', provider: 'PROVIDER_OPENCODE', model: 'm1' })).rejects.toMatchObject({ code: grpc.status.UNIMPLEMENTED })
        const events = fresh()
        expect(events).toMatchObject([{ action_type: 'agent_initialize', status: 'failed', details: { provider: 'PROVIDER_OPENCODE', model: 'm1' } }])
        expect(JSON.stringify(events)).not.toContain('sk-secret')
      })
    }

    it('a backend error status is forwarded, and logged as failed for a mutating call', async () => {
      proxied.failNext('RestoreCheckpoint', grpc.status.RESOURCE_EXHAUSTED, 'lock timeout')
      await expect(unary(toProxy, 'RestoreCheckpoint', { experiment_hash: 'x' })).rejects.toMatchObject({ code: grpc.status.RESOURCE_EXHAUSTED, details: 'lock timeout' })
      expect(fresh()).toEqual([{ action_type: 'checkpoint_restore', status: 'failed', details: { checkpoint_id: 'x' }, error: 'lock timeout' }])
      // Every event so far was accepted by the strict logger.
      expect(auditErrors).toEqual([])
    })
  })
}
