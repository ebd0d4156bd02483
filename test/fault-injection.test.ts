/*
 * Fault injection at every file-system call of a recorded workload: each sink, each durability, each starting state,
 * and each mutating call (open, write, fsync, fdatasync, ftruncate, rename, unlink, mkdir) of a clean run is made to
 * fail with ENOSPC, EIO (once: a transient fault), EACCES or EROFS (until cleared: a persistent one). The write hit
 * must throw an `io` AuditrailError naming the file and the errno; the file must stay valid with every earlier event;
 * once the fault is cleared, the next writes must work and the log must hold exactly the acknowledged events.
 * The same through the AuditLogger facade with `onError: 'warn'`: a warning instead of a throw.
 */
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AuditLogger } from 'auditrail'
import { AuditrailError, checkInvariants, formatMicros, type AuditEvent, type AuditSink, type FileIo, type JsonObject, type ReadOrder } from '@auditrail/core'
import { createCsvSink, CSV_LOG_FILE } from '@auditrail/sink-csv'
import { createJsonSink, JSON_LOG_FILE } from '@auditrail/sink-json'
import { createFaultyIo, createRecordingIo, replayOps, type FileOp, type RecordedOp } from '@auditrail/testkit'
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest'
import { pythonJsonDump } from './support/python.js'
import { readRawLog, type LogFormat } from './support/raw-log.js'

type Durability = 'process' | 'fsync'
type Start = 'empty' | 'existing' | 'python' | 'torn'
type Step = { readonly kind: 'write'; readonly event: AuditEvent } | { readonly kind: 'flush' } | { readonly kind: 'sync' }
type Sink = AuditSink & { read(): Iterable<AuditEvent>; flush(): void; sync(): void }

/** Each errno, and whether it fails one call (transient) or every call of that method until cleared (persistent). */
const FAULTS = [
  { code: 'ENOSPC', times: 1 },
  { code: 'EIO', times: 1 },
  { code: 'EACCES', times: Number.POSITIVE_INFINITY },
  { code: 'EROFS', times: Number.POSITIVE_INFINITY },
] as const
const INJECTED: ReadonlySet<FileOp> = new Set(['openSync', 'writeSync', 'fsyncSync', 'fdatasyncSync', 'ftruncateSync', 'renameSync', 'unlinkSync', 'mkdirSync'])

const FORMATS: Record<LogFormat, { file: string; order: ReadOrder; create(options: { rootLogDir: string; durability?: Durability; io?: FileIo }): Sink }> = {
  json: { file: JSON_LOG_FILE, order: 'newest-first', create: (options) => createJsonSink(options) },
  csv: { file: CSV_LOG_FILE, order: 'oldest-first', create: (options) => createCsvSink(options) },
}

const BASE = Date.UTC(2026, 4, 27, 14, 30) * 1000
function event(i: number, padding = 0, error: string | null = null): AuditEvent {
  return Object.freeze({
    timestamp: formatMicros(BASE + i * 1000),
    action_type: i % 2 === 0 ? 'hp_change' : 'tag_add',
    status: error === null ? ('success' as const) : ('failed' as const),
    details: (padding === 0 ? { step: i } : { step: i, padding: 'p'.repeat(padding) }) as JsonObject,
    error,
  })
}

const INITIAL = [event(0), event(1, 0, 'a "quoted", comma'), event(2)]
/**
 * Two bursts (tenures), the second with an event too big for the JSON gap (a rewrite), and the group commit's sync()
 * after a rewrite and mid-tenure: every code path of an append runs.
 */
const STEPS: readonly Step[] = [
  { kind: 'write', event: event(10) },
  { kind: 'write', event: event(11, 0, 'Checkpoint file not found') },
  { kind: 'flush' },
  { kind: 'write', event: event(12, 20_000) },
  { kind: 'sync' },
  { kind: 'write', event: event(13) },
  { kind: 'flush' },
  { kind: 'write', event: event(14) },
  { kind: 'sync' },
]

const dirs: string[] = []
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'auditrail-faults-'))
  dirs.push(dir)
  return dir
}
const summary: string[] = []
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
  console.log(`fault injection\n${summary.join('\n')}`)
})

/** Fills `dir` as the scenario starts and returns the events stored there, oldest first. */
function prepare(format: LogFormat, start: Start, dir: string): AuditEvent[] {
  if (start === 'empty') return []
  if (start === 'python') {
    pythonJsonDump(join(dir, JSON_LOG_FILE), [...INITIAL].reverse())
    return INITIAL
  }
  const sink = FORMATS[format].create({ rootLogDir: dir })
  for (const e of INITIAL) sink.write(e)
  sink.close()
  if (start === 'torn') {
    // A writer killed mid-append: its event's write lands half (JSON: in the gap, header dirty; CSV: a torn last row).
    const scratch = tempDir()
    cpSync(dir, scratch, { recursive: true })
    const io = createRecordingIo()
    const dead = FORMATS[format].create({ rootLogDir: scratch, io })
    dead.write(event(5, 0, 'died\r\nmid-write'))
    dead.close()
    const q = io.ops.findLastIndex((op) => op.kind === 'write' && op.bytes.includes(event(5).timestamp))
    replayOps(io.ops, q + 1, { from: scratch, to: dir, tornBytes: Math.floor((io.ops[q] as Extract<RecordedOp, { kind: 'write' }>).bytes.length / 2) })
  }
  return INITIAL
}

