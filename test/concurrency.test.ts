import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { AuditLogger, type AuditEvent } from 'auditrail'
import { describe, expect, it } from 'vitest'
import { pythonJsonLoad } from './support/python.js'
import { tempDir } from './support/temp-dir.js'

const run = promisify(execFile)
const writer = fileURLToPath(new URL('./fixtures/writer.mjs', import.meta.url))

describe('many producers', () => {
  it('keeps all 100 events from 10 concurrent async producers', async () => {
    const logger = new AuditLogger(tempDir())
    const producer = async (id: number): Promise<void> => {
      for (let i = 0; i < 10; i++) {
        await new Promise((resolve) => setImmediate(resolve))
        logger.logEvent('tag_add', 'success', { producer: id, seq: i })
      }
    }
    await Promise.all(Array.from({ length: 10 }, (_, id) => producer(id)))
    const events = pythonJsonLoad<AuditEvent[]>(logger.jsonPath)
    expect(events).toHaveLength(100)
    const seen = new Set(events.map((e) => `${e.details['producer']}:${e.details['seq']}`))
    expect(seen.size).toBe(100)
    for (let id = 0; id < 10; id++) {
      const mine = events.filter((e) => e.details['producer'] === id).map((e) => e.details['seq'])
      expect(mine).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0])
    }
    expect(logger.getLogSummary()).toEqual({ total_events: 100, by_action_type: { tag_add: 100 }, by_status: { success: 100 } })
    logger.close()
  })

  it.each(['json', 'csv'] as const)('two loggers open on one directory in one process interleave without loss (%s)', (format) => {
    const dir = tempDir()
    const a = new AuditLogger(dir, 'a', { format })
    const b = new AuditLogger(dir, 'b', { format })
    for (let i = 0; i < 30; i++) (i % 3 === 0 ? b : a).logEvent('note_write', 'success', { i })
    const stored = [...a.readEvents({ order: 'oldest-first' })].map((e) => e.details['i'])
    expect(stored).toEqual(Array.from({ length: 30 }, (_, i) => i))
    a.close()
    b.close()
  })

  it.each(['json', 'csv'] as const)('four processes writing one %s log lose and duplicate nothing, each in its own order', async (format) => {
    const dir = tempDir()
    await Promise.all(Array.from({ length: 4 }, (_, w) => run(process.execPath, [writer, dir, format, String(w), '50'])))
    const logger = new AuditLogger(dir, 'check', { format })
    const events = [...logger.readEvents({ order: 'oldest-first' })]
    expect(events).toHaveLength(200)
    for (let w = 0; w < 4; w++) {
      expect(events.filter((e) => e.details['writer'] === w).map((e) => e.details['seq'])).toEqual(Array.from({ length: 50 }, (_, i) => i))
    }
    logger.close()
  })
})
