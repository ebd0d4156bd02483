import { setTimeout as sleep } from 'node:timers/promises'
import { AuditrailError, formatMicros, parseChainHead, type AuditEvent, type HmacKey } from '@auditrail/core'
import { createPostgresReader, DEFAULT_TABLE, parseConnectionTarget, tableNames, type PostgresEventFilter, type PostgresReader } from '@auditrail/sink-postgres'
import { writeJsonLogFileFrom } from '@auditrail/sink-json'
import type { EventFilterOptions } from './event-filter.js'
import type { VerifyFinding, VerifyLogResult } from '@auditrail/verify'

/** `postgres://…` or `postgresql://…`: a shared trail in PostgreSQL rather than a file. */
export function isPostgresTarget(log: string): boolean {
  return /^postgres(?:ql)?:\/\//i.test(log)
}

/** A PostgreSQL target: the connection string, the events table (from `#table`), and how to show it without its password. */
export interface PostgresTarget {
  readonly connection: string
  readonly table: string
  readonly display: string
}

/**
 * Parses `postgres://user@host/db#table`. The fragment names the table (default `auditrail_events`): libpq ignores
 * fragments, and a fragment is never sent anywhere, so it cannot clash with a connection parameter.
 */
export function parsePostgresTarget(log: string): PostgresTarget {
  const hash = log.indexOf('#')
  const connection = hash === -1 ? log : log.slice(0, hash)
  const table = hash === -1 || hash === log.length - 1 ? DEFAULT_TABLE : decodeURIComponent(log.slice(hash + 1))
  tableNames(table) // refuses a table name that is not a plain identifier, naming it
  const { display } = parseConnectionTarget(connection)
  return { connection, table, display: table === DEFAULT_TABLE ? display : `${display}#${table}` }
}

/** A reader of the target; the caller ends it. */
export function openPostgresTarget(log: string): { readonly reader: PostgresReader; readonly target: PostgresTarget } {
  const target = parsePostgresTarget(log)
  return { reader: createPostgresReader({ connection: target.connection, table: target.table }), target }
}

/**
 * The SQL filter of a query's options, and whether the rest (text search) must still be applied to each event.
 * `until` is "at or before" for the CLI and "strictly before" in SQL: one microsecond later.
 */
export function pushDown(options: EventFilterOptions): { readonly filter: PostgresEventFilter; readonly residual: boolean } {
  const filter: PostgresEventFilter = {
    ...(options.actions !== undefined && options.actions.length > 0 ? { actionType: options.actions } : {}),
    ...(options.actors !== undefined && options.actors.length > 0 ? { actor: options.actors } : {}),
    ...(options.status === undefined ? {} : { status: options.status }),
    ...(options.since === undefined ? {} : { since: formatMicros(options.since) }),
    ...(options.until === undefined ? {} : { until: formatMicros(options.until + 1) }),
  }
  return { filter, residual: options.grep !== undefined }
}

/**
 * `tail` of a PostgreSQL trail: the last `lines` events, oldest of them first; following, every `intervalMs` the
 * events after the newest seq seen, until `signal` aborts. A server that is down meanwhile is waited out.
 */
export async function followPostgres(
  log: string,
  lines: number,
  follow: boolean,
  intervalMs: number,
  signal: AbortSignal,
  print: (events: readonly AuditEvent[]) => void,
): Promise<void> {
  const { reader } = openPostgresTarget(log)
  try {
    const last: AuditEvent[] = []
    if (lines > 0) for await (const event of reader.events({ order: 'newest-first', limit: lines })) last.push(event)
    last.reverse()
    print(last)
    if (!follow) return
    let seen = last.length > 0 ? (last[last.length - 1] as AuditEvent & { seq: number }).seq : await reader.headSeq()
    while (!signal.aborted) {
      try {
        await sleep(intervalMs, undefined, { signal })
      } catch {
        return // aborted: a requested stop
      }
      try {
        const fresh: AuditEvent[] = []
        for await (const event of reader.events({ order: 'oldest-first', afterSeq: seen })) fresh.push(event)
        if (fresh.length > 0) {
          seen = (fresh[fresh.length - 1] as AuditEvent & { seq: number }).seq
          print(fresh)
        }
      } catch (error) {
        // The reader reconnects on its next call; a follower outlives a server restart as `tail -f` outlives a rewrite.
        if (!(error instanceof AuditrailError) || error.code !== 'io') throw error
      }
    }
  } finally {
    await reader.end()
  }
}

/**
 * `verify` of a PostgreSQL trail: the shared chain checked row by row, oldest first, by core's verifier. A finding's
 * `line` is the row's position in seq order (there are no lines); `byte` is 0.
 */
export async function verifyPostgres(log: string, hmacKey?: HmacKey, expectHead?: string, show: (finding: VerifyFinding) => void = () => undefined): Promise<Omit<VerifyLogResult, 'format'>> {
  const { reader, target } = openPostgresTarget(log)
  try {
    const verified = await reader.verify({
      ...(hmacKey === undefined ? {} : { hmacKey }),
      ...(expectHead === undefined ? {} : { expectHead: parseChainHead(expectHead) }),
    })
    const findings = verified.findings.map(
      (finding): VerifyFinding => ({ file: target.display, severity: 'error', line: finding.index ?? verified.checked, byte: 0, message: finding.message, seq: finding.seq, problem: finding.problem }),
    )
    for (const finding of findings) show(finding)
    const firstBadSeq = findings.reduce<number | undefined>((min, f) => (f.seq === undefined || (min !== undefined && min <= f.seq) ? min : f.seq), undefined)
    return {
      file: target.display,
      events: verified.checked,
      errors: findings.length,
      warnings: 0,
      findings,
      chain: { ...(verified.head === undefined ? {} : { head: verified.head }), chained: verified.checked, unchainedBefore: 0, ...(firstBadSeq === undefined ? {} : { firstBadSeq }) },
      ok: findings.length === 0,
    }
  } finally {
    await reader.end()
  }
}

/**
 * Writes the events of a PostgreSQL target to `file` as a whole JSON log (the JSON sink's layout, newest first),
 * streamed by seq from the server in constant memory, atomically. For `convert`.
 */
export async function exportPostgres(log: string, file: string): Promise<{ readonly events: number; readonly display: string }> {
  const { reader, target } = openPostgresTarget(log)
  try {
    return { events: await writeJsonLogFileFrom(file, reader.events({ order: 'newest-first' })), display: target.display }
  } finally {
    await reader.end()
  }
}
