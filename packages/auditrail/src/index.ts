export { AuditLogger } from './audit-logger.js'
export type { AuditLoggerOptions } from './audit-logger.js'
export {
  AuditrailError,
  createEventLogger,
  createMemorySink,
  decodeAuditEvent,
  isAuditrailError,
  KNOWN_ACTION_TYPES,
  resolveFormat,
  summarizeEvents,
} from '@auditrail/core'
export type {
  ActionDetails,
  AuditEvent,
  AuditLogFormat,
  AuditSink,
  AuditStatus,
  AuditrailErrorCode,
  KnownActionType,
  LogEventOptions,
  LogSummary,
  ReadOptions,
} from '@auditrail/core'
export { createJsonSink } from '@auditrail/sink-json'
export { createCsvSink } from '@auditrail/sink-csv'
export { createNoneSink } from '@auditrail/sink-none'
