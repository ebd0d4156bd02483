import { createEventLogger, createMemorySink, type ActionDetails, type LogDetails } from '@auditrail/core'
import { describe, expect, expectTypeOf, test } from 'vitest'

// These lines are checked by `pnpm typecheck` (tsconfig.test.json compiles the tests): each `@ts-expect-error` fails
// the build if the line under it stops being a type error, and every other line must type-check.

/** Details declared as an interface, as users write them: no index signature. */
interface CellRun {
  cell_id: string
  code: string
  elapsed_s: number
}

interface HpChange {
  changed_params: { learning_rate: number }
  reason: string
}

describe('typed details', () => {
  const logger = createEventLogger({ sinks: [createMemorySink()] })

  test('interface-typed details are accepted, for known and other action types', () => {
    const run: CellRun = { cell_id: 'c1', code: 'df.head()', elapsed_s: 0.04 }
    const change: HpChange = { changed_params: { learning_rate: 0.01 }, reason: 'plateau' }
    interface Custom {
      readonly widget: string
    }
    const custom: Custom = { widget: 'w' }
    expect(logger.logEvent('notebook_run', 'success', run).details).toEqual(run)
    expect(logger.logEvent('hp_change', 'success', change).details).toEqual(change)
    expect(logger.logEvent('my_action', 'success', custom).details).toEqual(custom)
  })

  test('known fields keep their types; extra keys pass, as at run time without strict', () => {
    logger.logEvent('hp_change', 'success', { changed_params: { lr: 0.01 }, note: 'extra keys allowed' })
    logger.logEvent('mode_switch', 'success', { from_mode: 'train', to_mode: 'audit', auditor_mode: true })
    // @ts-expect-error changed_params is an object of JSON values, not a number
    expect(() => logger.logEvent('hp_change', 'success', { changed_params: 5 })).not.toThrow()
    // @ts-expect-error checkpoint_step is a number or null
    logger.logEvent('checkpoint_restore', 'success', { checkpoint_id: 'c', checkpoint_step: '1200' })
    // @ts-expect-error weights_only is a boolean
    logger.logEvent('checkpoint_restore', 'success', { weights_only: 'yes' })
    // @ts-expect-error details are an object, never a string (refused at run time too)
    expect(() => logger.logEvent('my_action', 'success', 'not an object')).toThrow('details: expected a plain object')
  })

  test('`satisfies ActionDetails<A>` refuses unknown keys of a literal at compile time: a typo is caught', () => {
    // @ts-expect-error 'changed_param' does not exist in ActionDetails<'hp_change'>: "Did you mean 'changed_params'?"
    const typo = { changed_param: { lr: 0.01 } } satisfies ActionDetails<'hp_change'>
    const right = { changed_params: { lr: 0.01 } } satisfies ActionDetails<'hp_change'>
    expect(logger.logEvent('hp_change', 'success', right).details).toEqual(right)
    expect(typo).toBeDefined()
  })

  test('a logger created with strict: true refuses unknown keys of a literal at compile time, as it does at run time', () => {
    const strict = createEventLogger({ sinks: [createMemorySink()], strict: true })
    // @ts-expect-error 'changed_param' does not exist: "Did you mean to write 'changed_params'?"
    expect(() => strict.logEvent('hp_change', 'success', { changed_param: { lr: 0.01 } })).toThrow('details.changed_param')
    // @ts-expect-error restart_instance has no fields
    expect(() => strict.logEvent('restart_instance', 'success', { why: 'oom' })).toThrow('details.why')
    const run: CellRun = { cell_id: 'c1', code: 'df.head()', elapsed_s: 0.04 }
    expect(strict.logEvent('notebook_run', 'success', run).details).toEqual(run)
    expect(strict.logEvent('restart_instance', 'success', {}).details).toEqual({})
    expect(strict.logEvent('my_action', 'success', { anything: [1, 2] }).details).toEqual({ anything: [1, 2] })
    // Known to the compiler only as a boolean: typed as a default logger (the run time still refuses).
    const configured: boolean = process.env['NEVER_SET_AUDITRAIL_STRICT'] === undefined
    const maybe = createEventLogger({ sinks: [createMemorySink()], strict: configured })
    expect(() => maybe.logEvent('hp_change', 'success', { changed_param: { lr: 0.01 } })).toThrow('details.changed_param')
  })

  test('the derived types', () => {
    expectTypeOf<ActionDetails<'mode_switch'>['to_mode']>().toEqualTypeOf<string | undefined>()
    expectTypeOf<ActionDetails<'checkpoint_restore'>['checkpoint_step']>().toEqualTypeOf<number | null | undefined>()
    expectTypeOf<ActionDetails<'tag_register'>['origins']>().toEqualTypeOf<readonly string[] | undefined>()
    expectTypeOf<ActionDetails<'notebook_save'>>().toEqualTypeOf<{ path?: string; bytes?: number }>()
    expectTypeOf<ActionDetails<'restart_instance'>>().toEqualTypeOf<{}>()
    expectTypeOf<CellRun>().toExtend<LogDetails<'notebook_run'>>()
    expectTypeOf<{ cell_id: number }>().not.toExtend<LogDetails<'notebook_run'>>()
    expectTypeOf<CellRun>().toExtend<LogDetails<'anything_else'>>()
  })
})
