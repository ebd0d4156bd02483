export {
  actionTypeArbitrary,
  arbitraryFromCodec,
  auditEventsArbitrary,
  detailsArbitrary,
  errorMessageArbitrary,
  eventBodyArbitrary,
  jsonValueArbitrary,
} from './arbitraries.js'
export { changesFiles, replayOps, unsyncedOps } from './crash-replay.js'
export type { ReplayOptions } from './crash-replay.js'
export { createFaultyIo } from './faulty-io.js'
export type { FaultyIo, FileOp } from './faulty-io.js'
export { createRecordingIo } from './recording-io.js'
export type { RecordedOp, RecordingIo } from './recording-io.js'
export { describeSinkConformance } from './sink-conformance.js'
export type { SinkCapabilities, SinkConformanceOptions, SinkConformanceTarget } from './sink-conformance.js'
export { freePort, POSTGRES_BIN, startPostgres, startReplicatedPair, TEST_PASSWORD } from './postgres-server.js'
export type { PostgresServer, ReplicatedPair, StartPostgresOptions } from './postgres-server.js'
export { createWeightsLabState, defaultWeightsLabProtoPath, startWeightsLabBackend, weightsLabMethods } from './weightslab-backend.js'
export type {
  WeightsLabBackend,
  WeightsLabBackendOptions,
  WeightsLabCall,
  WeightsLabCancellation,
  WeightsLabEvaluation,
  WeightsLabHyperParameters,
  WeightsLabMethod,
  WeightsLabNotebook,
  WeightsLabRun,
  WeightsLabSample,
  WeightsLabSignalPoint,
  WeightsLabState,
} from './weightslab-backend.js'
