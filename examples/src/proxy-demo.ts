/**
 * `pnpm demo --proxy`: a stand-in of WeightsLab's Python backend (its real ExperimentService, in memory) behind
 * an auditing proxy with the WeightsLab mapping, and a session of WeightsLab Studio's calls sent to the proxy
 * as the UI server sends them. Nothing in the backend logs anything: every event comes from the proxy, with
 * WeightsLab's own action types and detail keys, before/after values for hyperparameter changes, and the user
 * from `x-user`. Writes a hash-chained log to AUDITRAIL_DIR (default ./weightslab_experiment) and prints it.
 */
import * as grpc from '@grpc/grpc-js'
import * as protoLoader from '@grpc/proto-loader'
import { startAuditProxy, weightslabMapping } from '@auditrail/grpc'
import { defaultWeightsLabProtoPath, startWeightsLabBackend } from '@auditrail/testkit/weightslab'
import { AuditLogger, verifyLog } from 'auditrail'

type Message = Record<string, unknown>
type Unary = (request: Message, metadata: grpc.Metadata, done: (error: grpc.ServiceError | null, response: Message) => void) => void

const dir = process.env['AUDITRAIL_DIR'] ?? 'weightslab_experiment'
const protoPath = defaultWeightsLabProtoPath()
const backend = await startWeightsLabBackend({ protoPath })
const logger = new AuditLogger(dir, 'weightslab-demo', { format: 'json', integrity: 'sha256-chain' })
const before = logger.getLogSummary().total_events
const proxy = await startAuditProxy({ target: backend.address, protoPath, mapping: weightslabMapping, logger, onWarning: (message) => console.warn(message) })
console.log(`WeightsLab backend (stand-in) on ${backend.address}; auditrail proxy on ${proxy.address} in front of it.`)
console.log(`A WeightsLab user does the same with: auditrail proxy --target 127.0.0.1:50051 --listen 127.0.0.1:50052 --mapping weightslab,`)
console.log('then starts the UI server with GRPC_BACKEND_PORT=50052.\n')

const definition = protoLoader.loadSync(protoPath, { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true })
const Service = (grpc.loadPackageDefinition(definition) as unknown as Record<string, grpc.ServiceClientConstructor>)['ExperimentService']
if (Service === undefined) throw new Error(`no ExperimentService in ${protoPath}`)
const client = new Service(proxy.address, grpc.credentials.createInsecure())

function call(user: string, method: string, request: Message): Promise<Message> {
  const metadata = new grpc.Metadata()
  metadata.set('x-user', user)
  return new Promise((resolve, reject) => {
    const fn = (client as unknown as Record<string, Unary>)[method]
    if (fn === undefined) throw new Error(`no method ${method}`)
    fn.call(client, request, metadata, (error, response) => (error === null ? resolve(response) : reject(error)))
  })
}

const hp = (hyper_parameters: Message): Message => ({ hyper_parameter_change: { hyper_parameters } })
const session: readonly [string, string, string, Message][] = [
  ['ana@lab', 'read the hyperparameters (read-only: not logged)', 'ExperimentCommand', { get_hyper_parameters: true }],
  ['ana@lab', 'set batch_size 64, 500 more steps', 'ExperimentCommand', hp({ batch_size: 64, training_steps_to_do: 500 })],
  ['ana@lab', 'start training', 'ExperimentCommand', hp({ is_training: true })],
  ['bo@lab', 'pause training', 'ExperimentCommand', hp({ is_training: false })],
  ['bo@lab', 'switch to audit mode', 'ExperimentCommand', hp({ auditor_mode: true })],
  ['bo@lab', 'tag samples 0 and 1 "blurry"', 'EditDataSample', { stat_name: 'tags', string_value: 'blurry', type: 'EDIT_ACCUMULATE', samples_ids: ['0', '1'], sample_origins: ['train_loader', 'train_loader'] }],
  ['bo@lab', 'discard sample 2', 'EditDataSample', { stat_name: 'discarded', bool_value: true, samples_ids: ['2'], sample_origins: ['train_loader'] }],
  ['bo@lab', "query origin == 'val_loader'", 'ApplyDataQuery', { query: "origin == 'val_loader'" }],
  ['bo@lab', 'ask the agent in plain words (no agent here)', 'ApplyDataQuery', { query: 'where are the cats', is_natural_language: true }],
  ['ana@lab', 'restore checkpoint step 150 (it does not exist)', 'ExperimentCommand', { ...hp({}), load_checkpoint_operation: { checkpoint_id: 150 } }],
  ['ana@lab', 'write a note on train/loss', 'ExperimentCommand', { plot_note_operation: { metric_name: 'train/loss', experiment_hash: backend.state.currentExperimentHash, model_age: 100, note: 'spike after the batch-size change' } }],
]
for (const [user, label, method, request] of session) {
  try {
    const response = await call(user, method, request)
    const failed = response['success'] === false
    console.log(`  ${failed ? 'failed' : 'ok    '}  ${user.padEnd(8)} ${label}${failed ? `: ${String(response['message'])}` : ''}`)
  } catch (error) {
    console.log(`  error   ${user.padEnd(8)} ${label}: ${error instanceof Error ? error.message : String(error)}`)
  }
}
client.close()
await proxy.close({ timeoutMs: 5000 }) // closes the logger once the last call's events are written

const reader = new AuditLogger(dir, 'weightslab-demo', { format: 'json' })
const events = [...reader.readEvents({ order: 'oldest-first' })].slice(before)
console.log(`\n${events.length} events written by the proxy${before > 0 ? ` (after ${before} from earlier runs in ${dir})` : ''}:`)
for (const event of events) {
  console.log(`  ${event.timestamp}  ${event.action_type.padEnd(18)} ${event.status.padEnd(7)} ${(event.actor ?? '').padEnd(8)} ${JSON.stringify(event.details)}${event.error === null ? '' : `  error: ${event.error}`}`)
}
reader.close()
const verified = verifyLog(dir)
console.log(`\nLog: ${dir}/audit_log.json, hash chain ${verified.ok ? `verified, head ${verified.chain?.head?.seq}:${verified.chain?.head?.hash}` : 'does NOT verify'}`)
console.log(`See it: npx -y pnpm@12.4.2 auditrail report ${dir} -o weightslab-report.html`)
await backend.close()
