import * as crypto from 'node:crypto'
import { canonicalJson, canonicalOrder, UNSORTABLE } from './canonical-json.js'
import type { AuditStatus } from './audit-status.js'
import type { AuditEvent } from './codecs.js'
import { AuditrailError } from './errors.js'
import type { JsonObject } from './json-value.js'

/** The tamper-evidence modes: a SHA-256 hash chain (HMAC-SHA-256 when a key is given). */
export type IntegrityMode = 'sha256-chain'

/** The `previous hash` of the first chained event: 64 zeros. */
export const GENESIS_HASH = '0'.repeat(64)

/**
 * The `previous hash` of seq 1 when `unchained` events were stored before the chain started (integrity turned on for
 * an existing log): it commits to their number, so that inserting or deleting one of them breaks seq 1. Their
 * contents are not covered. With none, {@link GENESIS_HASH}.
 */
export function genesisHash(unchained: number): string {
  return unchained === 0 ? GENESIS_HASH : sha256Hex(`auditrail-chain-start:${unchained}`)
}

/** Where a chain stands: the newest chained event's `seq` and `hash`. */
export interface ChainHead {
  readonly seq: number
  readonly hash: string
}

/** An HMAC key: the raw bytes, or a string taken as its UTF-8 bytes. */
export type HmacKey = string | Uint8Array

/** The fields an event's hash covers: all of them but `hash`, and the previous hash. */
export type ChainedFields = Omit<AuditEvent, 'hash'> & { readonly seq: number }

/**
 * The bytes hashed for one event: the canonical JSON (RFC 8785) of an object holding the event's fields — `timestamp`,
 * `action_type`, `status`, `details`, `error`, `actor` when present, `seq` — and `prev`, the previous event's hash (or
 * {@link GENESIS_HASH}). Other top-level keys are not covered. Anyone can recompute it, e.g. in Python:
 * `json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()` for the usual values.
 */
export function chainMessage(event: ChainedFields, previousHash: string): string {
  return messageOf(event.timestamp, event.action_type, event.status, event.details, event.error, event.actor, event.seq, previousHash)
}

/** The hash of one event given the previous event's hash: SHA-256, or HMAC-SHA-256 with `hmacKey`, as lowercase hex. */
export function chainHash(event: ChainedFields, previousHash: string, hmacKey?: HmacKey): string {
  return digestOf(chainMessage(event, previousHash), hmacKey)
}

/** A chained event's details, hash and, where one serialization made it, compact JSON line. */
export interface SealedTexts {
  /** The details with every object's keys in canonical (sorted) order where JavaScript can hold it: what the event stores. */
  readonly details: JsonObject
  readonly hash: string
  /** `JSON.stringify` of the event `{ timestamp, action_type, status, details, error, actor?, seq, hash }`. */
  readonly line: string | undefined
}

/**
 * {@link chainHash} of the event these fields make, for the logger, and the event's compact JSON line with it: a
 * chained event stores its details in canonical key order, so that one serialization of them serves both the hash
 * and the file (two were most of what the chain cost per event). Details JavaScript cannot hold in that order (an
 * array-index key, `__proto__`) are kept as given and hashed field by field, without a line.
 */
export function sealEventTexts(
  timestamp: string,
  actionType: string,
  status: AuditStatus,
  details: JsonObject,
  error: string | null,
  actor: string | undefined,
  seq: number,
  previousHash: string,
  hmacKey: HmacKey | undefined,
): SealedTexts {
  const ordered = canonicalOrder(details)
  if (ordered === UNSORTABLE) {
    return { details, hash: digestOf(messageOf(timestamp, actionType, status, details, error, actor, seq, previousHash), hmacKey), line: undefined }
  }
  const detailsText = JSON.stringify(ordered)
  const timestampText = JSON.stringify(timestamp)
  const actionText = JSON.stringify(actionType)
  const statusText = JSON.stringify(status)
  const errorText = JSON.stringify(error)
  const actorField = actor === undefined ? '' : `"actor":${JSON.stringify(actor)},`
  const seqText = JSON.stringify(seq)
  const message =
    `{"action_type":${actionText},${actorField}"details":${detailsText},` +
    `"error":${errorText},"prev":${JSON.stringify(previousHash)},"seq":${seqText},"status":${statusText},"timestamp":${timestampText}}`
  const hash = digestOf(message, hmacKey)
  const line =
    `{"timestamp":${timestampText},"action_type":${actionText},"status":${statusText},"details":${detailsText},` +
    `"error":${errorText},${actorField}"seq":${seqText},"hash":"${hash}"}`
  return { details: ordered as JsonObject, hash, line }
}

