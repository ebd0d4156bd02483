import * as t from 'io-ts'
import { JsonObjectCodec, JsonValueCodec } from './json-value.js'

/** The two statuses the spec allows. */
export const AuditStatusCodec = t.keyof({ success: null, failed: null }, '"success" | "failed"')
/** `"success"` or `"failed"`. */
export type AuditStatus = t.TypeOf<typeof AuditStatusCodec>

/** The timestamps auditrail writes: UTC, exactly six fractional digits, `Z`; fixed width, so string order is time order. */
export const AUDIT_TIMESTAMP_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/

/**
 * Timestamps accepted when reading: any ISO 8601 UTC date-time (`Z` or `+00:00`, 0–9 fractional digits),
 * because the Python original writes `isoformat()` output, which drops the fraction when it is zero.
 */
const READ_TIMESTAMP_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]00:00)$/

interface TimestampBrand {
  readonly Timestamp: unique symbol
}

/**
 * The date and time to the second (the first 19 characters) of the last timestamp `Date.parse` accepted. Past the
 * pattern, only that part can make a timestamp invalid (the fraction and zone cannot), and a log's consecutive events
 * mostly share their second: `Date.parse` per event took 8% of streaming a million events.
 */
let lastValidSecond = '\u0000'

function isReadTimestamp(s: string): boolean {
  if (!READ_TIMESTAMP_PATTERN.test(s)) return false
  if (s.startsWith(lastValidSecond)) return true
  if (Number.isNaN(Date.parse(s))) return false
  lastValidSecond = s.slice(0, 19)
  return true
}

/** Codec for an ISO 8601 UTC timestamp string. */
export const TimestampCodec = t.brand(t.string, (s): s is t.Branded<string, TimestampBrand> => isReadTimestamp(s), 'Timestamp')

interface ActionTypeBrand {
  readonly ActionType: unique symbol
}

/** Codec for an action type: a non-empty string without control characters. */
export const ActionTypeCodec = t.brand(
  t.string,
  // eslint-disable-next-line no-control-regex
  (s): s is t.Branded<string, ActionTypeBrand> => s.length > 0 && !/[\u0000-\u001f\u007f]/.test(s),
  'ActionType',
)

interface ActorBrand {
  readonly Actor: unique symbol
}

/** Codec for an actor (who did it): a non-empty string without control characters, like an action type. */
export const ActorCodec = t.brand(
  t.string,
  // eslint-disable-next-line no-control-regex
  (s): s is t.Branded<string, ActorBrand> => s.length > 0 && !/[\u0000-\u001f\u007f]/.test(s),
  'Actor',
)

interface SeqBrand {
  readonly Seq: unique symbol
}

/** Codec for a chain sequence number: 1, 2, 3 … in file order. */
export const SeqCodec = t.brand(t.number, (n): n is t.Branded<number, SeqBrand> => Number.isSafeInteger(n) && n >= 1, 'Seq')

interface HashBrand {
  readonly Hash: unique symbol
}

/** Codec for a chain hash: SHA-256 (or HMAC-SHA-256) as 64 lowercase hex digits. */
export const HashCodec = t.brand(t.string, (s): s is t.Branded<string, HashBrand> => /^[0-9a-f]{64}$/.test(s), 'Hash')

/**
 * Codec for one stored audit event: the spec's five fields, then three optional ones auditrail adds only when used
 * (`actor`; `seq` and `hash` with `integrity: 'sha256-chain'`). The required part is a `t.type`, so on decode
 * unknown top-level keys pass through untouched: a file written by another tool keeps what it had.
 */
export const AuditEventCodec = t.intersection(
  [
    t.type({
      timestamp: TimestampCodec,
      action_type: ActionTypeCodec,
      status: AuditStatusCodec,
      details: JsonObjectCodec,
      error: t.union([t.string, t.null]),
    }),
    t.partial({ actor: ActorCodec, seq: SeqCodec, hash: HashCodec }),
  ],
  'AuditEvent',
)

