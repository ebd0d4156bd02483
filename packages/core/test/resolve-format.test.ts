import { AUDIT_LOG_FORMATS, isAuditrailError, resolveFormat } from '@auditrail/core'
import fc from 'fast-check'
import { afterEach, describe, expect, test, vi } from 'vitest'

afterEach(() => {
  vi.restoreAllMocks()
  vi.unstubAllEnvs()
})

/** Replaces process.emitWarning for the test (nothing reaches stderr) and returns the spy. */
function captureWarnings() {
  return vi.spyOn(process, 'emitWarning').mockImplementation(() => {})
}

const env = (value?: string): NodeJS.ProcessEnv => (value === undefined ? {} : { AUDIT_LOG_FORMAT: value })

/** `value` with random case and surrounding whitespace. */
const disguised = (value: string) =>
  fc
    .tuple(fc.array(fc.boolean(), { minLength: value.length, maxLength: value.length }), fc.constantFrom('', ' ', '\t', '  \n'), fc.constantFrom('', ' ', '\n'))
    .map(([upper, before, after]) => `${before}${[...value].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join('')}${after}`)

describe('resolveFormat precedence', () => {
  test('defaults to json with no option and no environment value', () => {
    expect(resolveFormat(undefined, env())).toBe('json')
  })

  test('the environment value applies when no option is given', () => {
    expect(resolveFormat(undefined, env('csv'))).toBe('csv')
    expect(resolveFormat(undefined, env('none'))).toBe('none')
  })

  test('an explicit option wins over the environment', () => {
    expect(resolveFormat('json', env('csv'))).toBe('json')
    expect(resolveFormat('none', env('csv'))).toBe('none')
  })

  test('reads process.env by default', () => {
    vi.stubEnv('AUDIT_LOG_FORMAT', 'csv')
    expect(resolveFormat()).toBe('csv')
  })

  test('an empty or blank environment value means json, silently', () => {
    const warnings = captureWarnings()
    expect(resolveFormat(undefined, env(''))).toBe('json')
    expect(resolveFormat(undefined, env('   '))).toBe('json')
    expect(warnings).not.toHaveBeenCalled()
  })
})

describe('resolveFormat normalization', () => {
  test('trims and ignores case, in the environment and in the option', () => {
    expect(resolveFormat(undefined, env(' CSV '))).toBe('csv')
    expect(resolveFormat('None', env())).toBe('none')
  })

  test('property: every valid value, in any case with surrounding whitespace, resolves to itself', () => {
    const warnings = captureWarnings()
    const disguisedFormat = fc.constantFrom(...AUDIT_LOG_FORMATS).chain((format) => disguised(format).map((text) => ({ format, text })))
    fc.assert(
      fc.property(disguisedFormat, ({ format, text }) => {
        expect(resolveFormat(undefined, env(text))).toBe(format)
        expect(resolveFormat(text, env('csv'))).toBe(format)
      }),
    )
    expect(warnings).not.toHaveBeenCalled()
  })
})

describe('resolveFormat with invalid values', () => {
  test('an invalid environment value warns, naming the valid values, and falls back to json', () => {
    const warnings = captureWarnings()
    expect(resolveFormat(undefined, env('xml'))).toBe('json')
    expect(warnings).toHaveBeenCalledTimes(1)
    const [message, options] = warnings.mock.calls[0] ?? []
    expect(message).toContain('"xml"')
    expect(message).toContain('json, csv, none')
    expect(options).toMatchObject({ code: 'AUDITRAIL_INVALID_FORMAT' })
  })

  test('the warning reaches process "warning" listeners', async () => {
    // Node's own listener would print it: set aside for this expected warning, so a green run prints none.
    const nodeListeners = process.listeners('warning')
    process.removeAllListeners('warning')
    let warning: Error
    try {
      const received = new Promise<Error>((resolve) => process.once('warning', resolve))
      expect(resolveFormat(undefined, env('yaml'))).toBe('json')
      warning = await received
    } finally {
      for (const listener of nodeListeners) process.on('warning', listener)
    }
    expect(warning.message).toContain('json, csv, none')
    expect(warning.name).toBe('AuditrailWarning')
  })

  test('an invalid explicit option throws an options error and never falls back', () => {
    for (const explicit of ['xml', '', 'jsonl']) {
      let thrown: unknown
      try {
        resolveFormat(explicit, env('csv'))
      } catch (error) {
        thrown = error
      }
      expect(isAuditrailError(thrown, 'options'), JSON.stringify(explicit)).toBe(true)
      expect((thrown as Error).message).toContain('json, csv, none')
    }
  })

  test('property: any explicit value that is not a format after trimming and lower-casing is refused', () => {
    const notAFormat = fc.string().filter((s) => !(AUDIT_LOG_FORMATS as readonly string[]).includes(s.trim().toLowerCase()))
    fc.assert(
      fc.property(notAFormat, (text) => {
        expect(() => resolveFormat(text, env())).toThrow(expect.objectContaining({ code: 'options', field: 'format' }))
      }),
    )
  })
})
