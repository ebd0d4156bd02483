import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createFileLock, formatMicros, nodeFileIo, removeStaleTemps, type AuditEvent, type FileIo, type FileLock } from '@auditrail/core'
import { AuditLogger, createCsvSink, createJsonSink, isAuditrailError, type AuditrailError } from 'auditrail'
import { createRecordingIo } from '@auditrail/testkit'
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest'

// Exact modes below assume the usual umask 0o022 (which masks nothing of 0o600, 0o640 or 0o700); set it for this file.
let umaskBefore: number
beforeAll(() => {
  umaskBefore = process.umask(0o022)
})
afterAll(() => {
  process.umask(umaskBefore)
})

const dirs: string[] = []
const locks: FileLock[] = []
afterEach(() => {
  for (const lock of locks.splice(0)) lock.release()
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'auditrail-security-'))
  dirs.push(dir)
  return dir
}

const modeOf = (p: string): number => statSync(p).mode & 0o777

const BASE = Date.UTC(2026, 4, 27, 14, 30, 0) * 1000
const event = (i: number, details: AuditEvent['details'] = { i }): AuditEvent => ({ timestamp: formatMicros(BASE + i), action_type: 'hp_change', status: 'success', details, error: null })

function thrownBy(fn: () => unknown): AuditrailError {
  try {
    fn()
  } catch (error) {
    if (isAuditrailError(error)) return error
    throw error
  }
  throw new Error('expected a throw')
}

/** A file outside the log directory, which a planted link points at; its bytes and mtime must never change. */
function precious(): { path: string; dir: string; unchanged: () => void } {
  const dir = tempDir()
  const path = join(dir, 'precious.txt')
  writeFileSync(path, 'do not touch\n')
  const mtimeMs = statSync(path).mtimeMs
  return {
    path,
    dir,
    unchanged() {
      expect(readFileSync(path, 'utf8')).toBe('do not touch\n')
      expect(statSync(path).mtimeMs).toBe(mtimeMs)
      expect(readdirSync(dir)).toEqual(['precious.txt'])
    },
  }
}

const FORMATS = [
  { format: 'json', file: 'audit_log.json', create: createJsonSink },
  { format: 'csv', file: 'audit_log.csv', create: createCsvSink },
] as const

describe.each(FORMATS)('$format: file and directory modes', ({ format, file, create }) => {
  test('the log is 0600 after the first event, through AuditLogger and through the sink', () => {
    const viaLogger = tempDir()
    const logger = new AuditLogger(viaLogger, 'x', { format })
    logger.logEvent('pause', 'success')
    logger.close()
    expect(modeOf(join(viaLogger, file))).toBe(0o600)

    const viaSink = tempDir()
    const sink = create({ rootLogDir: viaSink })
    sink.write(event(0))
    sink.close()
    expect(modeOf(join(viaSink, file))).toBe(0o600)
  })

  test('fileMode 0o640 is honoured', () => {
    const viaLogger = tempDir()
    const logger = new AuditLogger(viaLogger, 'x', { format, fileMode: 0o640 })
    logger.logEvent('pause', 'success')
    logger.close()
    expect(modeOf(join(viaLogger, file))).toBe(0o640)

    const viaSink = tempDir()
    const sink = create({ rootLogDir: viaSink, fileMode: 0o640 })
    sink.write(event(0))
    sink.close()
    expect(modeOf(join(viaSink, file))).toBe(0o640)
  })

  test.each([0o666, 0o602, 0o1000, -1, 1.5, '600', Number.NaN])('fileMode %s is refused before any I/O', (fileMode) => {
    const parent = tempDir()
    const missing = join(parent, 'never-made')
    const error = thrownBy(() => create({ rootLogDir: missing, fileMode: fileMode as number }))
    expect(error.code).toBe('options')
    expect(error.field).toBe('fileMode')
    expect(error.message).toContain('fileMode')
    if (typeof fileMode === 'number' && Number.isInteger(fileMode) && fileMode >= 0) expect(error.message).toContain(`0o${fileMode.toString(8)}`)
    expect(existsSync(missing)).toBe(false)
    // AuditLogger checks its directory before the sink validates (see the report): on an existing one, nothing is created.
    const viaLogger = thrownBy(() => new AuditLogger(parent, 'x', { format, fileMode: fileMode as number }))
    expect([viaLogger.code, viaLogger.field]).toEqual(['options', 'fileMode'])
    expect(readdirSync(parent)).toEqual([])
  })

  test('directories we create are 0700, parents included; an existing directory keeps its mode', () => {
    const base = tempDir()
    const logger = new AuditLogger(join(base, 'a', 'b'), 'x', { format })
    logger.logEvent('pause', 'success')
    logger.close()
    expect([modeOf(join(base, 'a')), modeOf(join(base, 'a', 'b'))]).toEqual([0o700, 0o700])

    const sink = create({ rootLogDir: join(base, 'c', 'd') })
    sink.write(event(0))
    sink.close()
    expect([modeOf(join(base, 'c')), modeOf(join(base, 'c', 'd'))]).toEqual([0o700, 0o700])

    const existing = join(base, 'existing')
    mkdirSync(existing)
    chmodSync(existing, 0o755)
    const again = new AuditLogger(existing, 'x', { format })
    again.logEvent('pause', 'success')
    again.close()
    expect(modeOf(existing)).toBe(0o755)
  })
})

