export { createNoneSink } from './none-sink.js'
export type { NoneSink } from './none-sink.js'
