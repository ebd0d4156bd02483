/**
 * The Quick start demo: a real gRPC session against an audited ExperimentService, then the log's summary.
 * Starts the service on a free loopback port, plays a user's session through a real client, prints the
 * summary, the failures, the final state (from the service, and replayed from the log) and the log's path,
 * and exits 0. The log is hash-chained (`integrity: 'sha256-chain'`) and each event names its actor, the user the
 * client sends as `x-user` metadata; the end of the run verifies the chain and prints its head.
 * Honours AUDIT_LOG_FORMAT (json, csv, none) and AUDITRAIL_DIR (default ./root_experiment).
 * `--serve` (or AUDITRAIL_DEMO_SERVE=1) keeps the server running afterwards for your own client;
 * AUDITRAIL_DEMO_PORT picks its port (default: a free one).
 */
import { AuditLogger, summarizeEvents, verifyLog, type AuditEvent } from 'auditrail'
import { grpcErrorMessage } from '@auditrail/grpc'
import { createExperimentClient, type ExperimentClient } from './experiment-client.js'
import { EXPERIMENT_PROTO_PATH } from './experiment-service.js'
import { startExperimentServer } from './experiment-server.js'
import { describeReplayedState } from './replayed-state.js'

const serve = process.argv.includes('--serve') || process.env['AUDITRAIL_DEMO_SERVE'] === '1'
const port = Number(process.env['AUDITRAIL_DEMO_PORT'] ?? 0)
if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`AUDITRAIL_DEMO_PORT: expected a port number, got ${process.env['AUDITRAIL_DEMO_PORT']}`)

/** One step of the scripted session: what a person clicked, and the RPC their UI sent. */
interface Step {
  readonly label: string
  readonly call: (client: ExperimentClient) => Promise<unknown>
}

const session: readonly Step[] = [
  { label: 'change learning_rate to 0.001', call: (c) => c.experimentCommand({ hyperparameter_change: { changes: { learning_rate: 0.001 } } }) },
  { label: 'change batch_size to 32', call: (c) => c.experimentCommand({ hyperparameter_change: { changes: { batch_size: 32 } } }) },
  { label: 'pause training', call: (c) => c.experimentCommand({ pause: { reason: 'inspect loss spike' } }) },
  { label: 'resume training', call: (c) => c.experimentCommand({ resume: {} }) },
  { label: 'switch to audit mode', call: (c) => c.experimentCommand({ mode_switch: { mode: 'audit' } }) },
  { label: 'tag s17, s42, s97 as "defect"', call: (c) => c.editDataSample({ type: 'TAG_ADD', sample_ids: ['s17', 's42', 's97'], tag_name: 'defect' }) },
  { label: 'discard s17 and s42 (mislabeled)', call: (c) => c.editDataSample({ type: 'SAMPLE_DISCARD', sample_ids: ['s17', 's42'], reason: 'mislabeled' }) },
  { label: 'run the query "loss >> 2"', call: (c) => c.applyDataQuery({ query_type: 'natural_language', query_text: 'loss >> 2' }) },
  { label: 'restore checkpoint ckpt_999', call: (c) => c.restoreCheckpoint({ checkpoint_id: 'ckpt_999' }) },
  { label: 'start an evaluation on val', call: (c) => c.triggerEvaluation({ split_name: 'val' }) },
  { label: 'write a note on val_loss @1200', call: (c) => c.experimentCommand({ plot_note: { plot_name: 'val_loss', point_id: 1200, note: 'after discarding mislabeled samples' } }) },
]

