import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { canonicalJson, checkInvariants, type AuditEvent, type JsonValue } from '@auditrail/core'
import { guardFormula } from '@auditrail/sink-csv'
import { AuditLogger, verifyLog } from 'auditrail'
import { pythonJsonLoad, runPython } from './python.js'

/** The two file formats whose crash safety is proven. */
export type FileFormat = 'json' | 'csv'

/** The fast-check seed of the crash properties: `AUDITRAIL_TORTURE_SEED`, else `fallback` (CI's fixed seed). */
export function tortureSeed(fallback: number): number {
  const value = Number(process.env['AUDITRAIL_TORTURE_SEED'])
  return Number.isInteger(value) ? value : fallback
}

/** How many property runs (or rounds) the crash tests make: `AUDITRAIL_TORTURE_RUNS`, else `fallback` (CI's small count). */
export function tortureRuns(fallback: number): number {
  const value = Number(process.env['AUDITRAIL_TORTURE_RUNS'])
  return Number.isInteger(value) && value > 0 ? value : fallback
}

const CRASH_WRITER = fileURLToPath(new URL('../fixtures/crash-writer.mjs', import.meta.url))

/** Options of {@link spawnCrashWriter}; see `test/fixtures/crash-writer.mjs`. */
export interface CrashWriterOptions {
  readonly dir: string
  readonly format: FileFormat
  readonly writer: number
  readonly count: number
  readonly seed: number
  readonly sideDir: string
  readonly staleMs: number
  readonly mode?: 'run' | 'hold' | 'loop'
  /** The child prints `at` when it is about to log this event (counting from 0), and goes on logging. */
  readonly announceAt?: number
  /** Makes the last two events huge (see the fixture): a write a kill can tear. */
  readonly hugeBytes?: number
  /** Log with `integrity: 'sha256-chain'` (all writers of one log must agree). */
  readonly integrity?: boolean
  /** JSON: regrow the gap in a worker thread from the smallest log up (the background protocol under kills). */
  readonly regrowInWorker?: boolean
}

/** One running crash-writer child. */
export interface CrashWriter {
  readonly writer: number
  readonly sideFile: string
  readonly child: ChildProcess
  /** Settles when the child has exited (never rejects). */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  /** Resolves once the child printed `line` on stdout; rejects if it exits first. */
  printed(line: 'ready' | 'at' | 'writing' | 'holding' | 'done'): Promise<void>
  /** SIGKILLs the child unless it has already exited. */
  kill(): void
  /** What the child wrote on stderr so far (warnings, stack traces). */
  stderr(): string
}

// Every child spawned and not yet reaped, so that a failing test still kills them all.
const running = new Set<CrashWriter>()

/** Starts `test/fixtures/crash-writer.mjs`. */
export function spawnCrashWriter(options: CrashWriterOptions): CrashWriter {
  const sideFile = join(options.sideDir, `writer-${options.writer}.jsonl`)
  const args = [options.dir, options.format, options.writer, options.count, options.seed, sideFile, options.staleMs, options.mode ?? 'run', options.announceAt ?? -1, options.hugeBytes ?? 0]
  const env = { ...process.env, AUDITRAIL_TEST_INTEGRITY: options.integrity === true ? '1' : '0', AUDITRAIL_TEST_REGROWTH: options.regrowInWorker === true ? '1' : '0' }
  const child = spawn(process.execPath, [CRASH_WRITER, ...args.map(String)], { stdio: ['ignore', 'pipe', 'pipe'], env })
  let out = ''
  let err = ''
  let done = false
  const waiters: { line: string; resolve: () => void; reject: (e: Error) => void }[] = []
  const settleWaiters = (): void => {
    const lines = out.split('\n')
    for (const waiter of [...waiters]) {
      if (lines.includes(waiter.line)) {
        waiters.splice(waiters.indexOf(waiter), 1)
        waiter.resolve()
      } else if (done) {
        waiters.splice(waiters.indexOf(waiter), 1)
        waiter.reject(new Error(`writer ${options.writer} exited before printing "${waiter.line}"; stderr: ${err}`))
      }
    }
  }
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk
    settleWaiters()
  })
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk
  })
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('close', (code, signal) => {
      done = true
      running.delete(handle)
      settleWaiters()
      resolve({ code, signal })
    })
  })
  const handle: CrashWriter = {
    writer: options.writer,
    sideFile,
    child,
    exited,
    printed(line) {
      return new Promise((resolve, reject) => {
        waiters.push({ line, resolve, reject })
        settleWaiters()
      })
    },
    kill() {
      if (!done && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    },
    stderr: () => err,
  }
  running.add(handle)
  return handle
}

