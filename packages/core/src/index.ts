export {
  AuditEventCodec,
  AuditStatusCodec,
  ActionTypeCodec,
  ActorCodec,
  HashCodec,
  SeqCodec,
  TimestampCodec,
  AUDIT_TIMESTAMP_PATTERN,
  KNOWN_ACTION_TYPES,
  actionDetailsCodecs,
  isKnownActionType,
} from './codecs.js'
export type { ActionDetails, AuditEvent, AuditStatus, DetailsInput, KnownActionType, LogDetails } from './codecs.js'
export { JsonObjectCodec, JsonValueCodec, FiniteNumber, MAX_DETAILS_DEPTH, toJsonObject } from './json-value.js'
export type { JsonIssue, JsonObject, JsonValue } from './json-value.js'
export { AuditrailError, emitAuditrailWarning, errnoCode, ioError, isAuditrailError } from './errors.js'
export type { AuditrailErrorCode, AuditrailErrorContext } from './errors.js'
export { formatDecodeIssue, toDecodeIssues } from './path-reporter.js'
export type { DecodeIssue } from './path-reporter.js'
export { decodeAuditEvent, decodeParsedAuditEvent } from './decode.js'
export type { DecodeSource } from './decode.js'
export { createClock, formatMicros, parseMicros } from './clock.js'
export type { Clock, ClockOptions } from './clock.js'
export type { AuditSink, ReadOptions, ReadOrder } from './sink.js'
export { appendingSinkOf, createAppendQueue, sealEvent } from './append-queue.js'
export type { AppendContext, AppendQueue, AppendQueueOptions, PendingEvent } from './append-queue.js'
export { attachSink } from './sink-attachment.js'
export type { SinkFailure } from './sink-attachment.js'
export { createMemorySink } from './memory-sink.js'
export type { MemorySink } from './memory-sink.js'
export { validateEventInput } from './event-input.js'
export type { EventInput } from './event-input.js'
export { createEventLogger, validateEventLoggerOptions } from './event-logger.js'
export type { EventLogger, EventLoggerOptions, LogEventOptions } from './event-logger.js'
export { AUDIT_LOG_FORMATS, resolveFormat } from './format.js'
export type { AuditLogFormat } from './format.js'
export { summarizeEvents } from './summary.js'
export type { LogSummary } from './summary.js'
export { DEFAULT_FILE_MODE, DIRECTORY_MODE, NOFOLLOW_FLAGS, createEncodeBuffer, nodeFileIo, readAt, readInto, sleepSync, statIfExists, writeFully } from './file-io.js'
export type { EncodeBuffer, FileIo } from './file-io.js'
export { createFileLock } from './file-lock.js'
export type { FileLock, FileLockOptions } from './file-lock.js'
export { fsyncDirectory, removeStaleTemps, replaceFile, syncFile, tempPathFor } from './atomic-file.js'
export { checkInvariants } from './invariants.js'
export type { CheckInvariantsOptions, InvariantFinding, InvariantName } from './invariants.js'
export { createLockTenure } from './lock-tenure.js'
export type { HoldOptions, LockTenure, LockTenureOptions, TenureHooks } from './lock-tenure.js'
export { createFileSinkFrame } from './file-sink-frame.js'
export type { FileSinkFrame, FileSinkOptions, LogFileHandler } from './file-sink-frame.js'
export { canonicalJson } from './canonical-json.js'
export { chainHash, chainHeadOf, chainMessage, formatChainHead, GENESIS_HASH, genesisHash, parseChainHead, validateIntegrityOptions } from './hash-chain.js'
export type { ChainHead, ChainedFields, HmacKey, IntegrityMode } from './hash-chain.js'
export { createChainVerifier } from './chain-verifier.js'
export type { ChainFinding, ChainProblem, ChainVerifier, ChainVerifierOptions } from './chain-verifier.js'
export { createRedactor, REDACTED_MARKER } from './redact.js'
export type { RedactKey, RedactOption, RedactOptions } from './redact.js'
export { withGetters } from './fast-object.js'
export type { WithGetters } from './fast-object.js'
