import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { AuditLogger, type AuditEvent } from 'auditrail'
import { describe, expect, it } from 'vitest'
import { pythonCsvRows, pythonJsonDump, pythonJsonLoad } from './support/python.js'
import { tempDir } from './support/temp-dir.js'

describe('continuing an existing log', () => {
  it('keeps newest-first order across a restart (a second logger on the same directory)', () => {
    const dir = tempDir()
    const first = new AuditLogger(dir)
    first.logEvent('pause', 'success', { step: 1 })
    first.logEvent('resume', 'success', { step: 1 })
    first.close()
    const second = new AuditLogger(dir)
    second.logEvent('hp_change', 'success', { changed_params: { learning_rate: 0.1 } })
    const events = pythonJsonLoad<AuditEvent[]>(second.jsonPath)
    expect(events.map((e) => e.action_type)).toEqual(['hp_change', 'resume', 'pause'])
    expect(second.getLogSummary().total_events).toBe(3)
    second.close()
  })

  it('appends CSV rows after a restart, oldest first', () => {
    const dir = tempDir()
    const first = new AuditLogger(dir, 'x', { format: 'csv' })
    first.logEvent('pause', 'success')
    first.close()
    const second = new AuditLogger(dir, 'x', { format: 'csv' })
    second.logEvent('resume', 'success')
    expect(pythonCsvRows(second.csvPath).map((r) => r['action_type'])).toEqual(['pause', 'resume'])
    second.close()
  })

  it("continues a file in the Python original's indent-2 layout, keeping every event in order", () => {
    const dir = tempDir()
    const file = join(dir, 'audit_log.json')
    const original = [
      { timestamp: '2026-05-27T14:30:10.789012+00:00', action_type: 'query_execute', status: 'failed', details: { query_type: 'natural_language' }, error: 'Invalid query syntax' },
      { timestamp: '2026-05-27T14:30:05.456789+00:00', action_type: 'tag_add', status: 'success', details: { tag_name: 'defect', sample_ids: ['s1'] }, error: null },
      { timestamp: '2026-05-27T14:30:00+00:00', action_type: 'hp_change', status: 'success', details: { learning_rate: 0.001 }, error: null },
    ]
    pythonJsonDump(file, original)
    expect(readFileSync(file, 'utf8').startsWith('[\n  {\n    "timestamp"')).toBe(true)
    const logger = new AuditLogger(dir)
    expect(logger.getLogSummary().total_events).toBe(3)
    const event = logger.logEvent('note_write', 'success', { note: 'continued' })
    expect(pythonJsonLoad(file)).toEqual([JSON.parse(JSON.stringify(event)), ...original])
    logger.close()
  })

  it('refuses a log that is not a JSON array of events, leaving it byte for byte', () => {
    const dir = tempDir()
    const file = join(dir, 'audit_log.json')
    for (const content of ['not json at all', '{"events": []}', '[{"timestamp": "2026-05-27T14:30:00', '[{"timestamp":"2026-05-27T14:30:00.000000Z","action_type":"x","status":"ok","details":{},"error":null}]']) {
      writeFileSync(file, content)
      expect(() => new AuditLogger(dir)).toThrow(/audit_log\.json/)
      expect(readFileSync(file, 'utf8')).toBe(content)
    }
  })
})
