import { test } from 'vitest'
import { decodeAuditEvent, createClock, formatMicros, parseMicros, summarizeEvents, validateEventInput } from '@auditrail/core'
test('scratch', () => {
  const base = { timestamp: '2026-05-27T14:30:00.123456Z', action_type: 'hp_change', status: 'success', details: {}, error: null }
  const show = (v: unknown) => { const r = decodeAuditEvent(v); console.log(r._tag === 'Left' ? [r.left.message, JSON.stringify(r.left.issues)] : 'Right') }
  show({ ...base, status: 'ok' })
  const { error: _e, ...noError } = base; show(noError)
  const { error: _e2, status: _s, ...noTwo } = base; show(noTwo)
  show({ ...base, error: 42 })
  show({ ...base, error: { '0': 1 } })
  show({ ...base, details: { a: [1, 2, 3, 4, Number.NaN] } })
  show({ ...base, details: [] })
  show({ ...base, details: 'x' })
  show({ ...base, timestamp: '2026-05-27T14:30:00+00:00', extra: 1 })
  show({ ...base, timestamp: 'nope' })
  show(null)
  const s = summarizeEvents([{ action_type: 'constructor', status: 'success' }, { action_type: '__proto__', status: 'failed' }])
  console.log(s, Object.keys(s.by_action_type))
  console.log(formatMicros(1.5), formatMicros(-1), parseMicros(formatMicros(-1)))
  try { validateEventInput('hp_change', 'success', { changed_params: 5 }, null, true) } catch (e) { console.log((e as Error).message, (e as any).field) }
  try { validateEventInput('hp_change', 'success', { param: 'lr' }, null, true) } catch (e) { console.log((e as Error).message, (e as any).field) }
  const c = createClock({ wallMs: () => 1000.5, monotonicNs: () => 0n }); console.log(c.now())
})