/** SIGKILLs every crash-writer still running and waits for each to exit: for `afterEach`. */
export async function reapCrashWriters(): Promise<void> {
  const left = [...running]
  for (const writer of left) writer.kill()
  await Promise.all(left.map((writer) => writer.exited))
}

/** An event's fields other than its timestamp, as the child meant to log it. */
export type EventBody = Omit<AuditEvent, 'timestamp'>

/** What one child's side file says it did. */
export interface WriterRecord {
  readonly writer: number
  /** Events `logEvent` returned, in call order (seq 0, 1, …). */
  readonly acks: AuditEvent[]
  /** The event whose `logEvent` had begun and not been recorded as returned, if any. */
  readonly inFlight: { readonly seq: number; readonly body: EventBody } | undefined
  /** Messages of `logEvent` calls that threw. */
  readonly errors: string[]
}

/**
 * Reads a child's side file. A last line without its line break was cut by the kill and is ignored (a cut
 * `ack` leaves its event in flight); every complete line must parse and follow the protocol.
 */
export function readSideFile(file: string, writer: number): WriterRecord {
  let text = ''
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    // Killed before it opened its side file: it did nothing.
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
  const lines = text.split('\n').slice(0, -1)
  const acks: AuditEvent[] = []
  const errors: string[] = []
  let inFlight: { seq: number; body: EventBody } | undefined
  for (const line of lines) {
    const record = JSON.parse(line) as { k: string; seq: number; body?: EventBody; event?: AuditEvent; message?: string }
    if (record.k === 'flight') {
      if (inFlight !== undefined || record.seq !== acks.length) throw new Error(`side file ${file}: flight ${record.seq} out of protocol`)
      inFlight = { seq: record.seq, body: record.body as EventBody }
    } else if (record.k === 'ack') {
      if (inFlight?.seq !== record.seq) throw new Error(`side file ${file}: ack ${record.seq} without its flight`)
      acks.push(record.event as AuditEvent)
      inFlight = undefined
    } else if (record.k === 'error') {
      errors.push(`seq ${record.seq}: ${record.message}`)
    } else {
      throw new Error(`side file ${file}: unknown record ${line.slice(0, 80)}`)
    }
  }
  return { writer, acks, inFlight, errors }
}

/** Identity of an event logged by a crash-writer: `details.crash_id`. */
export function crashId(event: AuditEvent): { writer: number; seq: number } | undefined {
  const id = event.details['crash_id'] as { writer?: unknown; seq?: unknown } | undefined
  return typeof id?.writer === 'number' && typeof id.seq === 'number' ? { writer: id.writer, seq: id.seq } : undefined
}

// Canonical: a chained event stores its details with their keys in canonical order, not the order they were logged in.
const bodyText = (e: EventBody): string => canonicalJson([e.action_type, e.status, e.details, e.error] as JsonValue)

/**
 * Opens the log as the next process would (a fresh AuditLogger, which repairs what a crash left), reads it
 * back, then checks it against what the writers recorded. Returns every problem found (empty when the
 * guarantees hold): the file is valid (Python's json / csv modules read exactly the events auditrail reads,
 * newest first in JSON, under the exact CSV header), every acknowledged event is in it once, nothing else is
 * except at most each writer's in-flight event (with the content that writer meant), each writer's events
 * in call order, timestamps strictly increasing. A writer of this process (no side file) is passed as a record
 * of its returned events.
 */
export function checkLog(
  dir: string,
  format: FileFormat,
  records: readonly WriterRecord[],
  options: { integrity?: boolean } = {},
): { events: AuditEvent[]; inFlightStored: readonly AuditEvent[]; problems: string[] } {
  const checker = new AuditLogger(dir, 'checker', { format, lock: { staleMs: 2000 } })
  let events: AuditEvent[]
  try {
    events = [...checker.readEvents({ order: 'oldest-first' })]
  } finally {
    checker.close()
  }
  const problems: string[] = []
  const file = format === 'json' ? checker.jsonPath : checker.csvPath
  problems.push(...compareWithPython(file, format, events))
  if (options.integrity === true && existsSync(file)) {
    // One chain across every writer and crash: seq 1…n in file order, each hash linking to the one before.
    const verified = verifyLog(file)
    for (const finding of verified.findings) problems.push(`verify: ${finding.severity}: ${finding.message}`)
    if (verified.chain?.chained !== events.length) problems.push(`verify: ${verified.chain?.chained ?? 0} chained events of ${events.length}`)
  }

  const byId = new Map<string, AuditEvent>()
  for (const event of events) {
    const id = crashId(event)
    if (id === undefined) {
      problems.push(`event at ${event.timestamp} has no crash_id`)
      continue
    }
    byId.set(`${id.writer}:${id.seq}`, event)
  }
  const inFlight: AuditEvent[] = []
  for (const record of records) {
    if (record.inFlight === undefined) continue
    const stored = byId.get(`${record.writer}:${record.inFlight.seq}`)
    if (stored === undefined) continue
    if (bodyText(stored) !== bodyText(record.inFlight.body)) {
      problems.push(`writer ${record.writer}: in-flight event ${record.inFlight.seq} is stored with other content than was logged: ${bodyText(stored).slice(0, 300)}`)
    } else {
      inFlight.push(stored)
    }
  }
  const findings = checkInvariants(events, { order: 'oldest-first', acknowledged: records.map((r) => r.acks), inFlight })
  for (const finding of findings) {
    const event = finding.index === undefined ? undefined : events[finding.index]
    const id = event === undefined ? '' : ` [crash_id ${JSON.stringify(crashId(event))}]`
    problems.push(`${finding.invariant}: ${finding.message}${id}`)
  }
  return { events, inFlightStored: inFlight, problems }
}

