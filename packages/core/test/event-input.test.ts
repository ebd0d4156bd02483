import {
  AuditrailError,
  KNOWN_ACTION_TYPES,
  createEventLogger,
  createMemorySink,
  formatMicros,
  validateEventInput,
  type AuditEvent,
  type Clock,
  type EventLogger,
  type LogDetails,
} from '@auditrail/core'
import fc from 'fast-check'
import { describe, expect, expectTypeOf, test } from 'vitest'

/** A clock that counts how many timestamps were taken. */
function countingClock(): Clock & { readonly taken: number } {
  let taken = 0
  return {
    get taken() {
      return taken
    },
    now: () => formatMicros(Date.UTC(2026, 4, 27) * 1000 + taken++),
    observe: () => {},
  }
}

function setup(strict = false) {
  const sink = createMemorySink()
  const clock = countingClock()
  const logger = createEventLogger({ sinks: [sink], clock, strict })
  const published: AuditEvent[] = []
  logger.events$.subscribe((event) => published.push(event))
  return { sink, clock, logger, published }
}

/** Runs `log` and returns the `invalid` error it throws, checking that nothing was stamped, written or published. */
function rejection(log: (logger: EventLogger) => unknown, strict = false): AuditrailError {
  const { sink, clock, logger, published } = setup(strict)
  let thrown: unknown
  try {
    log(logger)
  } catch (error) {
    thrown = error
  }
  expect(thrown).toBeInstanceOf(AuditrailError)
  const error = thrown as AuditrailError
  expect(error.code).toBe('invalid')
  expect(sink.events).toEqual([])
  expect(published).toEqual([])
  expect(clock.taken).toBe(0)
  return error
}

const circular: Record<string, unknown> = { a: 1 }
circular['self'] = circular

// Deliberately ill-typed calls, as untyped (JavaScript) callers can make them.
const untyped = (logger: EventLogger) => logger.logEvent as (...args: unknown[]) => AuditEvent

describe('logEvent rejects bad input, naming the field, and writes nothing', () => {
  test.each([
    ['empty action_type', ['', 'success'], 'action_type'],
    ['non-string action_type', [42, 'success'], 'action_type'],
    ['action_type with a newline', ['hp_change\nrm -rf', 'success'], 'action_type'],
    ['action_type with a lone surrogate', ['tag_\ud800', 'success'], 'action_type'],
    ['status "ok"', ['hp_change', 'ok'], 'status'],
    ['missing status', ['hp_change'], 'status'],
    ['error 42', ['hp_change', 'failed', {}, 42], 'error'],
    ['error with a lone surrogate', ['hp_change', 'failed', {}, 'bad \udc00 text'], 'error'],
    ['details an array', ['tag_add', 'success', ['s1']], 'details'],
    ['details a string', ['tag_add', 'success', 'tag=defect'], 'details'],
    ['details with NaN', ['hp_change', 'success', { changed_params: { lr: Number.NaN } }], 'details.changed_params.lr'],
    ['details with a BigInt', ['tag_add', 'success', { samples_affected: 5n }], 'details.samples_affected'],
    ['circular details', ['note_write', 'success', circular], 'details.self'],
  ])('%s', (_name, args, field) => {
    const error = rejection((logger) => untyped(logger)(...args))
    expect(error.field).toBe(field)
    expect(error.message).toContain(`${field}: `)
    expect(error.issues.map((i) => i.path)).toEqual([field])
  })

  test('the status message uses the same wording as decoding', () => {
    expect(rejection((logger) => untyped(logger)('hp_change', 'ok')).message).toContain('status: expected "success" | "failed" | "error", got "ok"')
  })

  test('an Error given as error is accepted and its message stored', () => {
    const logger = createEventLogger({ sinks: [createMemorySink()] })
    const event = logger.logEvent('checkpoint_restore', 'failed', { checkpoint_id: 'c1' }, new RangeError('Checkpoint file not found'))
    expect(event.error).toBe('Checkpoint file not found')
  })

  test('validateEventInput normalizes what it accepts', () => {
    expect(validateEventInput('pause', 'success', undefined, undefined, false)).toEqual({ action_type: 'pause', status: 'success', details: {}, error: null })
  })
})

describe('accepted names are remembered, refused ones never are', () => {
  // Names from a small pool, good and bad, so that the same ones come back in any order.
  const names = ['hp_change', 'pause', 'x', 'evaluation_start', '', 'bad\u0007bell', 'tab\tin', 'lone\ud800', 'del\u007f', 'ok \u00e9t\u00e9']
  const isGood = (name: string): boolean => name.length > 0 && !/[\u0000-\u001f\u007f]/.test(name) && name.isWellFormed()
  const outcome = (run: () => unknown): string => {
    try {
      run()
      return 'accepted'
    } catch (error) {
      return error instanceof AuditrailError ? `invalid ${error.field}` : 'other'
    }
  }

  test('property: in any order, each action type and actor gets the answer a first look would give', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom(...names), fc.option(fc.constantFrom(...names), { nil: undefined })), { maxLength: 30 }), (calls) => {
        for (const [action, actor] of calls) {
          const expected = !isGood(action) ? 'invalid action_type' : actor !== undefined && !isGood(actor) ? 'invalid actor' : 'accepted'
          expect(outcome(() => validateEventInput(action, 'success', {}, null, false, actor))).toBe(expected)
        }
      }),
    )
  })

  test('values that are not strings are refused after equal-looking strings were accepted', () => {
    validateEventInput('1', 'success', {}, null, false, '1')
    expect(outcome(() => validateEventInput(1, 'success', {}, null, false))).toBe('invalid action_type')
    expect(outcome(() => validateEventInput('1', 'success', {}, null, false, 1))).toBe('invalid actor')
    expect(outcome(() => validateEventInput(undefined, 'success', {}, null, false))).toBe('invalid action_type')
  })
})

