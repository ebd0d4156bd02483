import * as grpc from '@grpc/grpc-js'
import type {
  DataQueryRequest,
  DataQueryResponse,
  EditDataSampleRequest,
  EditDataSampleResponse,
  EvaluationProgress,
  ExperimentCommandRequest,
  ExperimentCommandResponse,
  ExperimentState,
  RestoreCheckpointRequest,
  RestoreCheckpointResponse,
  SampleMessage,
  TriggerEvaluationRequest,
} from './experiment-messages.js'
import { loadExperimentService } from './experiment-service.js'

/** A promise-returning ExperimentService client, as a UI's backend would hold one. */
export interface ExperimentClient {
  experimentCommand(request: ExperimentCommandRequest): Promise<ExperimentCommandResponse>
  editDataSample(request: EditDataSampleRequest): Promise<EditDataSampleResponse>
  applyDataQuery(request: DataQueryRequest): Promise<DataQueryResponse>
  restoreCheckpoint(request: RestoreCheckpointRequest): Promise<RestoreCheckpointResponse>
  /** Collects the whole progress stream. */
  triggerEvaluation(request: TriggerEvaluationRequest): Promise<EvaluationProgress[]>
  getExperimentState(): Promise<ExperimentState>
  getSamples(sampleIds?: readonly string[]): Promise<SampleMessage[]>
  /** Closes the channel. */
  close(): void
}

type UnaryMethod = (request: unknown, metadata: grpc.Metadata, callback: (error: grpc.ServiceError | null, response: unknown) => void) => grpc.ClientUnaryCall
type StreamMethod = (request: unknown, metadata: grpc.Metadata) => grpc.ClientReadableStream<unknown>

/** Options of {@link createExperimentClient}. */
export interface ExperimentClientOptions {
  /** Sent as the `x-user` metadata entry of every call: who the UI's user is (the demo server records it as the actor). */
  readonly user?: string
}

/**
 * Connects to an ExperimentService at `address` (`host:port`) without TLS: loopback use only.
 * `channelOptions` go to grpc-js, e.g. `{ 'grpc.use_local_subchannel_pool': 1 }` for a connection of its own;
 * `options.user` is sent with every call as `x-user` metadata.
 */
export function createExperimentClient(address: string, channelOptions: grpc.ChannelOptions = {}, options: ExperimentClientOptions = {}): ExperimentClient {
  const { Client } = loadExperimentService()
  const metadata = (): grpc.Metadata => {
    const entries = new grpc.Metadata()
    if (options.user !== undefined) entries.set('x-user', options.user)
    return entries
  }
  const client = new Client(address, grpc.credentials.createInsecure(), channelOptions) as unknown as Record<string, UnaryMethod & StreamMethod> & grpc.Client
  const unary = <T>(method: string, request: unknown): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      ;(client[method] as UnaryMethod).call(client, request, metadata(), (error, response) => (error ? reject(error) : resolve(response as T)))
    })
  return {
    experimentCommand: (request) => unary('ExperimentCommand', request),
    editDataSample: (request) => unary('EditDataSample', request),
    applyDataQuery: (request) => unary('ApplyDataQuery', request),
    restoreCheckpoint: (request) => unary('RestoreCheckpoint', request),
    triggerEvaluation: (request) =>
      new Promise<EvaluationProgress[]>((resolve, reject) => {
        const messages: EvaluationProgress[] = []
        const stream = (client['TriggerEvaluation'] as StreamMethod).call(client, request, metadata())
        stream.on('data', (message: EvaluationProgress) => messages.push(message))
        stream.on('error', reject)
        stream.on('end', () => resolve(messages))
      }),
    getExperimentState: () => unary('GetExperimentState', {}),
    getSamples: async (sampleIds = []) => (await unary<{ samples: SampleMessage[] }>('GetSamples', { sample_ids: sampleIds })).samples,
    close: () => client.close(),
  }
}
