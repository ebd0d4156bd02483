import type { AuditEvent } from './codecs.js'
import { chainHash, chainHeadOf, genesisHash, type ChainHead, type HmacKey } from './hash-chain.js'

/** What is wrong at one event of a hash-chained log. */
export type ChainProblem =
  /** The event's hash is not the hash of its fields and the previous hash: it was edited (or the key is wrong). */
  | 'hash-mismatch'
  /** The event's seq is not the previous seq + 1: events were deleted, inserted or reordered before it. */
  | 'seq-gap'
  /** An event without `seq`/`hash` after the chain started: inserted by hand or by a writer without integrity. */
  | 'unchained'
  /** The pinned head (`expectHead`) is not in the log: newest events were dropped, or the log was replaced. */
  | 'head-mismatch'

/** One finding of {@link createChainVerifier}. */
export interface ChainFinding {
  readonly problem: ChainProblem
  /** The first seq that cannot be trusted. */
  readonly seq: number
  /** 1-based position of the event in file order, oldest first (absent for a head mismatch found at the end). */
  readonly index?: number
  readonly message: string
}

/** Options of {@link createChainVerifier}. */
export interface ChainVerifierOptions {
  /** The HMAC key the log was written with (none: plain SHA-256). */
  readonly hmacKey?: HmacKey
  /** A head kept elsewhere (printed by an earlier `verify`): the log must still hold this seq with this hash. */
  readonly expectHead?: ChainHead
}

/** A verifier fed a log's events oldest first; it resynchronizes after each finding so one edit is reported once. */
export interface ChainVerifier {
  /** Checks the next event (oldest first); returns what is wrong with it, if anything. */
  check(event: AuditEvent): ChainFinding | undefined
  /** After the last event: checks the pinned head, if one was given. */
  finish(): ChainFinding | undefined
  /** The newest chained event seen. */
  readonly head: ChainHead | undefined
  /** Events older than the first chained one: written before integrity was turned on, not covered by the chain. */
  readonly unchainedBefore: number
  /** Chained events checked. */
  readonly chained: number
}

/**
 * Creates a verifier of the hash chain: seq 1, 2, 3 … in file order, each hash covering the event and the previous
 * hash (seq 1's previous hash commits to the number of unchained events before it, see `genesisHash`). Edits,
 * deletions, insertions and reorderings are each reported at the first seq they make untrustworthy.
 * Dropping the newest events leaves a valid chain: only a head kept elsewhere (`expectHead`) reveals it.
 */
export function createChainVerifier(options: ChainVerifierOptions = {}): ChainVerifier {
  let previous: ChainHead | undefined
  let index = 0
  let unchainedBefore = 0
  let chained = 0
  let pinnedSeen = false
  const expect = options.expectHead

  const checkPin = (event: AuditEvent, at: number): ChainFinding | undefined => {
    if (expect === undefined || event.seq !== expect.seq) return undefined
    pinnedSeen = true
    if (event.hash === expect.hash) return undefined
    return { problem: 'head-mismatch', seq: expect.seq, index: at, message: `seq ${expect.seq} has hash ${event.hash}, not the expected head's ${expect.hash}` }
  }

  return {
    check(event) {
      index++
      const own = chainHeadOf(event)
      if (own === undefined) {
        if (previous === undefined) {
          unchainedBefore++
          return undefined
        }
        return { problem: 'unchained', seq: previous.seq + 1, index, message: `an event without seq and hash after seq ${previous.seq}: inserted, or written without integrity` }
      }
      chained++
      const expectedSeq = (previous?.seq ?? 0) + 1
      const finding: ChainFinding | undefined =
        own.seq !== expectedSeq
          ? {
              problem: 'seq-gap',
              seq: expectedSeq,
              index,
              message:
                own.seq > expectedSeq
                  ? `seq ${own.seq} follows ${previous === undefined ? 'the start of the chain' : `seq ${previous.seq}`}: seq ${expectedSeq}${own.seq - expectedSeq > 1 ? `–${own.seq - 1}` : ''} missing (deleted or reordered)`
                  : `seq ${own.seq} follows seq ${previous?.seq ?? 0}: out of order (inserted or reordered)`,
            }
          : own.hash !== chainHash({ ...event, seq: own.seq }, previous?.hash ?? genesisHash(unchainedBefore), options.hmacKey)
            ? {
                problem: 'hash-mismatch',
                seq: own.seq,
                index,
                message:
                  own.seq === 1 && unchainedBefore > 0
                    ? `the hash does not match the event and the ${unchainedBefore} older unchained events before it (edited, or events inserted or deleted before the chain${options.hmacKey === undefined ? '' : ', or another key'})`
                    : `the hash does not match the event (edited${options.hmacKey === undefined ? '' : ', or another key'})`,
              }
            : undefined
      // A seq at or before the previous one (a copy, or the older half of a swap) is reported and skipped: the chain
      // goes on from the previous event, so the events after it are judged on their own.
      if (previous === undefined || own.seq > previous.seq) previous = own
      return finding ?? checkPin(event, index)
    },
    finish() {
      if (expect === undefined || pinnedSeen) return undefined
      const end = previous === undefined ? 'the log holds no chained event' : `the log ends at seq ${previous.seq}`
      return { problem: 'head-mismatch', seq: previous === undefined ? 1 : Math.min(previous.seq + 1, expect.seq), message: `expected head seq ${expect.seq} is missing: ${end} (newest events dropped, or another log)` }
    },
    get head() {
      return previous
    },
    get unchainedBefore() {
      return unchainedBefore
    },
    get chained() {
      return chained
    },
  }
}