const logger = new AuditLogger(process.env['AUDITRAIL_DIR'] ?? 'root_experiment', 'demo-resnet18', { integrity: 'sha256-chain' })
// A rerun appends to the log the last run left (an audit log is never started afresh behind the user's back): say so,
// or the totals below (the file's) would silently disagree with this session's.
const earlier = logger.logPath === undefined ? 0 : logger.getLogSummary().total_events
const audited: AuditEvent[] = []
logger.events$.subscribe((event) => audited.push(event))
const server = await startExperimentServer({ logger, port })
const client = createExperimentClient(server.address, {}, { user: 'ana@lab' })
if (earlier > 0) {
  console.log(`This log continues an earlier run: ${logger.logPath} already holds ${earlier} earlier event${earlier === 1 ? '' : 's'}; this session's are appended after them.`)
  console.log(`  (For a fresh log, remove that file or set AUDITRAIL_DIR to a new directory.)\n`)
}
console.log(`ExperimentService (gRPC) listening on ${server.address}; playing ana@lab's session through a real client:`)

for (const step of session) {
  try {
    await step.call(client)
    console.log(`  ok      ${step.label}`)
  } catch (error) {
    console.log(`  failed  ${step.label}: ${grpcErrorMessage(error)}`)
  }
}
// Read-only RPCs are not audited: this call adds no event.
const state = await client.getExperimentState()

const summary = summarizeEvents(audited)
console.log(`\nExperiment ${logger.experimentName}: ${summary.total_events} events audited over gRPC (format: ${logger.format})`)
console.log('By action type:', summary.by_action_type)
console.log('By status:     ', summary.by_status)
for (const event of audited.filter((e) => e.status === 'failed')) console.log(`FAILED ${event.action_type} at ${event.timestamp} by ${event.actor ?? 'unknown'}: ${event.error}`)

// Final state as the service reports it (GetExperimentState, read-only)...
console.log('\nFinal state (GetExperimentState):')
console.log(`  hyperparameters: ${JSON.stringify(state.hyperparameters)}`)
console.log(`  training:        ${state.paused ? 'paused' : 'running'}, mode ${state.mode}, step ${state.step}`)
console.log(`  data:            ${state.sample_count} samples, ${state.discarded_count} discarded, tags ${JSON.stringify(state.tag_counts)}`)
console.log(`  evaluations:     ${state.evaluations.map((e) => `${e.split_name} loss ${e.loss} accuracy ${e.accuracy}`).join('; ')}`)
console.log(`  notes:           ${state.notes.map((n) => `${n.plot_name}@${n.point_id}: ${n.note}`).join('; ')}`)
// ...and as @auditrail/replay rebuilds it from the log alone (from this session's events when nothing is written).
console.log(`\nReplayed from ${logger.logPath ?? 'the session\'s events'}${earlier > 0 ? ` (the ${earlier} earlier events, then this session's)` : ''}:`)
for (const line of describeReplayedState(logger.logPath === undefined ? audited : logger.readEvents({ order: 'oldest-first' }))) console.log(line)

if (logger.logPath === undefined) console.log('\nNo file written (AUDIT_LOG_FORMAT=none).')
else {
  const total = logger.getLogSummary().total_events
  console.log(`\nLog file: ${logger.logPath} (${total} events in all${earlier > 0 ? `: ${earlier} from earlier runs, ${total - earlier} from this one` : ''})`)
  const verified = verifyLog(logger.logPath)
  const head = verified.chain?.head
  console.log(
    verified.ok && head !== undefined
      ? `Hash chain verified, seq 1–${head.seq}; head ${head.seq}:${head.hash}\n  (keep the head elsewhere; later: npx -y pnpm@12.4.2 auditrail verify ${logger.rootLogDir} --expect-head ${head.seq}:${head.hash})`
      : `Hash chain does NOT verify: ${verified.findings.map((f) => f.message).join('; ')}`,
  )
  console.log(`See it: npx -y pnpm@12.4.2 auditrail report ${logger.rootLogDir} -o report.html (one offline HTML page; \`auditrail serve ${logger.rootLogDir}\` for a live view)`)
}

if (serve) {
  client.close()
  console.log(`\nServing on ${server.address} until Ctrl-C; the proto is ${EXPERIMENT_PROTO_PATH}.`)
  console.log('Every audited RPC you send is appended to the log. Try it from another terminal with a grpc-js client.')
  const stop = (): void => {
    void server.close().then(() => {
      logger.close()
      process.exit(0)
    })
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
} else {
  client.close()
  await server.close()
  logger.close()
}
