import { createEventLogger, createMemorySink, summarizeEvents, type AuditEvent } from '@auditrail/core'
import { replay } from '@auditrail/replay'
import { describe, expect, test } from 'vitest'
import { collectReport, embedJson, renderReport, type ReportIntegrity } from '../src/index.js'

const OK: ReportIntegrity = { ok: true, events: 0, errors: 0, warnings: 0, findings: [] }

function events(count: number, failedEvery = 7): AuditEvent[] {
  const sink = createMemorySink()
  const log = createEventLogger({ sinks: [sink] })
  for (let i = 0; i < count; i++) {
    const action = i % 3 === 0 ? 'hp_change' : i % 3 === 1 ? 'query_result' : 'pause'
    log.logEvent(action, i % failedEvery === 0 ? 'failed' : 'success', action === 'hp_change' ? { changed_params: { lr: i } } : { i }, i % failedEvery === 0 ? 'boom' : null)
  }
  log.close()
  return [...sink.read({ order: 'oldest-first' })]
}

describe('collectReport', () => {
  test('counts every event and embeds all of a small log', async () => {
    const all = events(100)
    const data = await collectReport(all, OK)
    const summary = summarizeEvents(all)
    expect(data.summary.total).toBe(100)
    expect(data.summary.byAction).toEqual(summary.by_action_type)
    expect(data.summary.byStatus).toEqual(summary.by_status)
    expect(data.events.map((e) => e.event)).toEqual(all)
    expect(data.omitted).toEqual({ events: 0, important: 0 })
    const binned = data.bins.cells.reduce((sum, n, i) => (i % 4 >= 2 ? sum + n : sum), 0)
    expect(binned).toBe(100)
  })

  test('beyond maxEvents: the newest state-changing and failed events and the newest raw ones, the rest counted as left out', async () => {
    const all = events(1000)
    const data = await collectReport(all, OK, { maxEvents: 100, newestEvents: 20 })
    expect(data.events.length).toBeLessThanOrEqual(100)
    expect(data.events.slice(-20).map((e) => e.event)).toEqual(all.slice(-20))
    const older = data.events.slice(0, -20).map((e) => e.event)
    expect(older.every((e) => e.status === 'failed' || e.action_type !== 'query_result')).toBe(true)
    expect(data.omitted.events).toBe(1000 - data.events.length)
    expect(data.bins.count).toBeLessThanOrEqual(240)
  })

  test('the hyperparameter series at any moment equals replay at that moment', async () => {
    const all = events(90)
    const data = await collectReport(all, OK)
    for (const at of [all[10], all[50], all[89]].map((e) => e?.timestamp as string)) {
      const state = replay(all, { at })
      const series = data.hyperparameters['lr']?.points.filter((p) => p.timestamp <= at) ?? []
      expect(series.at(-1)?.value).toEqual(state.hyperparameters['lr']?.value)
    }
  })
})

describe('renderReport', () => {
  test('a log string cannot close the data element; the page loads nothing from outside', async () => {
    const sink = createMemorySink()
    const log = createEventLogger({ sinks: [sink] })
    log.logEvent('note_write', 'failed', { note: '</script><script>alert(1)</script>' }, '<!-- </script>')
    log.close()
    const html = renderReport(await collectReport(sink.read({ order: 'oldest-first' }), OK))
    expect(html.match(/<\/script>/g)?.length).toBe(2)
    expect(html).not.toMatch(/\b(src|href)=/)
    expect(html).toContain('default-src &#39;none&#39;')
    expect(embedJson({ a: '</script>' })).toBe('{"a":"\\u003c/script>"}')
  })
})
