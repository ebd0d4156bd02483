import { formatMicros, parseMicros, type AuditEvent } from '@auditrail/core'
import { createReplay, replay } from '@auditrail/replay'
import { auditEventsArbitrary } from '@auditrail/testkit'
import fc from 'fast-check'
import { describe, expect, test } from 'vitest'

/** A log and a moment: an event's own timestamp, one microsecond either side of it, or any time. */
const logAndMoment = auditEventsArbitrary({ maxLength: 30 }).chain((events) =>
  fc.tuple(
    fc.constant(events),
    events.length === 0
      ? fc.integer({ min: 1_500_000_000_000_000, max: 2_100_000_000_000_000 })
      : fc.oneof(
          fc.constantFrom(...events.map((e) => parseMicros(e.timestamp))).chain((m) => fc.constantFrom(m - 1, m, m + 1)),
          fc.integer({ min: 1_500_000_000_000_000, max: 2_100_000_000_000_000 }),
        ),
  ),
)

describe('replay properties', () => {
  test('replaying a log at T equals replaying only the events up to T', () => {
    fc.assert(
      fc.property(logAndMoment, ([events, micros]) => {
        const at = formatMicros(micros)
        const upToT = events.filter((e) => parseMicros(e.timestamp) <= micros)
        expect(replay(events, { at })).toEqual(replay(upToT))
      }),
      { numRuns: 300 },
    )
  })

  test('the state read after each event of an incremental replay equals replaying that prefix', () => {
    fc.assert(
      fc.property(auditEventsArbitrary({ maxLength: 25 }), (events) => {
        const run = createReplay()
        const snapshots = events.map((event) => {
          run.apply(event)
          return run.state()
        })
        snapshots.forEach((snapshot, i) => expect(snapshot).toEqual(replay(events.slice(0, i + 1))))
      }),
      { numRuns: 100 },
    )
  })

  test('replay leaves its events untouched and every event is counted once, failed ones listed', () => {
    fc.assert(
      fc.property(auditEventsArbitrary({ maxLength: 30 }), (events: AuditEvent[]) => {
        const before = JSON.stringify(events)
        const state = replay(events)
        expect(JSON.stringify(events)).toBe(before)
        expect(state.eventCount).toBe(events.length)
        expect(state.failures).toEqual(events.filter((e) => e.status === 'failed'))
        // Plain JSON: what `auditrail state --json` prints reads back as the same state.
        expect(JSON.parse(JSON.stringify(state))).toEqual(state)
      }),
      { numRuns: 200 },
    )
  })
})
