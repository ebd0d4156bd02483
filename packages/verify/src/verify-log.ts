import {
  createChainVerifier,
  parseChainHead,
  parseMicros,
  type AuditEvent,
  type ChainFinding,
  type ChainHead,
  type ChainProblem,
  type HmacKey,
} from '@auditrail/core'
import { openLogAt, type LogReader } from './log-reader.js'
import type { LogFormat } from './log-target.js'

/** One problem {@link verifyLog} found, where it is. */
export interface VerifyFinding {
  readonly file: string
  readonly severity: 'error' | 'warning'
  /** 1-based line of the byte, for editors (`file:line`). */
  readonly line: number
  readonly byte: number
  readonly message: string
  /** For a hash-chain finding: the first seq that cannot be trusted. */
  readonly seq?: number
  /** For a hash-chain finding: what kind of tampering it shows. */
  readonly problem?: ChainProblem
}

/** Options of {@link verifyLog}. */
export interface VerifyLogOptions {
  /** The key the log was written with (`hmacKey` of the logger), if any. */
  readonly hmacKey?: HmacKey
  /** A head kept elsewhere, `{ seq, hash }` or `"<seq>:<hash>"`: the log must still hold it (newest events not dropped). */
  readonly expectHead?: ChainHead | string
  /** Called with each finding as it is found (the result keeps them too). */
  readonly onFinding?: (finding: VerifyFinding) => void
}

/** What {@link verifyLog} found. */
export interface VerifyLogResult {
  readonly file: string
  readonly format: LogFormat
  /** Events that decoded. */
  readonly events: number
  readonly errors: number
  readonly warnings: number
  /** Every finding: well-formedness first (in file order), then the hash chain's (oldest first). */
  readonly findings: readonly VerifyFinding[]
  /** The hash chain, when the log has one (or a key or head was given). */
  readonly chain?: {
    /** The newest chained event's seq and hash: keep it elsewhere and pass it as `expectHead` later. */
    readonly head?: ChainHead
    /** Chained events checked. */
    readonly chained: number
    /** Older events written before integrity was on: not covered by the chain. */
    readonly unchainedBefore: number
    /** The first seq that cannot be trusted, when the chain is broken. */
    readonly firstBadSeq?: number
  }
  /** No errors: well-formed, and the chain (if any) verifies. */
  readonly ok: boolean
}

/**
 * Verifies a log file (or a directory holding one) without locking or writing it: every event well-formed, in time
 * order, and — when the log is hash-chained — every `seq` and `hash` consistent, so an edited, deleted, inserted or
 * reordered event is found and located. Dropping the newest events leaves a consistent chain: keep `chain.head`
 * somewhere else and pass it back as `expectHead` to detect that. Throws an AuditrailError when the file cannot be read.
 */
export function verifyLog(target: string, options: VerifyLogOptions = {}): VerifyLogResult {
  const expectHead = typeof options.expectHead === 'string' ? parseChainHead(options.expectHead) : options.expectHead
  const reader = openLogAt(target)
  const findings: VerifyFinding[] = []
  let errors = 0
  let warnings = 0
  const report = (finding: Omit<VerifyFinding, 'file' | 'line'>): void => {
    const full: VerifyFinding = { file: reader.file, line: reader.lineOf(finding.byte), ...finding }
    findings.push(full)
    if (full.severity === 'error') errors++
    else warnings++
    options.onFinding?.(full)
  }
  try {
    const { events, chainedSeen } = checkStructure(reader, report)
    const wantChain = chainedSeen || options.hmacKey !== undefined || expectHead !== undefined
    if (!wantChain) return { file: reader.file, format: reader.format, events, errors, warnings, findings, ok: errors === 0 }
    const chain = checkChain(reader, report, { ...(options.hmacKey === undefined ? {} : { hmacKey: options.hmacKey }), ...(expectHead === undefined ? {} : { expectHead }) })
    return { file: reader.file, format: reader.format, events, errors, warnings, findings, chain, ok: errors === 0 }
  } finally {
    reader.close()
  }
}

type Report = (finding: Omit<VerifyFinding, 'file' | 'line'>) => void

/** One pass in the file's own order (JSON newest first, CSV oldest first): decoding problems and time order. */
function checkStructure(reader: LogReader, report: Report): { events: number; chainedSeen: boolean } {
  const newestFirst = reader.format === 'json'
  let events = 0
  let chainedSeen = false
  let previous: { timestamp: string; micros: number } | undefined
  for (const entry of reader.entries(newestFirst ? 'newest-first' : 'oldest-first')) {
    if (entry.kind === 'problem') {
      report({ severity: entry.severity, byte: entry.at, message: entry.message })
      continue
    }
    events++
    if (entry.event.seq !== undefined) chainedSeen = true
    const micros = parseMicros(entry.event.timestamp)
    if (previous !== undefined && (newestFirst ? micros >= previous.micros : micros <= previous.micros)) {
      const relation = newestFirst ? 'before' : 'after'
      report({ severity: 'warning', byte: entry.start, message: `${entry.event.timestamp} is not strictly ${relation} the event above it (${previous.timestamp}): out of time order` })
    }
    previous = { timestamp: entry.event.timestamp, micros }
  }
  return { events, chainedSeen }
}

/** One pass oldest first over the events that decoded: the hash chain. */
function checkChain(reader: LogReader, report: Report, options: { hmacKey?: HmacKey; expectHead?: ChainHead }): NonNullable<VerifyLogResult['chain']> {
  const verifier = createChainVerifier(options)
  let firstBadSeq: number | undefined
  let lastByte = 0
  const chainFinding = (finding: ChainFinding, byte: number): void => {
    firstBadSeq ??= finding.seq
    report({ severity: 'error', byte, message: finding.message, seq: finding.seq, problem: finding.problem })
  }
  for (const entry of reader.entries('oldest-first')) {
    if (entry.kind !== 'event') continue
    const finding = verifier.check(entry.event as AuditEvent)
    if (finding !== undefined) chainFinding(finding, entry.start)
    lastByte = entry.start
  }
  const end = verifier.finish()
  if (end !== undefined) chainFinding(end, lastByte)
  if (verifier.chained === 0 && options.expectHead === undefined) {
    report({ severity: 'warning', byte: 0, message: 'the log has no hash chain (written without integrity: "sha256-chain")' })
  } else if (verifier.unchainedBefore > 0) {
    report({ severity: 'warning', byte: 0, message: `${verifier.unchainedBefore} older event${verifier.unchainedBefore === 1 ? ' was' : 's were'} written before the hash chain started: not covered by it` })
  }
  return {
    ...(verifier.head === undefined ? {} : { head: verifier.head }),
    chained: verifier.chained,
    unchainedBefore: verifier.unchainedBefore,
    ...(firstBadSeq === undefined ? {} : { firstBadSeq }),
  }
}
