import { checkInvariants, createEventLogger, createMemorySink, type AuditEvent, type InvariantName } from '@auditrail/core'
import fc from 'fast-check'
import { describe, expect, test } from 'vitest'

/** `count` real events, oldest first, from a logger (so timestamps strictly increase). */
function logged(count: number, action = 'tag_add'): AuditEvent[] {
  const logger = createEventLogger()
  return Array.from({ length: count }, (_, i) => logger.logEvent(action, 'success', { i }))
}

const names = (findings: readonly { invariant: InvariantName }[]) => findings.map((f) => f.invariant)

describe('checkInvariants on a log alone', () => {
  test('a clean log has no findings, in either order', () => {
    const events = logged(5)
    expect(checkInvariants(events, { order: 'oldest-first' })).toEqual([])
    expect(checkInvariants([...events].reverse())).toEqual([])
  })

  test('reads newest-first by default, so an oldest-first log is out of order', () => {
    expect(names(checkInvariants(logged(3)))).toEqual(['strictly-increasing', 'strictly-increasing'])
  })

  test('finds equal timestamps and duplicates, at the index of the later event', () => {
    const [a, b] = logged(2) as [AuditEvent, AuditEvent]
    const sameTime = { ...b, timestamp: a.timestamp }
    expect(checkInvariants([a, sameTime], { order: 'oldest-first' })).toEqual([expect.objectContaining({ invariant: 'strictly-increasing', index: 1 })])
    expect(names(checkInvariants([a, b, a], { order: 'oldest-first' }))).toEqual(['strictly-increasing', 'no-duplicates'])
  })

  test('finds events that do not decode, or whose timestamp is not fixed-width', () => {
    const [a] = logged(1) as [AuditEvent]
    const bad = { ...a, status: 'ok' } as unknown as AuditEvent
    const python = { ...a, timestamp: '2099-01-01T00:00:00+00:00' }
    expect(checkInvariants([bad], { order: 'oldest-first' })).toEqual([expect.objectContaining({ invariant: 'decodes', index: 0 })])
    expect(checkInvariants([python], { order: 'oldest-first' })).toEqual([expect.objectContaining({ invariant: 'decodes', index: 0 })])
  })

  test('property: a log shuffled out of order is always reported', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 12 }).chain((n) => fc.tuple(fc.constant(n), fc.shuffledSubarray([...Array(n).keys()], { minLength: n }))), ([n, order]) => {
        const events = logged(n)
        const shuffled = order.map((i) => events[i] as AuditEvent)
        const sorted = order.every((v, i) => v === i)
        expect(checkInvariants(shuffled, { order: 'oldest-first' }).length === 0).toBe(sorted)
      }),
    )
  })
})

describe('checkInvariants with acknowledgments', () => {
  test('every acknowledged event present and nothing else: no findings', () => {
    const events = logged(4)
    const acknowledged = [[events[0], events[2]] as AuditEvent[], [events[1], events[3]] as AuditEvent[]]
    expect(checkInvariants(events, { order: 'oldest-first', acknowledged })).toEqual([])
  })

  test('an acknowledged event missing from the log is loss', () => {
    const events = logged(3)
    const findings = checkInvariants([events[0], events[2]] as AuditEvent[], { order: 'oldest-first', acknowledged: [events] })
    expect(findings).toEqual([expect.objectContaining({ invariant: 'acknowledged-present', message: expect.stringContaining('writer 0') as unknown })])
  })

  test('an event nobody acknowledged is a phantom, unless it was in flight', () => {
    const events = logged(3)
    const acknowledged = [events.slice(0, 2)]
    expect(checkInvariants(events, { order: 'oldest-first', acknowledged })).toEqual([
      expect.objectContaining({ invariant: 'nothing-unacknowledged', index: 2 }),
    ])
    expect(checkInvariants(events, { order: 'oldest-first', acknowledged, inFlight: [events[2] as AuditEvent] })).toEqual([])
  })

  test("a writer's events stored out of its call order are reported", () => {
    const [a, b] = logged(2) as [AuditEvent, AuditEvent]
    const findings = checkInvariants([a, b], { order: 'oldest-first', acknowledged: [[b, a]] })
    expect(findings).toEqual([expect.objectContaining({ invariant: 'writer-order', index: 0 })])
  })

  test('events read back from a sink compare by content, not identity', () => {
    const sink = createMemorySink()
    const logger = createEventLogger({ sinks: [sink] })
    const acknowledged = [logger.logEvent('pause', 'success', { step: 1 }), logger.logEvent('resume', 'success', { step: 2 })]
    const readBack = JSON.parse(JSON.stringify([...sink.read({ order: 'newest-first' })])) as AuditEvent[]
    expect(checkInvariants(readBack, { acknowledged: [acknowledged] })).toEqual([])
  })
})
