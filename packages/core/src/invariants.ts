import type { AuditEvent } from './codecs.js'
import { AUDIT_TIMESTAMP_PATTERN } from './codecs.js'
import { decodeAuditEvent } from './decode.js'
import type { ReadOrder } from './sink.js'

/** The invariants of docs/INVARIANTS.md that can be checked on a log's contents. */
export type InvariantName =
  | 'decodes'
  | 'strictly-increasing'
  | 'no-duplicates'
  | 'acknowledged-present'
  | 'nothing-unacknowledged'
  | 'writer-order'

/** One violation: which invariant, where (index in oldest-first order), and a readable message. */
export interface InvariantFinding {
  readonly invariant: InvariantName
  /** Index of the offending event in oldest-first order, when one event is to blame. */
  readonly index?: number
  readonly message: string
}

/** Options of {@link checkInvariants}. */
export interface CheckInvariantsOptions {
  /** Order of `events` as given. Default `newest-first` (the JSON file's order). */
  readonly order?: ReadOrder
  /** Events each writer saw acknowledged, one list per writer, in its call order. */
  readonly acknowledged?: readonly (readonly AuditEvent[])[]
  /** Events whose write had begun but was not acknowledged when the writer died; each may or may not be present. */
  readonly inFlight?: readonly AuditEvent[]
}

function key(event: AuditEvent): string {
  return JSON.stringify([event.timestamp, event.action_type, event.status, event.details, event.error])
}

/**
 * Checks a log against the persistence invariants and returns every violation found (empty when it holds):
 * every event decodes; timestamps strictly increase in time order; no event appears twice; with
 * `acknowledged`, every acknowledged event is present, nothing else is except `inFlight` ones, and each
 * writer's events appear in its call order.
 */
export function checkInvariants(events: readonly AuditEvent[], options: CheckInvariantsOptions = {}): InvariantFinding[] {
  const findings: InvariantFinding[] = []
  const chronological = options.order === 'oldest-first' ? events : [...events].reverse()
  const positions = new Map<string, number>()
  chronological.forEach((event, index) => {
    const decoded = decodeAuditEvent(event)
    if (decoded._tag === 'Left') findings.push({ invariant: 'decodes', index, message: decoded.left.message })
    else if (!AUDIT_TIMESTAMP_PATTERN.test(event.timestamp)) {
      findings.push({ invariant: 'decodes', index, message: `timestamp ${event.timestamp} is not in the fixed-width microsecond form` })
    }
    const previous = chronological[index - 1]
    if (previous !== undefined && !(previous.timestamp < event.timestamp)) {
      findings.push({ invariant: 'strictly-increasing', index, message: `timestamp ${event.timestamp} does not follow ${previous.timestamp}` })
    }
    const k = key(event)
    if (positions.has(k)) findings.push({ invariant: 'no-duplicates', index, message: `event at ${event.timestamp} appears twice` })
    else positions.set(k, index)
  })
  if (options.acknowledged === undefined) return findings

  const allowed = new Set<string>()
  for (const event of options.inFlight ?? []) allowed.add(key(event))
  options.acknowledged.forEach((writerEvents, writer) => {
    let last = -1
    for (const event of writerEvents) {
      const k = key(event)
      allowed.add(k)
      const at = positions.get(k)
      if (at === undefined) {
        findings.push({ invariant: 'acknowledged-present', message: `writer ${writer}: acknowledged event at ${event.timestamp} is missing` })
        continue
      }
      if (at < last) findings.push({ invariant: 'writer-order', index: at, message: `writer ${writer}: event at ${event.timestamp} is out of its call order` })
      last = Math.max(last, at)
    }
  })
  chronological.forEach((event, index) => {
    if (!allowed.has(key(event))) {
      findings.push({ invariant: 'nothing-unacknowledged', index, message: `event at ${event.timestamp} was never acknowledged nor in flight` })
    }
  })
  return findings
}