describe('JSON gap growth rewrites the log with fileMode', () => {
  test.each([undefined, 0o640])('fileMode %s: the mode holds after rewrites, even over a file chmod-ed since', (fileMode) => {
    const dir = tempDir()
    // The testkit's recording io does the real I/O and records each call: its renames are the whole-file rewrites.
    const io = createRecordingIo()
    const sink = createJsonSink({ rootLogDir: dir, io, ...(fileMode === undefined ? {} : { fileMode }) })
    sink.write(event(0))
    chmodSync(sink.path, 0o644)
    // ~250 bytes per event: 300 of them overflow the first 16 KiB gap (MIN_GAP) more than once.
    for (let i = 1; i < 300; i++) sink.write(event(i, { i, text: 'x'.repeat(200) }))
    sink.close()
    expect(io.ops.filter((op) => op.kind === 'rename').length).toBeGreaterThan(2)
    expect(modeOf(sink.path)).toBe(fileMode ?? 0o600)
  })
})

describe('the lock', () => {
  test('<file>.lock is a 0700 directory; <file>.lock-wanted gets fileMode (default 0600)', () => {
    const dir = tempDir()
    const file = join(dir, 'audit_log.json')
    const holder = createFileLock(file, 'test')
    locks.push(holder)
    holder.acquire()
    expect(lstatSync(`${file}.lock`).isDirectory()).toBe(true)
    expect(modeOf(`${file}.lock`)).toBe(0o700)
    // A waiter that times out has announced itself through the marker file.
    expect(thrownBy(() => createFileLock(file, 'test', { timeoutMs: 30 }).acquire()).code).toBe('locked')
    expect(modeOf(`${file}.lock-wanted`)).toBe(0o600)

    const other = join(dir, 'audit_log.csv')
    const second = createFileLock(other, 'test')
    locks.push(second)
    second.acquire()
    expect(thrownBy(() => createFileLock(other, 'test', { timeoutMs: 30 }, 0o640).acquire()).code).toBe('locked')
    expect(modeOf(`${other}.lock-wanted`)).toBe(0o640)
  })

  test('a symbolic link at <file>.lock-wanted is refused (unsafe), its target untouched', () => {
    const dir = tempDir()
    const file = join(dir, 'audit_log.json')
    const target = precious()
    symlinkSync(target.path, `${file}.lock-wanted`)
    const holder = createFileLock(file, 'test')
    locks.push(holder)
    holder.acquire()
    const error = thrownBy(() => createFileLock(file, 'test', { timeoutMs: 1_000 }).acquire())
    expect([error.code, error.file]).toEqual(['unsafe', `${file}.lock-wanted`])
    target.unchanged()
  })

  test('a symbolic link at <file>.lock-takeover is refused (unsafe); the stale lock and the target stay', () => {
    const dir = tempDir()
    const file = join(dir, 'audit_log.json')
    const target = precious()
    mkdirSync(`${file}.lock`)
    const old = new Date(Date.now() - 60_000)
    utimesSync(`${file}.lock`, old, old)
    symlinkSync(target.dir, `${file}.lock-takeover`)
    const error = thrownBy(() => createFileLock(file, 'test', { staleMs: 2_000, timeoutMs: 1_000 }).acquire())
    expect([error.code, error.file]).toEqual(['unsafe', `${file}.lock-takeover`])
    expect(lstatSync(`${file}.lock`).isDirectory()).toBe(true)
    target.unchanged()
  })
})

