import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createMemorySink, isAuditrailError, type AuditEvent } from '@auditrail/core'
import { describe, expect, expectTypeOf, it } from 'vitest'
import { AuditLogger } from '../src/index.js'
import { mkdtempSync } from 'node:fs'

const tempDir = (): string => mkdtempSync(join(tmpdir(), 'auditrail-facade-'))

describe('AuditLogger construction', () => {
  it('defaults to root_experiment, default, json and derives both paths', () => {
    const logger = new AuditLogger(undefined, undefined, { format: 'none' })
    expect([logger.rootLogDir, logger.experimentName, logger.format]).toEqual(['root_experiment', 'default', 'none'])
    expect(logger.jsonPath).toBe(join('root_experiment', 'audit_log.json'))
    expect(logger.csvPath).toBe(join('root_experiment', 'audit_log.csv'))
    expect(logger.logPath).toBeUndefined()
    logger.close()
  })

  it('resolves the format: option > AUDIT_LOG_FORMAT > json', () => {
    const dir = tempDir()
    expect(new AuditLogger(dir, 'e', { env: {} }).format).toBe('json')
    expect(new AuditLogger(dir, 'e', { env: { AUDIT_LOG_FORMAT: ' CSV ' } }).format).toBe('csv')
    expect(new AuditLogger(dir, 'e', { env: { AUDIT_LOG_FORMAT: 'csv' }, format: 'json' }).format).toBe('json')
    expect(() => new AuditLogger(dir, 'e', { format: 'xml' as 'json' })).toThrow(/format: expected one of json, csv, none, got "xml"/)
  })

  it('creates a nested rootLogDir but no file until the first event', () => {
    const dir = join(tempDir(), 'a', 'b', 'c')
    const logger = new AuditLogger(dir)
    expect(readdirSync(dir)).toEqual([])
    logger.logEvent('pause', 'success')
    logger.flush()
    expect(readdirSync(dir)).toEqual(['audit_log.json'])
    logger.close()
  })

  it.each(['json', 'csv'] as const)('creates only the chosen file (%s)', (format) => {
    const dir = tempDir()
    const logger = new AuditLogger(dir, 'e', { format })
    logger.logEvent('resume', 'success')
    expect(readdirSync(dir).sort()).toEqual([`audit_log.${format}`, `audit_log.${format}.lock`])
    logger.flush()
    expect(readdirSync(dir)).toEqual([`audit_log.${format}`])
    logger.close()
  })

  it('creates no file and no directory with format none, and still validates input', () => {
    const dir = join(tempDir(), 'never')
    const logger = new AuditLogger(dir, 'e', { format: 'none' })
    const event = logger.logEvent('pause', 'success', { step: 3 })
    expect(event.details).toEqual({ step: 3 })
    expect(() => logger.logEvent('pause', 'done' as 'success')).toThrow(/status/)
    expect(existsSync(dir)).toBe(false)
    expect(logger.getLogSummary()).toEqual({ total_events: 0, by_action_type: {}, by_status: {} })
    logger.close()
  })

  it('throws a clear io error when rootLogDir is a file or lies under one', () => {
    const file = join(tempDir(), 'plain-file')
    writeFileSync(file, 'x')
    for (const dir of [file, join(file, 'sub')]) {
      try {
        new AuditLogger(dir)
        expect.unreachable()
      } catch (error) {
        expect(isAuditrailError(error, 'io')).toBe(true)
        expect((error as Error).message).toContain(dir)
      }
    }
  })

  it('passes regrowth to the JSON sink: a bad one is an options error naming the field, before anything is created', () => {
    const root = join(tempDir(), 'nested')
    let caught: unknown
    try {
      new AuditLogger(root, 'x', { format: 'json', regrowth: { mode: 'soon' as 'sync' } })
    } catch (error) {
      caught = error
    }
    expect(isAuditrailError(caught, 'options')).toBe(true)
    expect((caught as { field?: string }).field).toBe('regrowth.mode')
    expect(existsSync(root)).toBe(false)
    const logger = new AuditLogger(root, 'x', { format: 'json', regrowth: { mode: 'sync' } })
    logger.logEvent('note_write', 'success', { text: 'kept' })
    logger.close()
    expect(JSON.parse(readFileSync(join(root, 'audit_log.json'), 'utf8'))).toHaveLength(1)
  })

  it('refuses a corrupt existing log at construction and leaves it untouched', () => {
    const dir = tempDir()
    writeFileSync(join(dir, 'audit_log.csv'), 'when,what\n1,2\n')
    expect(() => new AuditLogger(dir, 'e', { format: 'csv' })).toThrow(expect.objectContaining({ code: 'corrupt' }))
    expect(readFileSync(join(dir, 'audit_log.csv'), 'utf8')).toBe('when,what\n1,2\n')
  })
})

