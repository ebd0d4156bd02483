import { fileURLToPath } from 'node:url'
import * as grpc from '@grpc/grpc-js'
import * as protoLoader from '@grpc/proto-loader'
import type {
  DataQueryRequest,
  EditDataSampleRequest,
  ExperimentCommandRequest,
  RestoreCheckpointRequest,
  TriggerEvaluationRequest,
} from './experiment-messages.js'
import type { Trainer } from './trainer.js'
import { TrainerError } from './trainer-error.js'

/** The proto file, resolved from `examples/src` (tests) and `examples/dist` (the built demo) alike. */
export const EXPERIMENT_PROTO_PATH = fileURLToPath(new URL('../../proto/experiment_service.proto', import.meta.url))

/** The loaded ExperimentService: its definition for servers and its client constructor. */
export interface ExperimentServiceDescriptor {
  readonly service: grpc.ServiceDefinition
  readonly Client: grpc.ServiceClientConstructor
}

let loaded: ExperimentServiceDescriptor | undefined

/** Loads proto/experiment_service.proto at run time (once per process). */
export function loadExperimentService(): ExperimentServiceDescriptor {
  if (loaded !== undefined) return loaded
  const definition = protoLoader.loadSync(EXPERIMENT_PROTO_PATH, { keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true })
  const root = grpc.loadPackageDefinition(definition) as unknown as { auditrail: { experiment: { v1: { ExperimentService: grpc.ServiceClientConstructor } } } }
  const ctor = root.auditrail.experiment.v1.ExperimentService
  loaded = { service: ctor.service, Client: ctor }
  return loaded
}

const STATUS_OF_KIND = {
  invalid_argument: grpc.status.INVALID_ARGUMENT,
  not_found: grpc.status.NOT_FOUND,
  failed_precondition: grpc.status.FAILED_PRECONDITION,
} as const

/** The gRPC error a handler answers with: a trainer refusal keeps its message under the matching code. */
function toServiceError(error: unknown): grpc.ServiceError {
  const code = error instanceof TrainerError ? STATUS_OF_KIND[error.kind] : grpc.status.INTERNAL
  const details = error instanceof Error ? error.message : String(error)
  return Object.assign(new Error(details), { code, details, metadata: new grpc.Metadata() })
}

/** Runs one trainer operation and answers the unary call with its result or its refusal. */
function answer<T>(callback: grpc.sendUnaryData<T>, operation: () => T): void {
  let result: T
  try {
    result = operation()
  } catch (error) {
    callback(toServiceError(error))
    return
  }
  callback(null, result)
}

function runCommand(trainer: Trainer, request: ExperimentCommandRequest): string {
  switch (request.command) {
    case 'hyperparameter_change':
      trainer.changeHyperparameters(request.hyperparameter_change?.changes ?? {})
      return 'hyperparameters changed'
    case 'pause':
      trainer.pause()
      return 'training paused'
    case 'resume':
      trainer.resume()
      return 'training resumed'
    case 'mode_switch':
      trainer.switchMode(request.mode_switch?.mode ?? '')
      return `mode is now ${trainer.training().mode}`
    case 'plot_note': {
      const note = request.plot_note
      trainer.writeNote(note?.plot_name ?? '', note?.point_id ?? 0, note?.note ?? '')
      return note?.note === '' ? 'note cleared' : 'note written'
    }
    default:
      throw new TrainerError('invalid_argument', 'ExperimentCommand needs one command')
  }
}

function editSamples(trainer: Trainer, request: EditDataSampleRequest): number {
  const ids = request.sample_ids
  switch (request.type) {
    case 'TAG_ADD':
      return trainer.addTag(request.tag_name ?? '', ids)
    case 'TAG_REMOVE':
      return trainer.removeTag(request.tag_name ?? '', ids)
    case 'SAMPLE_DISCARD':
      return trainer.setDiscarded(ids, true)
    case 'SAMPLE_RESTORE':
      return trainer.setDiscarded(ids, false)
    default:
      throw new TrainerError('invalid_argument', `Unknown edit type: ${request.type}`)
  }
}

/**
 * The ExperimentService's handlers over a trainer. Plain grpc-js handlers with no audit code at all:
 * `createAuditedService` adds the auditing.
 */
export function createExperimentHandlers(trainer: Trainer) {
  return {
    ExperimentCommand(call: grpc.ServerUnaryCall<ExperimentCommandRequest, unknown>, callback: grpc.sendUnaryData<unknown>): void {
      answer(callback, () => ({ message: runCommand(trainer, call.request), state: trainer.snapshot() }))
    },
    EditDataSample(call: grpc.ServerUnaryCall<EditDataSampleRequest, unknown>, callback: grpc.sendUnaryData<unknown>): void {
      answer(callback, () => ({ samples_affected: editSamples(trainer, call.request) }))
    },
    // Written as an async handler on purpose: the wrapper must audit rejections as it audits callbacks.
    async ApplyDataQuery(call: grpc.ServerUnaryCall<DataQueryRequest, unknown>, callback: grpc.sendUnaryData<unknown>): Promise<void> {
      const { query_type: type, query_text: text } = call.request
      if (type !== 'filter' && type !== 'natural_language') throw toServiceError(new TrainerError('invalid_argument', `Unknown query_type: ${JSON.stringify(type)}`))
      await Promise.resolve()
      answer(callback, () => ({ sample_ids: trainer.applyQuery(text) }))
    },
    RestoreCheckpoint(call: grpc.ServerUnaryCall<RestoreCheckpointRequest, unknown>, callback: grpc.sendUnaryData<unknown>): void {
      answer(callback, () => ({ step: trainer.restoreCheckpoint(call.request.checkpoint_id) }))
    },
    TriggerEvaluation(call: grpc.ServerWritableStream<TriggerEvaluationRequest, unknown>): void {
      let batches: Array<{ loss: number; accuracy: number }>
      try {
        batches = trainer.evaluate(call.request.split_name)
      } catch (error) {
        call.emit('error', toServiceError(error))
        return
      }
      // One progress message per turn of the event loop, as a real evaluation would trickle them out.
      const send = (index: number): void => {
        const batch = batches[index]
        if (batch === undefined || call.cancelled) {
          call.end()
          return
        }
        call.write({ batch: index + 1, total_batches: batches.length, ...batch })
        setImmediate(send, index + 1)
      }
      send(0)
    },
    GetExperimentState(_call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>): void {
      answer(callback, () => trainer.snapshot())
    },
    GetSamples(call: grpc.ServerUnaryCall<{ sample_ids: string[] }, unknown>, callback: grpc.sendUnaryData<unknown>): void {
      answer(callback, () => ({ samples: trainer.samples(call.request.sample_ids) }))
    },
  }
}
