export { createJsonSink, JSON_LOG_FILE } from './json-sink.js'
export type { JsonSink, JsonSinkOptions } from './json-sink.js'
export type { RegrowthMode, RegrowthOptions } from './regrow-job.js'