describe.each(FORMATS)('$format: symbolic links are refused, never followed', ({ format, file, create }) => {
  test.each(['to a file outside', 'dangling'])('at the log file (%s): the factory and AuditLogger refuse it', (kind) => {
    const dir = tempDir()
    const target = precious()
    const pointee = kind === 'dangling' ? join(target.dir, 'not-there') : target.path
    symlinkSync(pointee, join(dir, file))
    const error = thrownBy(() => create({ rootLogDir: dir }))
    expect([error.code, error.file]).toEqual(['unsafe', join(dir, file)])
    expect(error.message).toContain('refusing to follow a symbolic link')
    expect(thrownBy(() => new AuditLogger(dir, 'x', { format })).code).toBe('unsafe')
    expect(existsSync(join(target.dir, 'not-there'))).toBe(false)
    target.unchanged()
  })

  test.each(['to a file outside', 'dangling'])('at the log file (%s), planted after the factory: write and read refuse it', (kind) => {
    const dir = tempDir()
    const target = precious()
    const logger = new AuditLogger(dir, 'x', { format })
    const sink = create({ rootLogDir: dir })
    symlinkSync(kind === 'dangling' ? join(target.dir, 'not-there') : target.path, join(dir, file))
    expect(thrownBy(() => sink.write(event(0))).code).toBe('unsafe')
    expect(thrownBy(() => [...sink.read()]).code).toBe('unsafe')
    expect(thrownBy(() => logger.logEvent('pause', 'success')).code).toBe('unsafe')
    sink.close()
    logger.close()
    expect(existsSync(join(target.dir, 'not-there'))).toBe(false)
    target.unchanged()
  })

  test('at a log that exists, swapped for a link between tenures: the next write refuses it', () => {
    const dir = tempDir()
    const target = precious()
    const sink = create({ rootLogDir: dir })
    sink.write(event(0))
    sink.flush()
    rmSync(join(dir, file))
    symlinkSync(target.path, join(dir, file))
    expect(thrownBy(() => sink.write(event(1))).code).toBe('unsafe')
    sink.close()
    target.unchanged()
  })

  test.each(['to a directory outside', 'dangling'])('at <file>.lock (%s): the factory and the write refuse it', (kind) => {
    const dir = tempDir()
    const target = precious()
    const lockPath = join(dir, `${file}.lock`)
    const pointee = kind === 'dangling' ? join(target.dir, 'not-there') : target.dir
    symlinkSync(pointee, lockPath)
    expect(thrownBy(() => create({ rootLogDir: dir })).code).toBe('unsafe')
    rmSync(lockPath)
    const sink = create({ rootLogDir: dir, lock: { timeoutMs: 1_000 } })
    symlinkSync(pointee, lockPath)
    const error = thrownBy(() => sink.write(event(0)))
    expect([error.code, error.file]).toEqual(['unsafe', lockPath])
    sink.close()
    expect(existsSync(join(dir, file))).toBe(false)
    expect(existsSync(join(target.dir, 'not-there'))).toBe(false)
    target.unchanged()
  })

  test('a link planted at the temporary file name is not followed: the rewrite fails, the target is untouched', () => {
    // Temp names are `<file>.<pid>.<8 random hex>.tmp`: 32 random bits, so a name cannot be planted in advance,
    // only raced in between choosing it and opening it. The io seam stages exactly that race. The open uses
    // O_CREAT | O_EXCL, which fails with EEXIST whenever the name exists, a symbolic link included (POSIX never
    // follows a link under O_EXCL); O_NOFOLLOW says the same once more. So the write fails and nothing is followed.
    const dir = tempDir()
    const target = precious()
    const io: FileIo = {
      ...nodeFileIo,
      openSync(path, flags, mode) {
        if (path.endsWith('.tmp')) symlinkSync(target.path, path)
        return nodeFileIo.openSync(path, flags, mode)
      },
    }
    const sink = create({ rootLogDir: dir, io })
    const error = thrownBy(() => sink.write(event(0)))
    expect(error.code).toBe('io')
    expect((error.cause as NodeJS.ErrnoException).code).toBe('EEXIST')
    sink.close()
    expect(existsSync(join(dir, file))).toBe(false)
    target.unchanged()
  })

  test('a stale temporary name that is a link is unlinked (the link, not its target) by the next writer', () => {
    const dir = tempDir()
    const target = precious()
    const first = create({ rootLogDir: dir })
    first.write(event(0))
    first.close()
    const stale = join(dir, `${file}.12345.deadbeef.tmp`)
    symlinkSync(target.path, stale)
    const next = create({ rootLogDir: dir })
    next.write(event(1))
    next.close()
    expect(readdirSync(dir)).not.toContain(`${file}.12345.deadbeef.tmp`)
    target.unchanged()
  })
})

describe('removeStaleTemps', () => {
  test('unlinks links under temporary names, to a file or a directory, without touching their targets', () => {
    const dir = tempDir()
    const target = precious()
    const file = join(dir, 'audit_log.json')
    symlinkSync(target.path, `${file}.1.0123abcd.tmp`)
    symlinkSync(target.dir, `${file}.2.89abcdef.tmp`)
    symlinkSync(join(target.dir, 'not-there'), `${file}.3.00000000.tmp`)
    removeStaleTemps(nodeFileIo, file)
    expect(readdirSync(dir)).toEqual([])
    target.unchanged()
  })
})
