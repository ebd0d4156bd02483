import * as t from 'io-ts'
import { AuditStatusCodec, type AuditStatus } from './audit-status.js'
import { JsonObjectCodec } from './json-value.js'

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

const TimestampBrandCodec = t.brand(t.string, (s): s is t.Branded<string, TimestampBrand> => isReadTimestamp(s), 'Timestamp')
/**
 * Codec for an ISO 8601 UTC timestamp string. Its name is what a decode error says was expected, so it shows the form:
 * a bare `Timestamp` left a writer that omitted the zone guessing.
 */
export const TimestampCodec: typeof TimestampBrandCodec = new t.RefinementType(
  'an ISO 8601 UTC timestamp with its zone, such as 2026-05-27T14:30:00.123456Z',
  TimestampBrandCodec.is,
  TimestampBrandCodec.validate,
  TimestampBrandCodec.encode,
  TimestampBrandCodec.type,
  TimestampBrandCodec.predicate,
)

const READ_PARTS = /^(.{19})(?:\.(\d+))?(?:Z|[+-]00:00)$/

/**
 * The timestamp a reader hands on for one the codec accepts: `Z` for `+00:00`/`-00:00` and at least six fractional
 * digits, so that other writers' events (Python's `isoformat()`) line up in tables and sort as strings with ours.
 * Lossless: more than six digits are kept. Our own timestamps come back unchanged (the same string).
 */
export function canonicalTimestamp(timestamp: string): string {
  if (timestamp.length === 27 && timestamp.charCodeAt(26) === 90) return timestamp
  const parts = READ_PARTS.exec(timestamp)
  if (parts === null) return timestamp
  return `${parts[1] as string}.${(parts[2] ?? '').padEnd(6, '0')}Z`
}

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
  /** What was done: one of the twenty known actions (the spec's twelve, WeightsLab's eight), or any other non-empty string. */
  readonly action_type: string
  /** `"success"`, `"failed"`, or `"error"` as WeightsLab's notebook service writes it: kept as written; see `isFailureStatus`. */
  readonly status: AuditStatus
  /** Context of the action: before/after values, affected samples, configuration. */
  readonly details: t.TypeOf<typeof JsonObjectCodec>
  /** The error message when `status` is a failure (`"failed"`, or WeightsLab's `"error"`, which may have none), else `null`. */
  readonly error: string | null
  /** Who did it, when the caller said so (absent otherwise: the spec's format has no such field). */
  readonly actor?: string
  /** Position in the hash chain (1 = oldest chained event), with `integrity: 'sha256-chain'`. */
  readonly seq?: number
  /** SHA-256 or HMAC-SHA-256 over this event and the previous event's hash, with `integrity: 'sha256-chain'`. */
  readonly hash?: string
}
