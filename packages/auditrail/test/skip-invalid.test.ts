import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it, vi } from 'vitest'
import { AuditLogger, isAuditrailError, type SkippedRecord } from '../src/index.js'

const tempDir = (): string => mkdtempSync(join(tmpdir(), 'auditrail-skip-'))

/** A log with three events written by the logger, then the middle one damaged on disk as an old bug might. */
function damaged(format: 'json' | 'csv'): string {
  const dir = tempDir()
  const logger = new AuditLogger(dir, 'x', { format })
  logger.logEvent('pause', 'success', { step: 1 })
  logger.logEvent('hp_change', 'success', { changed_params: { lr: 0.1 } })
  logger.logEvent('resume', 'success', { step: 2 })
  logger.close()
  const file = join(dir, format === 'json' ? 'audit_log.json' : 'audit_log.csv')
  writeFileSync(file, readFileSync(file, 'utf8').replace(format === 'json' ? '"status":"success","details":{"changed' : 'hp_change,success', format === 'json' ? '"status":"ok","details":{"changed' : 'hp_change,ok'))
  return dir
}

describe.each(['json', 'csv'] as const)('skipInvalid (%s)', (format) => {
  it('by default, readEvents and getLogSummary refuse the damaged record', () => {
    const logger = new AuditLogger(damaged(format), 'x', { format })
    expect(() => [...logger.readEvents()]).toThrow(/status: expected/)
    expect(() => logger.getLogSummary()).toThrow(/status: expected/)
    logger.close()
  })

  it('with a function, both read past it and report it with its file and position', () => {
    const dir = damaged(format)
    const logger = new AuditLogger(dir, 'x', { format })
    const skipped: SkippedRecord[] = []
    const events = [...logger.readEvents({ order: 'oldest-first', skipInvalid: (record) => skipped.push(record) })]
    expect(events.map((e) => e.action_type)).toEqual(['pause', 'resume'])
    expect(logger.getLogSummary({ skipInvalid: (record) => skipped.push(record) })).toEqual({
      total_events: 2,
      by_action_type: format === 'json' ? { resume: 1, pause: 1 } : { pause: 1, resume: 1 },
      by_status: { success: 2 },
    })
    expect(skipped).toHaveLength(2)
    for (const record of skipped) {
      expect(record.file).toBe(logger.logPath)
      expect(record.position).toMatch(/^(event|byte|record) /)
      expect(isAuditrailError(record.error, 'decode')).toBe(true)
    }
    logger.close()
  })

  it('with true, each skipped record is a process warning', () => {
    const logger = new AuditLogger(damaged(format), 'x', { format })
    // Captured, not printed: a green run shows no warning on stderr.
    const emitted = vi.spyOn(process, 'emitWarning').mockImplementation(() => {})
    let warnings: (Error & { code?: string })[]
    try {
      expect(logger.getLogSummary({ skipInvalid: true }).total_events).toBe(2)
      warnings = emitted.mock.calls.map(([warning]) => warning as Error & { code?: string })
    } finally {
      emitted.mockRestore()
      logger.close()
    }
    expect(warnings.map((w) => [w.name, w.code])).toEqual([['AuditrailWarning', 'AUDITRAIL_RECORD_SKIPPED']])
    expect(warnings[0]?.message).toContain('status: expected')
  })
})

describe('skipInvalid on a CSV log longer than one read chunk (1 MiB)', () => {
  it('names each skipped row by its record number, also past a skipped row of an earlier chunk', () => {
    const dir = tempDir()
    const rows: string[] = []
    for (let i = 0; i < 30_000; i++) {
      const second = String(i % 60).padStart(2, '0')
      const minute = String(Math.floor(i / 60) % 60).padStart(2, '0')
      const hour = String(Math.floor(i / 3600)).padStart(2, '0')
      // Rows 2 and 29,000 (records 4 and 29,002, the header being record 1) are damaged.
      rows.push(`2026-05-27T${hour}:${minute}:${second}.000000Z,pause,${i === 2 || i === 29_000 ? 'ok' : 'success'},,\r\n`)
    }
    writeFileSync(join(dir, 'audit_log.csv'), `timestamp,action_type,status,details,error\r\n${rows.join('')}`)
    const logger = new AuditLogger(dir, 'x', { format: 'csv' })
    const skipped: SkippedRecord[] = []
    let count = 0
    for (const _ of logger.readEvents({ order: 'oldest-first', skipInvalid: (record) => skipped.push(record) })) count++
    logger.close()
    expect(count).toBe(29_998)
    expect(skipped.map((record) => record.position)).toEqual(['record 4', 'record 29002'])
    // Newest first, the rows keep their numbers from the header.
    const backward: SkippedRecord[] = []
    const again = new AuditLogger(dir, 'x', { format: 'csv' })
    for (const _ of again.readEvents({ order: 'newest-first', skipInvalid: (record) => backward.push(record) })) count--
    again.close()
    expect(count).toBe(0)
    expect(backward.map((record) => record.position)).toEqual(['record 29002', 'record 4'])
  })
})
