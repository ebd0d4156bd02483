import { KNOWN_ACTION_TYPES, summarizeEvents, type AuditStatus } from '@auditrail/core'
import fc from 'fast-check'
import { describe, expect, test } from 'vitest'

type Counted = { action_type: string; status: AuditStatus }

const ev = (action_type: string, status: AuditStatus = 'success'): Counted => ({ action_type, status })

const sum = (counts: Readonly<Record<string, number>>): number => Object.values(counts).reduce((a, b) => a + b, 0)

describe('summarizeEvents', () => {
  test('counts events in the shape of the spec get_log_summary()', () => {
    const events = [ev('hp_change'), ev('tag_add'), ev('hp_change'), ev('checkpoint_restore', 'failed'), ev('tag_add')]
    expect(summarizeEvents(events)).toEqual({
      total_events: 5,
      by_action_type: { hp_change: 2, tag_add: 2, checkpoint_restore: 1 },
      by_status: { success: 4, failed: 1 },
    })
  })

  test('an empty log has no counts', () => {
    expect(summarizeEvents([])).toEqual({ total_events: 0, by_action_type: {}, by_status: {} })
  })

  test('lists action types in order of first appearance', () => {
    const summary = summarizeEvents([ev('resume'), ev('pause'), ev('resume'), ev('mode_switch')])
    expect(Object.keys(summary.by_action_type)).toEqual(['resume', 'pause', 'mode_switch'])
  })

  test('counts action types named like Object.prototype members as own keys', () => {
    const names = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', '__proto__']
    const summary = summarizeEvents(names.map((name) => ev(name)))
    expect(Object.keys(summary.by_action_type)).toEqual(['__proto__', 'constructor', 'toString', 'hasOwnProperty'])
    expect(Object.entries(summary.by_action_type)).toEqual([
      ['__proto__', 2],
      ['constructor', 1],
      ['toString', 1],
      ['hasOwnProperty', 1],
    ])
    expect(JSON.parse(JSON.stringify(summary.by_action_type))).toEqual(JSON.parse('{"__proto__":2,"constructor":1,"toString":1,"hasOwnProperty":1}'))
  })

  test('streams over any iterable, such as a generator, reading it once', () => {
    let produced = 0
    function* events() {
      for (let i = 0; i < 1_000; i++) {
        produced++
        yield ev(i % 3 === 0 ? 'sample_discard' : 'sample_restore', i % 10 === 0 ? 'failed' : 'success')
      }
    }
    expect(summarizeEvents(events())).toEqual({
      total_events: 1_000,
      by_action_type: { sample_discard: 334, sample_restore: 666 },
      by_status: { failed: 100, success: 900 },
    })
    expect(produced).toBe(1_000)
  })

  test('property: the total equals the sum of by_status and the sum of by_action_type, and each count matches a filter', () => {
    const action = fc.oneof(fc.constantFrom(...KNOWN_ACTION_TYPES, '__proto__', 'constructor'), fc.string({ minLength: 1 }))
    const event = fc.record({ action_type: action, status: fc.constantFrom<AuditStatus>('success', 'failed') })
    fc.assert(
      fc.property(fc.array(event, { maxLength: 100 }), (events) => {
        const summary = summarizeEvents(events)
        expect(summary.total_events).toBe(events.length)
        expect(sum(summary.by_status)).toBe(events.length)
        expect(sum(summary.by_action_type)).toBe(events.length)
        for (const [name, count] of Object.entries(summary.by_action_type)) {
          expect(count).toBe(events.filter((e) => e.action_type === name).length)
        }
        expect(new Set(Object.keys(summary.by_action_type))).toEqual(new Set(events.map((e) => e.action_type)))
      }),
    )
  })
})