function compareWithPython(file: string, format: FileFormat, events: readonly AuditEvent[]): string[] {
  // Every writer killed before its first event created the file: nothing to read, and nothing may have been read.
  if (!existsSync(file)) return events.length === 0 ? [] : [`no ${file}, yet ${events.length} events were read`]
  if (format === 'json') {
    const parsed = pythonJsonLoad<AuditEvent[]>(file)
    const same = JSON.stringify(parsed) === JSON.stringify([...events].reverse())
    return same ? [] : [`Python's json.load does not read the ${events.length} events auditrail reads, newest first (it read ${parsed.length})`]
  }
  // Chained logs carry two more columns; cells a spreadsheet could run as a formula carry the guard's apostrophe.
  const chained = events.some((e) => e.seq !== undefined)
  const header = `timestamp,action_type,status,details,error${chained ? ',seq,hash' : ''}\r\n`
  const head = readFileSync(file).subarray(0, header.length).toString('utf8')
  const problems = head === header ? [] : [`CSV header is ${JSON.stringify(head)}`]
  const rows = pythonCsvRowsUnlimited(file)
  const expected = events.map((e) => ({
    timestamp: e.timestamp,
    action_type: guardFormula(e.action_type),
    status: e.status,
    details: Object.keys(e.details).length === 0 ? '' : JSON.stringify(e.details),
    error: guardFormula(e.error ?? ''),
    ...(chained ? { seq: String(e.seq ?? ''), hash: e.hash ?? '' } : {}),
  }))
  const asRead = rows.map((r) => ({ ...r, details: r['details'] === '' ? '' : JSON.stringify(JSON.parse(r['details'] ?? '')) }))
  if (JSON.stringify(asRead) !== JSON.stringify(expected)) {
    problems.push(`Python's csv.DictReader does not read the ${events.length} events auditrail reads (it read ${rows.length} rows)`)
  }
  return problems
}

/**
 * What a crash left, before the next open repairs it: whether the lock is still there, whether the JSON
 * header is dirty (its writer died in a tenure) and the file parses as is, whether the CSV ends at a line break.
 * For the torture runs' log (`AUDITRAIL_TORTURE_VERBOSE=1`), to see which states the kills reached.
 */
export function describeCrashState(dir: string, format: FileFormat): string {
  const file = join(dir, `audit_log.${format}`)
  let bytes: Buffer
  try {
    bytes = readFileSync(file)
  } catch {
    // Every writer was killed before its first event created the file.
    return 'no file'
  }
  const parts = [existsSync(`${file}.lock`) ? 'lock left' : 'no lock']
  // A rewrite or a background regrowth cut short (the next writer removes it).
  if (readdirSync(dir).some((name) => name.endsWith('.tmp'))) parts.push('temporary file left')
  if (format === 'json') {
    parts.push(bytes[9] === 0x09 ? 'dirty header' : 'clean header')
    try {
      JSON.parse(bytes.toString('utf8'))
      parts.push('parses')
    } catch {
      parts.push('torn (does not parse before repair)')
    }
  } else {
    parts.push(bytes[bytes.length - 1] === 0x0a ? 'ends at a line break' : 'torn tail')
  }
  return parts.join(', ')
}

/** True when the torture runs should log what each run did. */
export const verbose = process.env['AUDITRAIL_TORTURE_VERBOSE'] === '1'

/**
 * Python's csv.DictReader over the log, with the field size limit lifted: by default Python refuses any cell over
 * 128 KiB (`field larger than field limit`), and auditrail stores details and errors of any size.
 */
function pythonCsvRowsUnlimited(file: string): Record<string, string>[] {
  return runPython<Record<string, string>[]>(
    'import csv,json,sys\ncsv.field_size_limit(sys.maxsize)\nwith open(sys.argv[1], newline="", encoding="utf-8") as f:\n    print(json.dumps(list(csv.DictReader(f))))',
    file,
  )
}

/** Removes a test's temporary directory. */
export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true })
}
