import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { ActionTypeCodec, ActorCodec, AuditEventCodec, canonicalTimestamp, HashCodec, SeqCodec, TimestampCodec, type AuditEvent } from './codecs.js'
import { AuditrailError } from './errors.js'
import { formatDecodeIssue, toDecodeIssues } from './path-reporter.js'

/** Where a decoded value came from, for error messages. */
export interface DecodeSource {
  /** Component named in the message; default `core`. */
  readonly component?: string
  /** File the value was read from. */
  readonly file?: string
  /** Position in that file, e.g. `line 12` or `event 3`. */
  readonly position?: string
}

/**
 * Decodes an unknown value as an {@link AuditEvent}. On failure the `Left` is a `decode` {@link AuditrailError}
 * whose `issues` list every bad path and value, and whose message reads e.g.
 * `status: expected "success" | "failed" | "error", got "ok"`. A timestamp in another accepted form (`+00:00`, fewer
 * fractional digits) is given in ours ({@link canonicalTimestamp}), on a copy.
 */
export function decodeAuditEvent(input: unknown, source: DecodeSource = {}): E.Either<AuditrailError, AuditEvent> {
  return pipe(
    AuditEventCodec.decode(input),
    E.map((event) => {
      const timestamp = canonicalTimestamp(event.timestamp)
      return timestamp === event.timestamp ? (event as AuditEvent) : ({ ...event, timestamp } as AuditEvent)
    }),
    E.mapLeft((errors) => {
      const issues = toDecodeIssues(errors)
      const where = source.position === undefined ? '' : `${source.position}: `
      const message = `${where}not an audit event: ${issues.map(formatDecodeIssue).join('; ')}`
      return new AuditrailError('decode', message, {
        component: source.component ?? 'core',
        ...(source.file === undefined ? {} : { file: source.file }),
        ...(issues[0] === undefined ? {} : { field: issues[0].path }),
        issues,
      })
    }),
  )
}

/**
 * Decodes a value fresh from `JSON.parse` (or whose details are): the same result as {@link decodeAuditEvent}
 * (the timestamp made canonical in place), faster, because such details are JSON by construction and need no deep walk. Only the fields' shapes are
 * checked; anything off goes through the full codec for its error.
 */
export function decodeParsedAuditEvent(input: unknown, source: DecodeSource = {}): E.Either<AuditrailError, AuditEvent> {
  if (typeof input === 'object' && input !== null) {
    const { timestamp, action_type: actionType, status, details, error, actor, seq, hash } = input as Record<string, unknown>
    if (
      (actor === undefined || ActorCodec.is(actor)) &&
      (seq === undefined || SeqCodec.is(seq)) &&
      (hash === undefined || HashCodec.is(hash)) &&
      (status === 'success' || status === 'failed' || status === 'error') &&
      (error === null || typeof error === 'string') &&
      typeof details === 'object' &&
      details !== null &&
      !Array.isArray(details) &&
      ActionTypeCodec.is(actionType) &&
      TimestampCodec.is(timestamp)
    ) {
      // The value is fresh from JSON.parse, ours to change; callers that keep the parsed array (the JSON sink's runs) see it too.
      if (timestamp.length !== 27 || timestamp.charCodeAt(26) !== 90) (input as { timestamp: string }).timestamp = canonicalTimestamp(timestamp)
      return E.right(input as AuditEvent)
    }
  }
  return decodeAuditEvent(input, source)
}