describe('strict mode', () => {
  test('rejects an unknown key in a known action details', () => {
    const error = rejection((logger) => logger.logEvent('hp_change', 'success', { param: 'lr' }), true)
    expect(error.field).toBe('details.param')
    expect(error.message).toContain('changed_params, before, after')
  })

  test('rejects a known key of the wrong type', () => {
    // @ts-expect-error changed_params is a record of JSON values, not a number
    const error = rejection((logger) => logger.logEvent('hp_change', 'success', { changed_params: 5 }), true)
    expect(error.field).toBe('details.changed_params')
    expect(error.issues).toEqual([expect.objectContaining({ path: 'details.changed_params', actual: 5 })])
  })

  test('locates a bad element inside a known array field', () => {
    const error = rejection((logger) => untyped(logger)('tag_add', 'success', { sample_ids: ['s1', true] }), true)
    expect(error.field).toBe('details.sample_ids[1]')
  })

  test('accepts details that match the action codec', () => {
    const { sink, logger } = setup(true)
    logger.logEvent('hp_change', 'success', { changed_params: { learning_rate: 0.001 }, before: { learning_rate: 0.01 }, after: { learning_rate: 0.001 } })
    logger.logEvent('tag_add', 'success', { tag_name: 'defect', samples_affected: 2, sample_ids: ['s1', 7], origins: ['train', 'val'] })
    logger.logEvent('note_write', 'success', { plot_name: 'loss', point_id: 3, note: 'spike', cleared: false })
    for (const action of KNOWN_ACTION_TYPES) logger.logEvent(action, 'success', {})
    expect(sink.events).toHaveLength(3 + KNOWN_ACTION_TYPES.length)
  })

  test('accepts any JSON details for action types outside the spec list', () => {
    const { sink, logger } = setup(true)
    logger.logEvent('custom_export', 'success', { param: 'lr', nested: [{ any: 'thing' }], count: 5 })
    expect(sink.events[0]?.details).toEqual({ param: 'lr', nested: [{ any: 'thing' }], count: 5 })
  })

  test('is off by default: extra keys are kept', () => {
    const { sink, logger } = setup()
    logger.logEvent('hp_change', 'success', { param: 'lr', value: 0.01 })
    expect(sink.events[0]?.details).toEqual({ param: 'lr', value: 0.01 })
  })
})

describe('logEvent typing (documented here; vitest does not type-check, `tsc -p tsconfig.test.json` does)', () => {
  test('known actions type their details, other actions take any object', () => {
    const { logger } = setup()
    const event = logger.logEvent('hp_change', 'success', { changed_params: { lr: 1 } })
    expectTypeOf(event).toEqualTypeOf<AuditEvent>()
    expectTypeOf<{ changed_params: { lr: number } }>().toExtend<LogDetails<'hp_change'>>()
    expectTypeOf<{ changed_params: number }>().not.toExtend<LogDetails<'hp_change'>>()
    expectTypeOf<{ anything: number }>().toExtend<LogDetails<'my_action'>>()
    // @ts-expect-error 'ok' is not an AuditStatus
    expect(() => logger.logEvent('pause', 'ok')).toThrow(AuditrailError)
    // Outside strict mode a mistyped value still goes through at run time; only the compiler catches it.
    // @ts-expect-error changed_params must be a record of JSON values
    expect(logger.logEvent('hp_change', 'success', { changed_params: 5 }).details).toEqual({ changed_params: 5 })
  })
})

describe('a deep path in a message', () => {
  test('is shortened in the middle, with the number of levels left out; field keeps it whole', () => {
    let details: Record<string, unknown> = { leaf: Number.NaN }
    for (let i = 0; i < 150; i++) details = { a: details }
    const logger = createEventLogger({ sinks: [createMemorySink()] })
    let thrown: unknown
    try {
      logger.logEvent('note_write', 'success', details)
    } catch (error) {
      thrown = error
    }
    const error = thrown as AuditrailError
    expect(error.field).toBe(`details${'.a'.repeat(150)}.leaf`)
    const shown = error.message.slice(0, error.message.indexOf(': NaN'))
    expect(shown.length).toBeLessThan(100)
    expect(shown).toMatch(/^\[auditrail\] \[core\] details(\.a)+\.…\(\d+ more levels\)…(\.a)+\.leaf$/)
  })

  test('counts levels right when keys hold dots and brackets of their own', () => {
    let details: Record<string, unknown> = { leaf: Number.NaN }
    for (let i = 0; i < 60; i++) details = { 'x.y[z': details }
    const logger = createEventLogger({ sinks: [createMemorySink()] })
    let thrown: unknown
    try {
      logger.logEvent('note_write', 'success', details)
    } catch (error) {
      thrown = error
    }
    const message = (thrown as AuditrailError).message
    const kept = (message.match(/\["x\.y\[z"\]/g) ?? []).length
    const left = Number(/…\((\d+) more levels\)…/.exec(message)?.[1])
    expect(kept + left).toBe(60)
  })
})
