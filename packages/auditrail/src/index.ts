export { AuditLogger } from './audit-logger.js'
export { verifyLog } from '@auditrail/verify'
export type { VerifyFinding, VerifyLogOptions, VerifyLogResult } from '@auditrail/verify'
export type { AuditLoggerOptions } from './audit-logger.js'
export {
  AuditrailError,
  createChainVerifier,
  createEventLogger,
  createMemorySink,
  REDACTED_MARKER,
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
  ChainHead,
  HmacKey,
  IntegrityMode,
  KnownActionType,
  LogEventOptions,
  LogSummary,
  ReadOptions,
  SkipInvalid,
  SkippedRecord,
  SummarizeOptions,
  RedactKey,
  RedactOption,
  RedactOptions,
} from '@auditrail/core'
export { createJsonSink } from '@auditrail/sink-json'
export { createCsvSink } from '@auditrail/sink-csv'
export { createNoneSink } from '@auditrail/sink-none'
