import {
  AUDIT_TIMESTAMP_PATTERN,
  createEventLogger,
  createMemorySink,
  formatMicros,
  isAuditrailError,
  type AuditEvent,
  type AuditSink,
  type Clock,
} from '@auditrail/core'
import fc from 'fast-check'
import { describe, expect, test } from 'vitest'

/** A sink that records what it was asked to do, in a log shared with other sinks. */
function recordingSink(name: string, calls: string[]): AuditSink {
  return {
    name,
    write: (event) => void calls.push(`${name}.write ${event.action_type}`),
    close: () => void calls.push(`${name}.close`),
  }
}

/** A deterministic clock: one microsecond per call from the spec's example instant. */
function steppingClock(): Clock {
  let micros = Date.UTC(2026, 4, 27, 14, 30, 0) * 1000
  return { now: () => formatMicros(micros++), observe: () => {} }
}

describe('createEventLogger: logging', () => {
  test('persists the event with the spec five fields in order', () => {
    const sink = createMemorySink()
    const logger = createEventLogger({ sinks: [sink], clock: steppingClock() })
    const event = logger.logEvent('hp_change', 'success', { changed_params: { learning_rate: 0.001, batch_size: 32 } })
    expect(Object.keys(event)).toEqual(['timestamp', 'action_type', 'status', 'details', 'error'])
    expect(event).toEqual({
      timestamp: '2026-05-27T14:30:00.000000Z',
      action_type: 'hp_change',
      status: 'success',
      details: { changed_params: { learning_rate: 0.001, batch_size: 32 } },
      error: null,
    })
    expect(sink.events).toEqual([event])
    expect(sink.events[0]).toBe(event)
  })

  test('records a failed operation with its error message', () => {
    const sink = createMemorySink()
    const logger = createEventLogger({ sinks: [sink] })
    const event = logger.logEvent('checkpoint_restore', 'failed', { checkpoint_id: 'ckpt_001' }, 'Checkpoint file not found')
    expect(event).toMatchObject({ status: 'failed', error: 'Checkpoint file not found', details: { checkpoint_id: 'ckpt_001' } })
    expect(event.timestamp).toMatch(AUDIT_TIMESTAMP_PATTERN)
  })

  test('defaults details to {} and error to null', () => {
    const logger = createEventLogger()
    expect(logger.logEvent('pause', 'success')).toMatchObject({ details: {}, error: null })
    expect(logger.logEvent('resume', 'success', null, null)).toMatchObject({ details: {}, error: null })
  })

  test('returns a frozen event whose details later changes to the input do not reach', () => {
    const details = { sample_ids: ['s1'] }
    const event = createEventLogger().logEvent('tag_add', 'success', details)
    details.sample_ids.push('s2')
    expect(Object.isFrozen(event)).toBe(true)
    expect(Object.isFrozen(event.details)).toBe(true)
    expect(event.details).toEqual({ sample_ids: ['s1'] })
    expect(() => {
      ;(event as { status: string }).status = 'failed'
    }).toThrow(TypeError)
  })

  test('writes to every sink in the order given', () => {
    const calls: string[] = []
    const logger = createEventLogger({ sinks: [recordingSink('a', calls), recordingSink('b', calls)] })
    logger.logEvent('pause', 'success')
    logger.logEvent('resume', 'success')
    expect(calls).toEqual(['a.write pause', 'b.write pause', 'a.write resume', 'b.write resume'])
    expect(logger.sinks.map((s) => s.name)).toEqual(['a', 'b'])
  })

  test('property: timestamps of successive events are strictly increasing, and the sink holds them in call order', () => {
    const call = fc.record({ action: fc.constantFrom('hp_change', 'tag_add', 'custom'), status: fc.constantFrom('success' as const, 'failed' as const) })
    fc.assert(
      fc.property(fc.array(call, { maxLength: 50 }), (calls) => {
        const sink = createMemorySink()
        const logger = createEventLogger({ sinks: [sink] })
        const returned = calls.map((c) => logger.logEvent(c.action, c.status))
        expect(sink.events).toEqual(returned)
        const stamps = returned.map((e) => e.timestamp)
        expect(new Set(stamps).size).toBe(stamps.length)
        expect([...stamps].sort()).toEqual(stamps)
      }),
    )
  })
})

describe('createEventLogger: events$', () => {
  test('emits each event only once every sink has persisted it', () => {
    const sink = createMemorySink()
    const logger = createEventLogger({ sinks: [sink] })
    const seen: { event: AuditEvent; persisted: boolean }[] = []
    logger.events$.subscribe((event) => seen.push({ event, persisted: sink.events.includes(event) }))
    const first = logger.logEvent('pause', 'success')
    const second = logger.logEvent('resume', 'success')
    expect(seen).toEqual([
      { event: first, persisted: true },
      { event: second, persisted: true },
    ])
  })

  test('emits with no sinks attached', () => {
    const logger = createEventLogger()
    const seen: AuditEvent[] = []
    logger.events$.subscribe((event) => seen.push(event))
    const event = logger.logEvent('note_write', 'success', { note: 'hi' })
    expect(seen).toEqual([event])
  })
})

describe('createEventLogger: close', () => {
  test('closes every sink once, completes events$, and is idempotent', () => {
    const calls: string[] = []
    const logger = createEventLogger({ sinks: [recordingSink('a', calls), recordingSink('b', calls)] })
    let completed = 0
    logger.events$.subscribe({ complete: () => completed++ })
    expect(logger.closed).toBe(false)
    logger.close()
    logger.close()
    expect(logger.closed).toBe(true)
    expect(calls).toEqual(['a.close', 'b.close'])
    expect(completed).toBe(1)
  })

  test('logEvent after close throws a closed error and writes nothing', () => {
    const sink = createMemorySink()
    const logger = createEventLogger({ sinks: [sink] })
    logger.close()
    let thrown: unknown
    try {
      logger.logEvent('pause', 'success')
    } catch (error) {
      thrown = error
    }
    expect(isAuditrailError(thrown, 'closed')).toBe(true)
    expect(sink.events).toEqual([])
  })

  test('a sink whose close throws does not keep the others open; close throws its error, wrapped naming the sink', () => {
    const calls: string[] = []
    const failure = new Error('close failed')
    const broken: AuditSink = { name: 'broken', write: () => {}, close: () => { throw failure } }
    const logger = createEventLogger({ sinks: [broken, recordingSink('b', calls)] })
    expect(() => logger.close()).toThrow(expect.objectContaining({ code: 'io', component: 'broken', cause: failure }))
    expect(calls).toEqual(['b.close'])
    expect(logger.closed).toBe(true)
    expect(() => logger.close()).not.toThrow()
  })

  test('the memory sink refuses writes once closed', () => {
    const sink = createMemorySink()
    sink.close()
    expect(() => sink.write(createEventLogger().logEvent('pause', 'success'))).toThrow(expect.objectContaining({ code: 'closed' }))
  })
})
