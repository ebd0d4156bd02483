import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { AuditEvent } from '@auditrail/core'
import { AuditLogger } from 'auditrail'
import { describe, expect, test } from 'vitest'
import { collectLines, stop, waitFor } from './support/child-output.js'
import { runCli, startCli, tempDir } from './support/cli-process.js'
import { writeScenario } from './support/scenario.js'

const parseLines = (lines: readonly string[]): AuditEvent[] => lines.filter((line) => line !== '').map((line) => JSON.parse(line) as AuditEvent)

describe('auditrail tail', () => {
  for (const format of ['json', 'csv'] as const) {
    test(`prints the last n events, oldest of them first (${format})`, () => {
      const dir = tempDir()
      const events = writeScenario(dir, format)
      const result = runCli(['tail', dir, '-n', '3', '--jsonl'])
      expect(result.code).toBe(0)
      expect(parseLines(result.stdout.split('\n'))).toEqual(events.slice(-3))
      expect(JSON.parse(runCli(['tail', dir, '--json']).stdout)).toEqual(events.slice(-10))
      expect(runCli(['tail', dir, '-n', '0']).stdout).toBe('')
    })
  }

  for (const format of ['json', 'csv'] as const) {
    test(`-f prints each event as another process writes it, once, in order (${format})`, async () => {
      const dir = tempDir()
      const logger = new AuditLogger(dir, 'writer', { format })
      const before = [logger.logEvent('pause', 'success', { step: 1 }), logger.logEvent('resume', 'success', { step: 1 })]
      const child = startCli(['tail', dir, '-f', '-n', '1', '--jsonl', '--interval', '20'])
      const { lines, stderr } = collectLines(child)
      try {
        await waitFor(() => lines.length >= 1, 'the last existing event')
        const written: AuditEvent[] = []
        // Three bursts, each waited for, then one large enough to make the JSON sink rewrite its file.
        for (let burst = 0; burst < 3; burst++) {
          for (let i = 0; i < 3; i++) written.push(logger.logEvent('tag_add', 'success', { tag_name: `t${burst}`, sample_ids: [`s${i}`] }))
          await waitFor(() => lines.length >= 1 + written.length, `burst ${burst}`)
        }
        for (let i = 0; i < 250; i++) written.push(logger.logEvent('note_write', 'success', { note: `${'n'.repeat(100)} ${i}`, point_id: i }))
        await waitFor(() => lines.length >= 1 + written.length, 'the large burst')
        expect(parseLines(lines)).toEqual([before[1], ...written])
      } finally {
        logger.close()
        expect(await stop(child)).toBe(0)
      }
      expect(stderr()).toBe('')
    })
  }

  test('-f on a directory with no log yet waits for one to appear', async () => {
    const dir = tempDir()
    mkdirSync(join(dir, 'run'))
    const child = startCli(['tail', join(dir, 'run'), '-f', '--jsonl', '--interval', '20'])
    const { lines, stderr } = collectLines(child)
    try {
      await waitFor(() => stderr().includes('waiting'), 'the waiting notice')
      const logger = new AuditLogger(join(dir, 'run'), 'late', { format: 'csv' })
      const events = [logger.logEvent('pause', 'success', {}), logger.logEvent('resume', 'success', {})]
      logger.close()
      await waitFor(() => lines.length >= 2, 'the new log')
      expect(parseLines(lines)).toEqual(events)
    } finally {
      await stop(child)
    }
  })

  test('without -f, a directory with no log is an error (exit 2)', () => {
    const dir = tempDir()
    expect(runCli(['tail', dir]).code).toBe(2)
  })
})