interface FaultPoint {
  readonly method: FileOp
  readonly call: number
  readonly what: string
  /**
   * The directory's open or fsync that makes a rename durable (durability 'fsync'). The rename has already put the
   * event in the log, and cannot be taken back: the write fails (it was not made durable) yet the event may be there.
   */
  readonly afterRename: boolean
}

/** The clean run's calls that a fault can hit, from a copy of `template`. */
function faultPoints(format: LogFormat, durability: Durability, template: string): FaultPoint[] {
  const dir = tempDir()
  cpSync(template, dir, { recursive: true })
  const io = createRecordingIo()
  const sink = FORMATS[format].create({ rootLogDir: dir, durability, io })
  io.mark('ready')
  for (const step of STEPS) {
    if (step.kind === 'write') sink.write(step.event)
    else if (step.kind === 'sync') sink.sync()
    else sink.flush()
  }
  sink.close()
  const ready = io.ops.findIndex((op) => op.kind === 'mark')
  return io.ops.flatMap((op, i) => {
    if (op.kind === 'mark' || !INJECTED.has(op.method)) return []
    const afterRename = (op.kind === 'open' || op.kind === 'fsync') && op.path === dir
    return [{ method: op.method, call: op.call, what: `${op.kind} #${op.call}${i < ready ? ' (while creating the sink)' : ''}${afterRename ? ' (directory, after a rename)' : ''}`, afterRename }]
  })
}

/** A plain reader and a fresh sink on a copy of `dir` both see exactly `acknowledged` (plus `inDoubt`, which may be there). */
function expectLogHolds(format: LogFormat, dir: string, acknowledged: AuditEvent[], context: string, options: { raw: boolean; inDoubt?: AuditEvent | undefined }): void {
  const { file, order, create } = FORMATS[format]
  const expected = { order, acknowledged: [acknowledged], inFlight: options.inDoubt === undefined ? [] : [options.inDoubt] }
  if (options.raw) expect(checkInvariants(readRawLog(format, join(dir, file)), expected), `${context}: the file as a plain reader sees it`).toEqual([])
  const copy = tempDir()
  cpSync(dir, copy, { recursive: true, filter: (source) => !source.endsWith('.lock') })
  const reader = create({ rootLogDir: copy })
  expect(checkInvariants([...reader.read()], expected), `${context}: a fresh sink reading a copy`).toEqual([])
  reader.close()
  rmSync(copy, { recursive: true })
}

function expectIoError(error: unknown, format: LogFormat, dir: string, code: string, context: string): void {
  expect(error, context).toBeInstanceOf(AuditrailError)
  const e = error as AuditrailError
  expect(e.code, `${context}: ${e.message}`).toBe('io')
  expect(e.message, context).toContain(join(dir, FORMATS[format].file))
  expect(e.message, context).toContain(code)
}

const SCENARIOS: { format: LogFormat; durability: Durability; start: Start }[] = []
for (const format of ['json', 'csv'] as const) {
  for (const durability of ['process', 'fsync'] as const) {
    for (const start of ['empty', 'existing', 'python', 'torn'] as const) {
      if (start !== 'python' || format === 'json') SCENARIOS.push({ format, durability, start })
    }
  }
}

