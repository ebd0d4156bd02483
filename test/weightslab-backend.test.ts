// The WeightsLab stand-in backend, driven by real grpc-js clients over loopback: every RPC at least once, the
// success=false answers WeightsLab gives with status OK, a cancelled stream, and failNext's real gRPC statuses.
// The same tests run against our proto and, when ../shared/weightslab holds it, against WeightsLab's own file —
// client and server both loaded from it — which is what the auditing proxy will meet in production.
import { existsSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import * as grpc from '@grpc/grpc-js'
import * as protoLoader from '@grpc/proto-loader'
import { startWeightsLabBackend, weightsLabMethods, type WeightsLabBackend, type WeightsLabMethod } from '@auditrail/testkit'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

const repoRoot = fileURLToPath(new URL('..', import.meta.url))
const protos: { label: string; file: string }[] = [{ label: 'our proto/weightslab', file: path.join(repoRoot, 'proto/weightslab/experiment_service.proto') }]
const realProto = path.resolve(repoRoot, '../shared/weightslab/experiment_service.proto')
if (existsSync(realProto)) protos.push({ label: "WeightsLab's own proto [needs ../shared/weightslab]", file: realProto })

type Msg = Record<string, unknown>
type UnaryFn = (request: Msg, callback: (error: grpc.ServiceError | null, response: Msg) => void) => void
type StreamFn = (request: Msg) => grpc.ClientReadableStream<Msg>

for (const proto of protos) {
  describe(`WeightsLab backend over ${proto.label}`, () => {
    const definition = protoLoader.loadSync(proto.file, { keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true })
    const Client = grpc.makeGenericClientConstructor(definition['ExperimentService'] as protoLoader.ServiceDefinition, 'ExperimentService')
    const called = new Set<WeightsLabMethod>()
    let backend: WeightsLabBackend
    let client: grpc.Client

    beforeEach(async () => {
      backend = await startWeightsLabBackend({ protoPath: proto.file, chunkDelayMs: 20 })
      client = new Client(backend.address, grpc.credentials.createInsecure())
    })
    afterEach(async () => {
      for (const c of backend.state.calls) called.add(c.method)
      client.close()
      await backend.close()
    })

    const method = <T>(name: WeightsLabMethod): T => (client as unknown as Record<string, (...args: unknown[]) => unknown>)[name]?.bind(client) as T
    const call = (name: WeightsLabMethod, request: Msg = {}): Promise<Msg> =>
      new Promise((resolve, reject) => method<UnaryFn>(name)(request, (error, response) => (error ? reject(error) : resolve(response))))
    const callError = (name: WeightsLabMethod, request: Msg = {}): Promise<grpc.ServiceError> =>
      call(name, request).then(
        () => { throw new Error(`${name} succeeded`) },
        (error: grpc.ServiceError) => error,
      )
    const collect = (name: WeightsLabMethod, request: Msg): Promise<Msg[]> =>
      new Promise((resolve, reject) => {
        const chunks: Msg[] = []
        const stream = method<StreamFn>(name)(request)
        stream.on('data', (chunk: Msg) => chunks.push(chunk))
        stream.on('error', reject)
        stream.on('end', () => resolve(chunks))
      })
    const waitFor = async (check: () => boolean): Promise<void> => {
      for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10))
      expect(check()).toBe(true)
    }
    const hp = (hyper_parameters: Msg): Msg => ({ hyper_parameter_change: { hyper_parameters } })

    it('ExperimentCommand get_hyper_parameters returns the current values; a change applies WeightsLab\'s keys and pauses', async () => {
      const before = await call('ExperimentCommand', { get_hyper_parameters: true })
      expect(before).toMatchObject({ success: true, message: '' })
      expect(before['hyper_parameters_descs']).toContainEqual(expect.objectContaining({ name: 'batch_size', type: 'number', numerical_value: 32 }))
      backend.state.hyperParameters.is_training = true
      const changed = await call('ExperimentCommand', hp({ batch_size: 128, training_steps_to_do: 50, learning_rate: 0.5 }))
      expect(changed).toMatchObject({ success: true, message: 'Command executed successfully' })
      expect(backend.state.hyperParameters).toMatchObject({ batch_size: 128, training_steps_to_do: 50, learning_rate: 0.001, is_training: false })
      const after = await call('ExperimentCommand', { get_hyper_parameters: true })
      expect(after['hyper_parameters_descs']).toContainEqual(expect.objectContaining({ name: 'batch_size', numerical_value: 128 }))
      expect(after['hyper_parameters_descs']).toContainEqual(expect.objectContaining({ name: 'training_left', numerical_value: 50 }))
    })

    it('ExperimentCommand is_training resumes and pauses, modes switch, and a pending evaluation blocks a resume', async () => {
      await call('ExperimentCommand', hp({ is_training: true, nb_steps: 30 }))
      expect(backend.state.hyperParameters.is_training).toBe(true)
      expect(backend.state.pauseAtStep).toBe(230)
      await call('ExperimentCommand', hp({ is_training: false }))
      expect(backend.state.hyperParameters.is_training).toBe(false)
      await call('ExperimentCommand', hp({ auditor_mode: true, evaluation_mode: true }))
      expect(backend.state.hyperParameters).toMatchObject({ auditor_mode: true, evaluation_mode: true })
      await call('ExperimentCommand', hp({ evaluation_config: JSON.stringify({ split: 'val_loader', tags: ['hard'] }) }))
      expect(backend.state.evaluation).toMatchObject({ status: 'requested', split_name: 'val_loader', tags: ['hard'] })
      await call('ExperimentCommand', hp({ is_training: true }))
      expect(backend.state.hyperParameters.is_training).toBe(false)
    })

    it('ExperimentCommand load_checkpoint: a missing step answers OK with success=false; an existing one loads', async () => {
      const missing = await call('ExperimentCommand', { ...hp({}), load_checkpoint_operation: { checkpoint_id: 150 } })
      expect(missing).toEqual(expect.objectContaining({ success: false, message: 'Checkpoint 150 not found' }))
      expect(backend.state.modelAge).toBe(200)
      const loaded = await call('ExperimentCommand', { ...hp({}), load_checkpoint_operation: { checkpoint_id: 100 } })
      expect(loaded).toMatchObject({ success: true, message: 'Loaded checkpoint 100' })
      expect(backend.state.modelAge).toBe(100)
      // Without a hyper_parameter_change WeightsLab never reaches the load: an empty successful read.
      const alone = await call('ExperimentCommand', { load_checkpoint_operation: { checkpoint_id: 0 } })
      expect(alone).toMatchObject({ success: true, message: '' })
      expect(backend.state.modelAge).toBe(100)
    })

    it('ExperimentCommand plot notes, checkpoint saves, restarts, and reads of layers and records', async () => {
      const hash = backend.state.currentExperimentHash
      expect(await call('ExperimentCommand', { plot_note_operation: { metric_name: 'train/loss', experiment_hash: hash, model_age: 100, note: 'spike' } }))
        .toMatchObject({ success: true, message: 'Saved note for train/loss @ step 100' })
      expect(backend.state.signals.find((p) => p.model_age === 100 && p.metric_name === 'train/loss')?.point_note).toBe('spike')
      expect(await call('ExperimentCommand', { plot_note_operation: { metric_name: 'train/loss', experiment_hash: hash, model_age: 100, note: '' } }))
        .toMatchObject({ success: true, message: 'Cleared note for train/loss @ step 100' })
      expect(await call('ExperimentCommand', { plot_note_operation: { metric_name: 'train/loss', experiment_hash: hash, model_age: 7, note: 'x' } }))
        .toMatchObject({ success: false, message: `Signal point not found for note update: train/loss@${hash}:7` })
      expect(await call('ExperimentCommand', { save_checkpoint_operation: { save_optimizer: true } }))
        .toMatchObject({ success: true, message: 'Saved weights, optimizer (training paused).' })
      expect(backend.state.savedCheckpoints).toHaveLength(1)
      backend.state.modelRegistered = false
      expect((await call('ExperimentCommand', { save_checkpoint_operation: {} }))['success']).toBe(false)
      expect(await call('ExperimentCommand', { restart_operation: {} })).toMatchObject({ success: true })
      expect(backend.state.restarts).toBe(1)
      backend.state.modelRegistered = true
      const read = await call('ExperimentCommand', { get_interactive_layers: true, get_data_records: 'val_loader' })
      expect(read['layer_representations']).toHaveLength(2)
      expect(read['sample_statistics']).toMatchObject({ origin: 'val_loader', sample_count: 2 })
    })

    it('EditDataSample adds, toggles and removes tags, discards and restores, registers tags, and refuses what WeightsLab refuses', async () => {
      const edit = (fields: Msg): Promise<Msg> => call('EditDataSample', fields)
      expect(await edit({ stat_name: 'tags', string_value: 'hard', type: 'EDIT_ACCUMULATE', samples_ids: ['0', '1'], sample_origins: ['train_loader', 'train_loader'] }))
        .toMatchObject({ success: true, message: 'Edited 2 samples' })
      expect(backend.state.samples.filter((s) => s.tags.includes('hard')).map((s) => s.sample_id)).toEqual(['0', '1'])
      await edit({ stat_name: 'tags', string_value: 'hard', type: 'EDIT_ACCUMULATE', samples_ids: ['1'], sample_origins: ['train_loader'] })
      expect(backend.state.samples.filter((s) => s.tags.includes('hard')).map((s) => s.sample_id)).toEqual(['0']) // WeightsLab toggles
      await edit({ stat_name: 'tags', string_value: 'hard', type: 'EDIT_REMOVE', samples_ids: ['0'], sample_origins: ['train_loader'] })
      expect(backend.state.samples.some((s) => s.tags.includes('hard'))).toBe(false)
      await edit({ stat_name: 'discarded', bool_value: true, samples_ids: ['2', '6'], sample_origins: ['train_loader', 'val_loader'] })
      expect(backend.state.samples.filter((s) => s.discarded).map((s) => s.sample_id)).toEqual(['2', '6'])
      await edit({ stat_name: 'discarded', bool_value: false, samples_ids: ['6'], sample_origins: ['val_loader'] })
      expect(backend.state.samples.filter((s) => s.discarded).map((s) => s.sample_id)).toEqual(['2'])
      expect(await edit({ stat_name: '__register_tag__', string_value: 'tag:blurry' })).toMatchObject({ success: true, message: "Tag 'blurry' registered" })
      expect(backend.state.registeredTags).toEqual(['blurry'])
      expect(await edit({ stat_name: 'loss', samples_ids: ['0'], sample_origins: ['train_loader'] })).toMatchObject({ success: false })
      expect((await edit({ stat_name: 'tags', string_value: 'x', samples_ids: [], sample_origins: [] }))['success']).toBe(false)
    })

    it('ApplyDataQuery returns counts, filters, resets, and needs an agent for natural language', async () => {
      backend.state.samples[0]!.discarded = true
      expect(await call('ApplyDataQuery', { query: '' })).toMatchObject({
        success: true, message: 'Current dataframe has 8 samples', number_of_all_samples: 8, number_of_samples_in_the_loop: 7, number_of_discarded_samples: 1,
      })
      expect(await call('ApplyDataQuery', { query: "origin == 'train_loader' and discarded == False" }))
        .toMatchObject({ success: true, number_of_all_samples: 5, number_of_discarded_samples: 0 })
      expect(await call('ApplyDataQuery', { query: 'where are the cats', is_natural_language: true }))
        .toMatchObject({ success: false, message: 'Natural language queries require agent (not available)' })
      expect(await call('ApplyDataQuery', { query: 'loss >> 3' })).toMatchObject({ success: false })
      expect(await call('ApplyDataQuery', { query: '@reset', is_natural_language: true })).toMatchObject({ success: true, message: 'View has been reset successfully.' })
      expect(await call('ApplyDataQuery', { query: '' })).toMatchObject({ number_of_all_samples: 8 })
    })

    it('RestoreCheckpoint restores a run or one step of its weights, and answers success=false for a missing one', async () => {
      const [current, other] = backend.state.runs.map((r) => r.experiment_hash)
      expect(await call('RestoreCheckpoint', { experiment_hash: other })).toEqual({ success: true, message: `Checkpoint ${other} restored successfully` })
      expect(backend.state.currentExperimentHash).toBe(other)
      expect(await call('RestoreCheckpoint', { experiment_hash: `${current}@@weights_step=100` })).toEqual({ success: true, message: `Weights restored from checkpoint ${current}` })
      expect(backend.state.modelAge).toBe(100)
      expect(await call('RestoreCheckpoint', { experiment_hash: 'deadbeef' })).toEqual({ success: false, message: 'Failed to restore checkpoint deadbeef' })
      expect(await call('RestoreCheckpoint', { experiment_hash: `${current}@@weights_step=999` })).toMatchObject({ success: false })
    })

    it('ListExperimentRuns, RenameExperimentRun and SetExperimentRunNotes keep runs by hash', async () => {
      const hash = backend.state.currentExperimentHash
      expect(await call('RenameExperimentRun', { experiment_hash: hash, new_name: 'mnist-v2' })).toEqual({ success: true, message: `Renamed ${hash} to 'mnist-v2'` })
      expect(await call('RenameExperimentRun', { experiment_hash: 'nope', new_name: 'x' })).toEqual({ success: false, message: 'Failed to rename nope' })
      expect(await call('SetExperimentRunNotes', { experiment_hash: hash, notes: 'lr too high' })).toEqual({ success: true, message: 'Notes saved' })
      expect(await call('SetExperimentRunNotes', { experiment_hash: 'nope', notes: 'x' })).toEqual({ success: false, message: 'Failed to save notes for nope' })
      const { runs } = (await call('ListExperimentRuns')) as { runs: Msg[] }
      expect(runs).toHaveLength(2)
      expect(runs[0]).toMatchObject({ experiment_hash: hash, experiment_name: 'mnist-v2', notes: 'lr too high', latest_weight_step: 200, is_current: true })
    })

    it('TriggerEvaluation, GetEvaluationStatus and CancelEvaluation follow the evaluation controller', async () => {
      expect(await call('TriggerEvaluation', { split_name: '' })).toEqual({ success: false, message: 'split_name is required' })
      expect(await call('TriggerEvaluation', { split_name: 'val_loader', tags: ['hard'], use_full_set: false }))
        .toEqual({ success: true, message: "Evaluation on 'val_loader' requested" })
      expect(await call('GetEvaluationStatus')).toMatchObject({ status: 'requested', split_name: 'val_loader', message: 'Evaluation pending…' })
      backend.state.evaluation.status = 'running'
      expect(await call('TriggerEvaluation', { split_name: 'val_loader' })).toEqual({ success: false, message: 'Evaluation already in progress' })
      expect(await call('CancelEvaluation', { reason: 'wrong split' })).toEqual({ success: true, message: 'Evaluation canceled: wrong split' })
      expect(await call('GetEvaluationStatus')).toMatchObject({ status: 'canceled' })
      expect(await call('CancelEvaluation', {})).toEqual({ success: false, message: 'No active evaluation to cancel' })
    })

    it('GetDataSamples pages the samples and refuses a bad range', async () => {
      const page = await call('GetDataSamples', { start_index: 6, records_cnt: 5 })
      expect(page['success']).toBe(true)
      expect((page['data_records'] as Msg[]).map((r) => r['sample_id'])).toEqual(['6', '7'])
      expect(await call('GetDataSamples', { start_index: 0, records_cnt: 0 })).toMatchObject({ success: false, message: 'Invalid start_index or records_cnt' })
      expect(await call('GetDataSamples', { start_index: 20, records_cnt: 5 })).toMatchObject({ success: false, message: 'No samples found at index 20:25' })
    })

    it('GetLatestLoggerData returns points and curves, filtered by metric', async () => {
      const all = await call('GetLatestLoggerData', { request_full_history: true, max_points: 100 })
      expect(all['points']).toHaveLength(4)
      expect(all['curves']).toHaveLength(2)
      const loss = await call('GetLatestLoggerData', { metric_names: ['train/loss'], index_only: true })
      expect(loss['points']).toEqual([])
      expect(loss['curves']).toEqual([expect.objectContaining({ metric_name: 'train/loss', first_step: 0, last_step: 200, point_count: 3 })])
    })

    it('GetPointCloud streams several chunks, header first; a missing sample is one success=false chunk', async () => {
      const chunks = await collect('GetPointCloud', { sample_id: '3', origin: 'train_loader' })
      expect(chunks.length).toBeGreaterThan(1)
      expect(chunks[0]).toMatchObject({ success: true, num_points: 64, num_features: 4, chunk_index: 0, total_chunks: chunks.length })
      expect(chunks.reduce((n, c) => n + (c['data'] as Buffer).length, 0)).toBe(64 * 4 * 4)
      expect(await collect('GetPointCloud', { sample_id: '99' })).toEqual([expect.objectContaining({ success: false, message: 'Sample 99 not found (origin=any)' })])
    })

    it('a stream cancelled by the client stops, and the backend records the cancellation', async () => {
      const stream = method<StreamFn>('GetMedia')({ sample_id: '1', kind: 'video' })
      const seen: Msg[] = []
      const ended = new Promise<grpc.ServiceError>((resolve) => stream.on('error', resolve))
      stream.on('data', (chunk: Msg) => {
        seen.push(chunk)
        if (seen.length === 1) stream.cancel()
      })
      expect((await ended).code).toBe(grpc.status.CANCELLED)
      await waitFor(() => backend.state.cancellations.length === 1)
      const [cancellation] = backend.state.cancellations
      expect(cancellation?.method).toBe('GetMedia')
      expect(cancellation?.chunks_sent).toBeLessThan(seen[0]?.['total_chunks'] as number)
    })

    it('GetMedia streams a clip or its soundtrack', async () => {
      const video = await collect('GetMedia', { sample_id: '1' })
      expect(video[0]).toMatchObject({ success: true, mime_type: 'video/mp4', total_chunks: video.length })
      const audio = await collect('GetMedia', { sample_id: '1', kind: 'audio' })
      expect(audio[0]).toMatchObject({ mime_type: 'audio/wav', has_audio: true })
    })

    it('RunNotebookCell streams output chunks and ends with done; a raising cell ends with ok=false', async () => {
      const chunks = await collect('RunNotebookCell', { cell_id: 'c1', code: 'print("hello")\nprint(\'world\')\n41 + 1' })
      expect(chunks.map((c) => c['payload'])).toEqual(['stdout', 'stdout', 'result_text', 'done'])
      expect(chunks.map((c) => c['stdout']).filter(Boolean)).toEqual(['hello\n', 'world\n'])
      expect(chunks.at(-1)).toMatchObject({ cell_id: 'c1', done: { exec_count: 1, ok: true } })
      const failed = await collect('RunNotebookCell', { cell_id: 'c2', code: 'raise ValueError("bad")' })
      expect(failed[0]?.['error_traceback']).toContain('ValueError: bad')
      expect(failed.at(-1)).toMatchObject({ done: { exec_count: 2, ok: false } })
    })

    it('InterruptNotebookCell stops a running cell, and answers ok=false when none runs', async () => {
      expect(await call('InterruptNotebookCell')).toEqual({ ok: false, error: 'No cell is currently running.' })
      const stream = method<StreamFn>('RunNotebookCell')({ cell_id: 'slow', code: 'print("start")\ntime.sleep(20)\nprint("never")' })
      const chunks: Msg[] = []
      const done = new Promise<void>((resolve, reject) => {
        stream.on('data', (chunk: Msg) => {
          chunks.push(chunk)
          if (chunk['stdout'] === 'start\n') void call('InterruptNotebookCell').then((r) => expect(r).toEqual({ ok: true, error: '' }), reject)
        })
        stream.on('end', resolve)
        stream.on('error', reject)
      })
      await done
      expect(chunks.map((c) => c['payload'])).toEqual(['stdout', 'error_traceback', 'done'])
      expect(chunks[1]?.['error_traceback']).toContain('KeyboardInterrupt')
      expect(chunks[2]).toMatchObject({ done: { ok: false } })
    })

    it('GetNotebook writes a default on first use; SaveNotebook saves, renames, and refuses invalid JSON', async () => {
      const first = await call('GetNotebook')
      expect(first).toMatchObject({ existed: false, name: 'notebook', path: '/weightslab/root_log_dir/notebook.ipynb' })
      expect(JSON.parse(first['ipynb_json'] as string)).toMatchObject({ nbformat: 4 })
      const saved = await call('SaveNotebook', { ipynb_json: '{"cells":[],"nbformat":4}', name: 'analysis/../eda.ipynb' })
      expect(saved).toEqual({ ok: true, path: '/weightslab/root_log_dir/eda.ipynb', error: '', name: 'eda' })
      expect(await call('GetNotebook')).toMatchObject({ existed: true, name: 'eda', ipynb_json: '{"cells":[],"nbformat":4}' })
      const bad = await call('SaveNotebook', { ipynb_json: '{not json' })
      expect(bad).toMatchObject({ ok: false, path: '', name: 'eda' })
      expect(bad['error']).toMatch(/^invalid notebook JSON: /)
    })

    it('GenerateNotebookCode and CheckAgentHealth depend on the agent', async () => {
      expect(await call('CheckAgentHealth')).toEqual({ available: false, message: 'Agent not configured. Type /init to set up.' })
      expect(await call('GenerateNotebookCode', { prompt: 'show the head' })).toEqual({ code: '', explanation: '', ok: false, error: 'Agent backend is not running.' })
      backend.state.agentAvailable = true
      expect(await call('CheckAgentHealth')).toMatchObject({ available: true })
      expect(await call('GenerateNotebookCode', { prompt: 'show the head' })).toMatchObject({ ok: true, code: expect.stringContaining('show the head') })
    })

    it('failNext fails the next call of a method with a real gRPC status, once, unary or streaming', async () => {
      backend.failNext('ExperimentCommand', grpc.status.UNAVAILABLE, 'backend restarting')
      const error = await callError('ExperimentCommand', hp({ batch_size: 8 }))
      expect(error.code).toBe(grpc.status.UNAVAILABLE)
      expect(error.details).toBe('backend restarting')
      expect(backend.state.hyperParameters.batch_size).toBe(32) // the failed call changed nothing
      expect(await call('ExperimentCommand', hp({ batch_size: 8 }))).toMatchObject({ success: true })
      backend.failNext('RunNotebookCell', grpc.status.RESOURCE_EXHAUSTED)
      await expect(collect('RunNotebookCell', { cell_id: 'x', code: 'print(1)' })).rejects.toMatchObject({ code: grpc.status.RESOURCE_EXHAUSTED })
      expect(backend.state.calls.map((c) => `${c.method}:${c.status}`)).toEqual(['ExperimentCommand:UNAVAILABLE', 'ExperimentCommand:OK', 'RunNotebookCell:RESOURCE_EXHAUSTED'])
    })

    it('every RPC was called by the tests above', () => {
      expect([...called].sort()).toEqual([...weightsLabMethods].sort())
    })
  })
}