/** One audit event as stored and emitted: immutable. */
export interface AuditEvent {
  /** ISO 8601 UTC with microseconds, e.g. `2026-05-27T14:30:00.123456Z`. */
  readonly timestamp: string
  /** What was done: one of the spec's twelve actions, or any other non-empty string. */
  readonly action_type: string
  readonly status: AuditStatus
  /** Context of the action: before/after values, affected samples, configuration. */
  readonly details: t.TypeOf<typeof JsonObjectCodec>
  /** The error message when `status` is `"failed"`, else `null`. */
  readonly error: string | null
  /** Who did it, when the caller said so (absent otherwise: the spec's format has no such field). */
  readonly actor?: string
  /** Position in the hash chain (1 = oldest chained event), with `integrity: 'sha256-chain'`. */
  readonly seq?: number
  /** SHA-256 or HMAC-SHA-256 over this event and the previous event's hash, with `integrity: 'sha256-chain'`. */
  readonly hash?: string
}

const SampleId = t.union([t.string, t.number])
const JsonRecord = t.record(t.string, JsonValueCodec)

const sampleFields = {
  samples_affected: t.number,
  sample_ids: t.readonlyArray(SampleId),
  origins: t.readonlyArray(t.string),
  reason: t.string,
}

const trainingControl = t.partial({ step: t.number, epoch: t.number, reason: t.string, previous_state: t.string }, 'TrainingControlDetails')

/**
 * The known `details` fields of each of the spec's twelve actions. Every field is optional; at run time extra
 * fields are allowed unless the logger is `strict`, because real callers log more (e.g. `{ param: "lr" }`).
 */
export const actionDetailsCodecs = {
  hp_change: t.partial({ changed_params: JsonRecord, before: JsonRecord, after: JsonRecord }, 'HpChangeDetails'),
  pause: trainingControl,
  resume: trainingControl,
  mode_switch: t.partial({ mode: t.string, previous_mode: t.string }, 'ModeSwitchDetails'),
  tag_add: t.partial({ tag_name: t.string, ...sampleFields }, 'TagAddDetails'),
  tag_remove: t.partial({ tag_name: t.string, ...sampleFields }, 'TagRemoveDetails'),
  sample_discard: t.partial(sampleFields, 'SampleDiscardDetails'),
  sample_restore: t.partial(sampleFields, 'SampleRestoreDetails'),
  query_execute: t.partial(
    { query_type: t.string, query_text: t.string, samples_affected: t.number, result_count: t.number },
    'QueryExecuteDetails',
  ),
  checkpoint_restore: t.partial({ checkpoint_id: t.string, step: t.number, path: t.string }, 'CheckpointRestoreDetails'),
  evaluation_start: t.partial({ split_name: t.string, checkpoint_id: t.string, metrics: t.readonlyArray(t.string) }, 'EvaluationStartDetails'),
  note_write: t.partial(
    { plot_name: t.string, point_id: SampleId, note: t.string, cleared: t.boolean, before: t.string, after: t.string },
    'NoteWriteDetails',
  ),
} as const

/** The spec's twelve action types. */
export type KnownActionType = keyof typeof actionDetailsCodecs

/** The spec's twelve action types, in the spec's order. */
export const KNOWN_ACTION_TYPES = Object.keys(actionDetailsCodecs) as readonly KnownActionType[]

/** The known details of action `A`, derived from its codec. */
export type ActionDetails<A extends KnownActionType> = t.TypeOf<(typeof actionDetailsCodecs)[A]>

/** Details as callers pass them: any plain object whose values JSON carries (Dates become ISO strings). */
export type DetailsInput = { readonly [key: string]: unknown }

/** What `logEvent` accepts as details for action `A`: its known fields typed, extra fields allowed. */
export type LogDetails<A extends string> = A extends KnownActionType ? ActionDetails<A> & DetailsInput : DetailsInput

/** True when `action` is one of the spec's twelve action types. */
export function isKnownActionType(action: string): action is KnownActionType {
  return Object.prototype.hasOwnProperty.call(actionDetailsCodecs, action)
}