describe('fault injection at every mutating call of a workload', () => {
  it.each(SCENARIOS)('$format sink, durability $durability, starting from $start', ({ format, durability, start }) => {
    const template = tempDir()
    const initial = prepare(format, start, template)
    const points = faultPoints(format, durability, template)
    expect(points.length).toBeGreaterThan(8)
    let thrown = 0
    for (const point of points) {
      for (const fault of FAULTS) {
        const dir = tempDir()
        cpSync(template, dir, { recursive: true })
        const acked = [...initial]
        const io = createFaultyIo()
        io.fail(point.method, fault.code, { after: point.call, times: fault.times })
        const context = `${format}/${durability}/${start}: ${fault.code} (${fault.times === 1 ? 'once' : 'until cleared'}) at ${point.what}`
        const firedBy = (before: number): boolean => before <= point.call && (io.calls[point.method] ?? 0) > point.call
        let sink: Sink
        let hit = false
        let inDoubt: AuditEvent | undefined
        try {
          sink = FORMATS[format].create({ rootLogDir: dir, durability, io })
        } catch (error) {
          expectIoError(error, format, dir, fault.code, `${context}: creating the sink`)
          expectLogHolds(format, dir, acked, context, { raw: start !== 'torn' })
          io.clear()
          thrown++
          hit = true
          sink = FORMATS[format].create({ rootLogDir: dir, durability, io })
        }
        for (const [s, step] of STEPS.entries()) {
          const before = io.calls[point.method] ?? 0
          if (step.kind === 'flush') {
            // Ending a tenure only tidies the header: every event is already complete, so a failure there is swallowed.
            expect(() => sink.flush(), `${context}: flush`).not.toThrow()
          } else if (step.kind === 'sync') {
            // A failed sync() fails the group commit's promises, but takes back nothing: every write returned.
            try {
              sink.sync()
            } catch (error) {
              expect(firedBy(before), `${context}: sync threw without the fault: ${String(error)}`).toBe(true)
              expectIoError(error, format, dir, fault.code, `${context}: sync`)
              thrown++
            }
          } else {
            try {
              sink.write(step.event)
              acked.push(step.event)
            } catch (error) {
              expect(firedBy(before), `${context}: step ${s} threw without the fault: ${String(error)}`).toBe(true)
              expectIoError(error, format, dir, fault.code, `${context}: step ${s}`)
              if (point.afterRename) inDoubt = step.event
              expectLogHolds(format, dir, acked, `${context}: after the failed step ${s}`, { raw: start !== 'torn', inDoubt })
              thrown++
            }
          }
          if (firedBy(before)) {
            hit = true
            io.clear()
          }
        }
        const beforeClose = io.calls[point.method] ?? 0
        // Closing ends the last tenure, whose tidy-up swallows a failure like a flush does.
        expect(() => sink.close(), `${context}: close`).not.toThrow()
        hit ||= firedBy(beforeClose)
        expect(hit, `${context}: the fault was never hit`).toBe(true)
        expectLogHolds(format, dir, acked, `${context}: at the end`, { raw: true, inDoubt })
        const leftovers = readdirSync(dir).filter((name) => name !== FORMATS[format].file)
        expect(leftovers, `${context}: leftovers`).toEqual([])
        rmSync(dir, { recursive: true })
      }
    }
    // Most faults must surface as errors; only the tidy-up of a tenure (and removing a stray temp file) swallows them.
    expect(thrown).toBeGreaterThan(points.length)
    summary.push(`${format}/${durability}/${start}: ${points.length} calls x ${FAULTS.length} faults, ${thrown} surfaced as io errors, ${points.length * FAULTS.length - thrown} swallowed by design`)
  })
})

describe('fault injection through the AuditLogger facade with onError: warn', () => {
  const warnings: { warning: string | Error; options: unknown }[] = []
  afterEach(() => {
    vi.restoreAllMocks()
    warnings.length = 0
  })

  it.each(['json', 'csv'] as const)('%s: a failed logEvent warns and returns; once the fault clears, the log holds exactly the persisted events', (format) => {
    vi.spyOn(process, 'emitWarning').mockImplementation(((warning: string | Error, options?: unknown) => {
      warnings.push({ warning, options })
    }) as typeof process.emitWarning)
    const run = (io: FileIo, dir: string, onEach: (event: AuditEvent, warned: boolean) => void, onReady = (): void => undefined): void => {
      const logger = new AuditLogger(dir, 'x', { io, format, onError: 'warn' })
      onReady()
      for (let i = 0; i < 6; i++) {
        const before = warnings.length
        const logged = logger.logEvent(i % 2 === 0 ? 'pause' : 'resume', 'success', i === 3 ? { step: i, padding: 'p'.repeat(20_000) } : { step: i })
        onEach(logged, warnings.length > before)
        if (i === 2) logger.flush()
      }
      logger.close()
    }
    const recorder = createRecordingIo()
    run(recorder, tempDir(), (_, warned) => expect(warned).toBe(false), () => recorder.mark('ready'))
    const ready = recorder.ops.findIndex((op) => op.kind === 'mark')
    const points = recorder.ops.slice(ready + 1).flatMap((op) => (op.kind !== 'mark' && INJECTED.has(op.method) ? [op] : []))
    expect(points.length).toBeGreaterThan(8)

    let warned = 0
    points.forEach((op, index) => {
      const fault = FAULTS[index % FAULTS.length] as (typeof FAULTS)[number]
      const context = `${format} facade: ${fault.code} at ${op.kind} #${(op as { call: number }).call}`
      const dir = tempDir()
      const io = createFaultyIo()
      io.fail((op as { method: FileOp }).method, fault.code, { after: (op as { call: number }).call, times: fault.times })
      const persisted: AuditEvent[] = []
      run(io, dir, (logged, failed) => {
        if (!failed) persisted.push(logged)
        else {
          warned++
          const last = warnings.at(-1) as { warning: string | Error; options: unknown }
          expect(last.warning, context).toMatchObject({ name: 'AuditrailWarning', code: 'AUDITRAIL_NOT_PERSISTED' })
          expectIoError((last.warning as Error).cause, format, dir, fault.code, context)
          io.clear()
        }
      })
      expectLogHolds(format, dir, persisted, context, { raw: true })
      rmSync(dir, { recursive: true })
    })
    // Every point but the tidy-ups of a tenure must reach the caller as a warning.
    expect(warned).toBeGreaterThan(points.length / 2)
    summary.push(`${format} facade: ${points.length} calls, ${warned} warnings`)
  })
})
