export { createCsvSink, CSV_LOG_FILE } from './csv-sink.js'
export type { CsvSink, CsvSinkOptions } from './csv-sink.js'
export { CSV_COLUMNS } from './csv-row.js'