describe('AuditLogger.logEvent', () => {
  it('returns the persisted, frozen event, with null/undefined details as {} and a missing error as null', () => {
    const logger = new AuditLogger(tempDir())
    const a = logger.logEvent('pause', 'success', null)
    const b = logger.logEvent('resume', 'success')
    expect([a.details, a.error, b.details, b.error]).toEqual([{}, null, {}, null])
    expect(Object.isFrozen(a)).toBe(true)
    expect(JSON.parse(readFileSync(logger.jsonPath, 'utf8'))).toEqual([b, a])
    logger.close()
  })

  it('writes an absent error as an empty CSV cell', () => {
    const logger = new AuditLogger(tempDir(), 'e', { format: 'csv' })
    logger.logEvent('pause', 'success', { step: 1 })
    const [, row] = readFileSync(logger.csvPath, 'utf8').split('\r\n')
    expect(row).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z,pause,success,"{""step"":1}",$/)
    logger.close()
  })

  it.each([
    ['status', () => ['hp_change', 'ok', {}, undefined]],
    ['action_type', () => ['', 'success', {}, undefined]],
    ['action_type', () => [42, 'success', {}, undefined]],
    ['details', () => ['hp_change', 'success', [1, 2], undefined]],
    ['details.lr', () => ['hp_change', 'success', { lr: Number.NaN }, undefined]],
    ['details.n', () => ['hp_change', 'success', { n: 10n }, undefined]],
    ['details.f', () => ['hp_change', 'success', { f: () => 1 }, undefined]],
    ['details.self', () => { const d: Record<string, unknown> = {}; d['self'] = d; return ['hp_change', 'success', d, undefined] }],
    ['error', () => ['checkpoint_restore', 'failed', {}, 404]],
  ] as const)('rejects bad %s with an invalid error naming it, writing nothing', (field, args) => {
    const logger = new AuditLogger(tempDir())
    logger.logEvent('pause', 'success')
    const before = readFileSync(logger.jsonPath)
    const [action, status, details, error] = args() as unknown as [string, 'success', Record<string, unknown>, string]
    try {
      logger.logEvent(action, status, details, error)
      expect.unreachable()
    } catch (thrown) {
      expect(isAuditrailError(thrown, 'invalid')).toBe(true)
      expect((thrown as { field: string }).field).toBe(field)
      expect((thrown as Error).message).toContain(`${field}:`)
    }
    expect(readFileSync(logger.jsonPath)).toEqual(before)
    logger.close()
  })

  it('types known details per action and accepts any object for other actions', () => {
    const logger = new AuditLogger(tempDir(), 'e', { format: 'none' })
    logger.logEvent('hp_change', 'success', { changed_params: { learning_rate: 0.001 }, param: 'lr' })
    logger.logEvent('my_custom_action', 'success', { anything: [1, 'two'] })
    // @ts-expect-error changed_params must be an object of JSON values
    expect(() => logger.logEvent('hp_change', 'success', { changed_params: 5 })).not.toThrow()
    expectTypeOf(logger.logEvent).toBeFunction()
    expectTypeOf(logger.logEvent('pause', 'success')).toEqualTypeOf<AuditEvent>()
    logger.close()
  })

  it('with strict, rejects details that do not match the action codec', () => {
    const logger = new AuditLogger(tempDir(), 'e', { format: 'none', strict: true })
    expect(() => logger.logEvent('hp_change', 'success', { param: 'lr' } as object)).toThrow(/details\.param/)
    expect(logger.logEvent('hp_change', 'success', { changed_params: { lr: 1 } }).details).toEqual({ changed_params: { lr: 1 } })
    logger.close()
  })

  it('passes events to extra sinks and to events$ subscribers after persisting', () => {
    const memory = createMemorySink()
    const logger = new AuditLogger(tempDir(), 'e', { sinks: [memory] })
    const seen: AuditEvent[] = []
    logger.events$.subscribe((event) => {
      expect(readFileSync(logger.jsonPath, 'utf8')).toContain(event.timestamp)
      seen.push(event)
    })
    const event = logger.logEvent('tag_add', 'success', { tag_name: 'x' })
    expect(memory.events).toEqual([event])
    expect(seen).toEqual([event])
    logger.close()
  })
})

describe('AuditLogger.getLogSummary and lifecycle', () => {
  it.each(['json', 'csv'] as const)('summarizes the %s file, zeros before the first event', (format) => {
    const logger = new AuditLogger(tempDir(), 'e', { format })
    expect(logger.getLogSummary()).toEqual({ total_events: 0, by_action_type: {}, by_status: {} })
    logger.logEvent('hp_change', 'success', { changed_params: { learning_rate: 0.001 } })
    logger.logEvent('checkpoint_restore', 'failed', { checkpoint_id: 'ckpt_001' }, 'Checkpoint file not found')
    logger.logEvent('hp_change', 'success')
    expect(logger.getLogSummary()).toEqual({ total_events: 3, by_action_type: { hp_change: 2, checkpoint_restore: 1 }, by_status: { success: 2, failed: 1 } })
    logger.close()
  })

  it('close is idempotent and logEvent afterwards throws a closed error', () => {
    const dir = tempDir()
    mkdirSync(dir, { recursive: true })
    const logger = new AuditLogger(dir)
    expect(logger.closed).toBe(false)
    logger.close()
    logger.close()
    expect(logger.closed).toBe(true)
    expect(() => logger.logEvent('pause', 'success')).toThrow(expect.objectContaining({ code: 'closed' }))
  })
})
