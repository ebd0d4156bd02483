import fc from 'fast-check'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { AuditrailError, formatMicros, type AuditEvent } from '@auditrail/core'
import { createNoneSink } from '../src/index.js'

const BASE_MICROS = Date.UTC(2026, 4, 27, 14, 30, 0) * 1000

function makeEvent(i: number, details: AuditEvent['details'] = { n: i }): AuditEvent {
  return Object.freeze({ timestamp: formatMicros(BASE_MICROS + i), action_type: 'hp_change', status: 'success', details, error: null })
}

describe('createNoneSink (AUDIT_LOG_FORMAT=none)', () => {
  let cwd: string
  let dir: string

  beforeEach(() => {
    cwd = process.cwd()
    dir = mkdtempSync(join(tmpdir(), 'auditrail-none-'))
    process.chdir(dir)
  })

  afterEach(() => {
    process.chdir(cwd)
    rmSync(dir, { recursive: true, force: true })
  })

  it('accepts any event, reads back nothing and creates no file', () => {
    fc.assert(
      fc.property(fc.array(fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }), { maxLength: 20 }), (details) => {
        const sink = createNoneSink()
        for (const [i, d] of details.entries()) expect(sink.write(makeEvent(i, d as AuditEvent['details']))).toBeUndefined()
        expect([...sink.read()]).toEqual([])
        sink.close()
      }),
      { numRuns: 50 },
    )
    expect(readdirSync(dir)).toEqual([])
    expect(readdirSync(process.cwd())).toEqual([])
  })

  it('names itself and claims no file', () => {
    const sink = createNoneSink()
    expect(sink.name).toBe('sink-none')
    expect(sink.path).toBeUndefined()
    sink.close()
  })

  it('close is idempotent; write and read after close throw a closed AuditrailError', () => {
    const sink = createNoneSink()
    sink.write(makeEvent(0))
    sink.close()
    expect(() => sink.close()).not.toThrow()
    let error: unknown
    try {
      sink.write(makeEvent(1))
    } catch (caught) {
      error = caught
    }
    expect(error).toBeInstanceOf(AuditrailError)
    expect(error).toMatchObject({ code: 'closed', component: 'sink-none' })
    expect((error as Error).message).toContain('[sink-none]')
    expect(() => sink.read()).toThrow(expect.objectContaining({ code: 'closed' }))
    expect(readdirSync(dir)).toEqual([])
  })

  it('sinks are independent: closing one leaves another usable', () => {
    const a = createNoneSink()
    const b = createNoneSink()
    a.close()
    expect(() => b.write(makeEvent(0))).not.toThrow()
    expect(() => a.write(makeEvent(0))).toThrow(expect.objectContaining({ code: 'closed' }))
    b.close()
  })
})
