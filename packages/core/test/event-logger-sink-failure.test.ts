import { AuditrailError, createEventLogger, createMemorySink, isAuditrailError, type AuditEvent, type AuditSink } from '@auditrail/core'
import { afterEach, describe, expect, test } from 'vitest'

/** A sink whose every write fails with `error`; it counts the attempts. */
function failingSink(name: string, error: unknown): AuditSink & { attempts: number } {
  return {
    name,
    attempts: 0,
    write() {
      this.attempts++
      throw error
    },
    close() {},
  }
}

function thrownBy(fn: () => unknown): unknown {
  try {
    fn()
  } catch (error) {
    return error
  }
  throw new Error('expected a throw')
}

// RxJS reports a subscriber's error later, from a timer, as an uncaught exception; core must never let
// a sink failure take that route. Any such report during these tests is collected and fails them.
const uncaught: unknown[] = []
const onUncaught = (error: unknown): void => void uncaught.push(error)
process.on('uncaughtException', onUncaught)
afterEach(async () => {
  await new Promise((resolve) => setTimeout(resolve, 5))
  expect(uncaught).toEqual([])
  uncaught.length = 0
})

describe('one failing sink among several', () => {
  test('logEvent throws that sink error synchronously, the others still persist the event, and events$ stays silent', () => {
    const disk = new AuditrailError('io', 'cannot append: ENOSPC', { component: 'sink-json', file: 'audit_log.json' })
    const before = createMemorySink()
    const broken = failingSink('sink-json', disk)
    const after = createMemorySink()
    const logger = createEventLogger({ sinks: [before, broken, after] })
    const published: AuditEvent[] = []
    logger.events$.subscribe((event) => published.push(event))

    expect(thrownBy(() => logger.logEvent('tag_add', 'success', { tag_name: 'defect' }))).toBe(disk)
    expect(broken.attempts).toBe(1)
    expect(before.events.map((e) => e.action_type)).toEqual(['tag_add'])
    expect(after.events.map((e) => e.action_type)).toEqual(['tag_add'])
    expect(published).toEqual([])
  })

  test('a custom sink throwing a plain Error reaches the caller as an io AuditrailError naming the sink, the original as cause', () => {
    const original = new Error('mlflow is down')
    const logger = createEventLogger({ sinks: [failingSink('mlflow', original)] })
    const error = thrownBy(() => logger.logEvent('pause', 'success'))
    expect(isAuditrailError(error, 'io')).toBe(true)
    expect((error as AuditrailError).component).toBe('mlflow')
    expect((error as AuditrailError).message).toBe('[auditrail] [mlflow] sink "mlflow" failed to write the event: mlflow is down')
    expect((error as AuditrailError).cause).toBe(original)
  })

  test('a thrown non-Error value is wrapped too, kept as the cause', () => {
    const logger = createEventLogger({ sinks: [failingSink('odd', 'just a string')] })
    const error = thrownBy(() => logger.logEvent('pause', 'success'))
    expect(isAuditrailError(error, 'io')).toBe(true)
    expect((error as AuditrailError).cause).toBe('just a string')
  })

  test('a failing prepare, sync or close of a custom sink is an AuditrailError naming it', async () => {
    const boom = new Error('boom')
    const preparing: AuditSink = { name: 'prep', write() {}, prepare: () => { throw boom }, close() {} }
    const prepared = thrownBy(() => createEventLogger({ sinks: [preparing] }).logEvent('pause', 'success'))
    expect(prepared).toMatchObject({ code: 'io', component: 'prep', cause: boom })
    const syncing: AuditSink = { name: 'syncer', write() {}, sync: () => { throw boom }, close() {} }
    await expect(createEventLogger({ sinks: [syncing] }).logEventAsync('pause', 'success')).rejects.toMatchObject({ code: 'io', component: 'syncer', cause: boom })
    const closing: AuditSink = { name: 'closer', write() {}, close: () => { throw boom } }
    expect(thrownBy(() => createEventLogger({ sinks: [closing] }).close())).toMatchObject({ code: 'io', component: 'closer', cause: boom })
  })

  test('the logger stays usable: once the sink recovers, the next event is persisted and published', () => {
    let healthy = false
    const written: AuditEvent[] = []
    const flaky: AuditSink = {
      name: 'flaky',
      write(event) {
        if (!healthy) throw new Error('EIO')
        written.push(event)
      },
      close() {},
    }
    const logger = createEventLogger({ sinks: [flaky] })
    const published: AuditEvent[] = []
    logger.events$.subscribe((event) => published.push(event))
    expect(() => logger.logEvent('pause', 'success')).toThrow('EIO')
    healthy = true
    const event = logger.logEvent('resume', 'success')
    expect(written).toEqual([event])
    expect(published).toEqual([event])
  })
})

describe('several failing sinks', () => {
  test('logEvent throws an io AuditrailError naming them, whose cause is an AggregateError of their errors', () => {
    const first = new Error('disk full')
    const second = new Error('permission denied')
    const survivor = createMemorySink()
    const logger = createEventLogger({ sinks: [failingSink('sink-json', first), survivor, failingSink('sink-csv', second)] })
    const published: AuditEvent[] = []
    logger.events$.subscribe((event) => published.push(event))

    const error = thrownBy(() => logger.logEvent('hp_change', 'success', { changed_params: { lr: 0.1 } }))
    expect(isAuditrailError(error, 'io')).toBe(true)
    const aggregate = (error as AuditrailError).cause
    expect(aggregate).toBeInstanceOf(AggregateError)
    expect((aggregate as AggregateError).errors.map((e: AuditrailError) => [e.component, e.cause])).toEqual([
      ['sink-json', first],
      ['sink-csv', second],
    ])
    expect((error as AuditrailError).message).toContain('sink-json, sink-csv')
    expect(survivor.events).toHaveLength(1)
    expect(published).toEqual([])
  })

  test('failures of one event do not leak into the next', () => {
    let failing = true
    const sometimes = (name: string): AuditSink => ({
      name,
      write() {
        if (failing) throw new Error(`${name} down`)
      },
      close() {},
    })
    const logger = createEventLogger({ sinks: [sometimes('a'), sometimes('b')] })
    expect(isAuditrailError(thrownBy(() => logger.logEvent('pause', 'success')), 'io')).toBe(true)
    failing = false
    expect(logger.logEvent('resume', 'success').action_type).toBe('resume')
  })
})
