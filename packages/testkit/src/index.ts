export {
  actionTypeArbitrary,
  arbitraryFromCodec,
  auditEventsArbitrary,
  detailsArbitrary,
  errorMessageArbitrary,
  eventBodyArbitrary,
  jsonValueArbitrary,
} from './arbitraries.js'
export { createFaultyIo } from './faulty-io.js'
export type { FaultyIo, FileOp } from './faulty-io.js'
export { describeSinkConformance } from './sink-conformance.js'
export type { SinkCapabilities, SinkConformanceOptions, SinkConformanceTarget } from './sink-conformance.js'