/** The canonical message of {@link chainMessage}. */
function messageOf(
  timestamp: string,
  actionType: string,
  status: string,
  details: JsonObject,
  error: string | null,
  actor: string | undefined,
  seq: number,
  previousHash: string,
): string {
  const ordered = canonicalOrder(details)
  // Fields of the types JSON.stringify writes in an object as it would alone (it omits an undefined member, where the
  // spelled-out text below writes `undefined`): one native serialization of an object whose keys are literally in
  // canonical order. Serializing field by field cost 0.7 µs more per event: six calls, and a rope the hash flattens.
  if (
    ordered !== UNSORTABLE &&
    typeof timestamp === 'string' &&
    typeof actionType === 'string' &&
    typeof status === 'string' &&
    (error === null || typeof error === 'string') &&
    typeof seq === 'number' &&
    typeof previousHash === 'string' &&
    (actor === undefined || typeof actor === 'string')
  ) {
    return actor === undefined
      ? JSON.stringify({ action_type: actionType, details: ordered, error, prev: previousHash, seq, status, timestamp })
      : JSON.stringify({ action_type: actionType, actor, details: ordered, error, prev: previousHash, seq, status, timestamp })
  }
  // Otherwise field by field, the outer object spelled out with its keys in canonical (sorted) order.
  const actorField = actor === undefined ? '' : `"actor":${JSON.stringify(actor)},`
  return (
    `{"action_type":${JSON.stringify(actionType)},${actorField}"details":${canonicalJson(details)},` +
    `"error":${JSON.stringify(error)},"prev":${JSON.stringify(previousHash)},"seq":${JSON.stringify(seq)},` +
    `"status":${JSON.stringify(status)},"timestamp":${JSON.stringify(timestamp)}}`
  )
}

/**
 * SHA-256 of a string's UTF-8 bytes, as lowercase hex: Node's one-shot `crypto.hash` (20.12 and later) where there is
 * one, a third of what a Hash object costs per event; else a Hash object. Both give the same digest.
 */
const sha256Hex: (text: string) => string =
  typeof crypto.hash === 'function'
    ? (text) => crypto.hash('sha256', text, 'hex')
    : (text) => crypto.createHash('sha256').update(text, 'utf8').digest('hex')

function digestOf(message: string, hmacKey: HmacKey | undefined): string {
  return hmacKey === undefined ? sha256Hex(message) : crypto.createHmac('sha256', hmacKey).update(message, 'utf8').digest('hex')
}

/** The chain head of a stored event, or `undefined` when it carries no chain fields. */
export function chainHeadOf(event: AuditEvent | undefined): ChainHead | undefined {
  return event?.seq !== undefined && event.hash !== undefined ? { seq: event.seq, hash: event.hash } : undefined
}

/** Parses `<seq>:<hash>` (what `verify` prints as the head), throwing an `options` error naming `field`. */
export function parseChainHead(text: string, field = 'expectHead'): ChainHead {
  const match = /^([1-9]\d{0,15}):([0-9a-f]{64})$/.exec(text.trim())
  if (match === null || !Number.isSafeInteger(Number(match[1]))) {
    throw new AuditrailError('options', `${field}: expected <seq>:<64 hex digits>, got ${JSON.stringify(text)}`, { component: 'core', field })
  }
  return { seq: Number(match[1]), hash: match[2] as string }
}

/** `<seq>:<hash>`, the form {@link parseChainHead} reads. */
export function formatChainHead(head: ChainHead): string {
  return `${head.seq}:${head.hash}`
}

/** Validates the integrity options of a logger before any I/O; returns the key as given. */
export function validateIntegrityOptions(integrity: unknown, hmacKey: unknown): void {
  const fail = (field: string, message: string): never => {
    throw new AuditrailError('options', `${field}: ${message}`, { component: 'core', field })
  }
  if (integrity !== undefined && integrity !== 'sha256-chain') fail('integrity', `expected "sha256-chain", got ${JSON.stringify(integrity)}`)
  if (hmacKey === undefined) return
  if (integrity === undefined) fail('hmacKey', 'only used with integrity: "sha256-chain"')
  if (typeof hmacKey !== 'string' && !(hmacKey instanceof Uint8Array)) fail('hmacKey', `expected a string or a Uint8Array, got ${typeof hmacKey}`)
  if ((hmacKey as string | Uint8Array).length === 0) fail('hmacKey', 'must not be empty')
}
