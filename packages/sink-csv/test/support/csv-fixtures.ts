import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach } from 'vitest'
import { AuditrailError, formatMicros, nodeFileIo, type AuditEvent, type FileIo, type JsonObject } from '@auditrail/core'
import { guardFormula } from '@auditrail/sink-csv'

/** The header the CSV sink must write, with its CRLF. */
export const HEADER = 'timestamp,action_type,status,details,error\r\n'

/** 2026-05-27T14:30:00.000000Z in microseconds: the spec's examples' minute. */
export const BASE_MICROS = Date.UTC(2026, 4, 27, 14, 30) * 1000

/** A fresh temporary directory per call, removed after the current test. */
export function useTempDirs(): () => string {
  const dirs: string[] = []
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
  })
  return () => {
    const dir = mkdtempSync(join(tmpdir(), 'auditrail-sink-csv-'))
    dirs.push(dir)
    return dir
  }
}

/** A frozen, valid event whose timestamp is `BASE_MICROS + i` microseconds (`actor`, `seq`, `hash` only when given). */
export function event(i: number, fields: Partial<Omit<AuditEvent, 'timestamp'>> = {}): AuditEvent {
  return Object.freeze({
    timestamp: formatMicros(BASE_MICROS + i),
    action_type: fields.action_type ?? 'pause',
    status: fields.status ?? 'success',
    details: Object.freeze(fields.details ?? { step: i }) as JsonObject,
    error: fields.error === undefined ? null : fields.error,
    ...(fields.actor === undefined ? {} : { actor: fields.actor }),
    ...(fields.seq === undefined ? {} : { seq: fields.seq }),
    ...(fields.hash === undefined ? {} : { hash: fields.hash }),
  })
}

/** Events as JSON sees them (so -0 and 0 compare equal, as they do once written). */
export function viaJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T
}

/**
 * One event as Python's csv module reads it: every cell a string, details decoded with json.loads ({} when empty);
 * `actor`, `seq`, `hash` only from a file with those columns.
 */
export interface PythonRow {
  readonly timestamp: string
  readonly action_type: string
  readonly status: string
  readonly details: unknown
  readonly error: string
  readonly actor?: string
  readonly seq?: string
  readonly hash?: string
}

const PYTHON_READER = `
import csv, json, sys
out = []
for name in sys.argv[1:]:
    with open(name, newline='', encoding='utf-8') as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    events = []
    for row in body:
        if len(row) != len(header):
            raise SystemExit('row with %d cells: %r' % (len(row), row))
        cell = dict(zip(header, row))
        cell['details'] = json.loads(cell['details']) if cell['details'] != '' else {}
        events.append(cell)
    out.append({'header': header, 'events': events})
print(json.dumps(out))
`

/** Reads every file with one python3 process (`csv.reader`, `newline=''`, UTF-8), in the order given. */
export function pythonReadCsv(files: readonly string[]): { header: string[]; events: PythonRow[] }[] {
  if (files.length === 0) return []
  const output = execFileSync('python3', ['-c', PYTHON_READER, ...files], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 })
  return JSON.parse(output) as { header: string[]; events: PythonRow[] }[]
}

/**
 * What Python must read for `event` in a file with the spec's five columns: the same cells, with both `null` and `''`
 * errors read as '', and `action_type` and `error` as written, with their formula guard (a leading `'`).
 */
export function asPythonRow(e: AuditEvent): PythonRow {
  return asPythonRowOf({})(e)
}

/** {@link asPythonRow} for a file with an `actor` column and/or `seq,hash` columns. */
export function asPythonRowOf(extra: { actor?: boolean; chain?: boolean }): (e: AuditEvent) => PythonRow {
  return (e) => viaJson({
    timestamp: e.timestamp,
    action_type: guardFormula(e.action_type),
    status: e.status,
    details: e.details,
    error: guardFormula(e.error ?? ''),
    ...(extra.actor === true ? { actor: guardFormula(e.actor ?? '') } : {}),
    ...(extra.chain === true ? { seq: e.seq === undefined ? '' : String(e.seq), hash: e.hash ?? '' } : {}),
  })
}

/** The file's content, decoded as UTF-8. */
export function readText(file: string): string {
  return readFileSync(file, 'utf8')
}

/** The ENOSPC error a full disk raises. */
export function enospc(): Error {
  return Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' })
}

/** A `node:fs`-backed FileIo whose `writeSync` calls can be made to fail (or write short) on demand. */
export interface FaultyIo extends FileIo {
  /** Number of `writeSync` calls so far. */
  readonly writes: number
  /** Makes the `n`-th future `writeSync` (1 = the next) throw ENOSPC; with `partialBefore`, the call before it writes only half its bytes. */
  failWrite(n: number, options?: { partialBefore?: boolean }): void
  /** Stops injecting faults. */
  heal(): void
}

/** Creates a {@link FaultyIo} over `nodeFileIo`. */
export function faultyIo(): FaultyIo {
  let writes = 0
  let failAt = Number.POSITIVE_INFINITY
  let partialBefore = false
  return {
    ...nodeFileIo,
    get writes() {
      return writes
    },
    failWrite(n, options = {}) {
      failAt = writes + n
      partialBefore = options.partialBefore ?? false
    },
    heal() {
      failAt = Number.POSITIVE_INFINITY
    },
    writeSync(fd, buffer, offset, length, position) {
      writes++
      if (writes === failAt) throw enospc()
      // A short write, as a nearly full disk gives: half of the bytes, then ENOSPC on the next call.
      if (partialBefore && writes === failAt - 1 && length > 1) {
        return nodeFileIo.writeSync(fd, buffer, offset, Math.floor(length / 2), position)
      }
      return nodeFileIo.writeSync(fd, buffer, offset, length, position)
    },
  }
}

/** Runs `action` and returns the AuditrailError it throws (failing the test if it throws anything else or nothing). */
export function catchAuditrailError(action: () => unknown): AuditrailError {
  try {
    action()
  } catch (error) {
    if (error instanceof AuditrailError) return error
    throw new Error(`expected an AuditrailError, got ${String(error)}`, { cause: error })
  }
  throw new Error('expected an AuditrailError, but nothing was thrown')
}
