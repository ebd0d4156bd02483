import { readdirSync, readFileSync } from 'node:fs'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { errnoCode } from '@auditrail/core'
import { createCsvSink, CSV_LOG_FILE } from '@auditrail/sink-csv'
import { asPythonRow, catchAuditrailError, event, faultyIo, HEADER, pythonReadCsv, useTempDirs, viaJson } from './support/csv-fixtures.js'

const tempDir = useTempDirs()

// Long enough that a short write splits it inside the quoted error cell, right after a line break.
const bulky = event(9, { status: 'failed', details: { note: 'x'.repeat(40) }, error: `${'y'.repeat(30)}\r\n${'z'.repeat(200)}` })

describe('CSV sink: a full disk while appending', () => {
  it.each([
    ['the row write fails outright', { partialBefore: false }, 1],
    ['the row is written short, then ENOSPC', { partialBefore: true }, 2],
  ] as const)('%s: write throws io naming the file and ENOSPC, the file is unchanged, the next write succeeds', (_, fault, at) => {
    const dir = tempDir()
    const io = faultyIo()
    const sink = createCsvSink({ rootLogDir: dir, io })
    const before = [event(0), event(1, { status: 'failed', error: 'a "b"\nc' })]
    for (const e of before) sink.write(e)
    const bytes = readFileSync(sink.path)

    io.failWrite(at, fault)
    const error = catchAuditrailError(() => sink.write(bulky))
    expect(error.code).toBe('io')
    expect(error.component).toBe('sink-csv')
    expect(error.message).toContain(sink.path)
    expect(error.message).toContain('ENOSPC')
    expect(errnoCode(error.cause)).toBe('ENOSPC')
    expect(readFileSync(sink.path).equals(bytes)).toBe(true)
    expect(viaJson([...sink.read()])).toEqual(viaJson(before))
    expect(pythonReadCsv([sink.path])[0]?.events).toEqual(before.map(asPythonRow))

    io.heal()
    const after = event(10, { details: {} })
    sink.write(after)
    expect(viaJson([...sink.read()])).toEqual(viaJson([...before, after]))
    sink.close()
    // A fresh sink (a restarted process) accepts the file and reads the same.
    const again = createCsvSink({ rootLogDir: dir })
    expect(viaJson([...again.read()])).toEqual(viaJson([...before, after]))
    again.close()
    expect(readdirSync(dir)).toEqual([CSV_LOG_FILE])
  })

  it('keeps failing while the disk stays full, and never leaves a partial row', () => {
    const dir = tempDir()
    const io = faultyIo()
    const sink = createCsvSink({ rootLogDir: dir, io })
    sink.write(event(0))
    const bytes = readFileSync(sink.path)
    for (let attempt = 0; attempt < 3; attempt++) {
      io.failWrite(2, { partialBefore: true })
      expect(catchAuditrailError(() => sink.write(bulky)).code).toBe('io')
      expect(readFileSync(sink.path).equals(bytes)).toBe(true)
    }
    io.heal()
    sink.write(bulky)
    expect(viaJson([...sink.read()])).toEqual(viaJson([event(0), bulky]))
    sink.close()
  })
})

describe('CSV sink: a full disk while creating the file', () => {
  it.each([
    ['the temp-file write fails outright', { partialBefore: false }, 1],
    ['the temp file is written short, then ENOSPC', { partialBefore: true }, 2],
  ] as const)('%s: io error, no file and no temp file; the next write creates the file', (_, fault, at) => {
    const dir = tempDir()
    const io = faultyIo()
    const sink = createCsvSink({ rootLogDir: dir, io })
    io.failWrite(at, fault)
    const error = catchAuditrailError(() => sink.write(bulky))
    expect(error.code).toBe('io')
    expect(error.message).toContain(sink.path)
    expect(error.message).toContain('ENOSPC')
    // Neither the log, nor a temp file, nor the lock directory is left.
    expect(readdirSync(dir)).toEqual([])
    expect([...sink.read()]).toEqual([])

    io.heal()
    sink.write(event(0))
    expect(readFileSync(sink.path, 'utf8').startsWith(`${HEADER}${event(0).timestamp},`)).toBe(true)
    expect(viaJson([...sink.read()])).toEqual(viaJson([event(0)]))
    sink.flush()
    expect(readdirSync(dir)).toEqual([CSV_LOG_FILE])
    sink.close()
  })
})

describe('CSV sink: failed writes leave no trace', () => {
  it('after any pattern of outright and short-write failures, the file holds exactly the events whose write returned', () => {
    const fault = fc.constantFrom('none', 'none', 'outright', 'short')
    const plan = fc.array(fc.record({ fault, error: fc.option(fc.constantFrom('', 'x\ny', '"q"', 'a,\r\nb')), empty: fc.boolean() }), {
      minLength: 1,
      maxLength: 10,
    })
    fc.assert(
      fc.property(plan, (steps) => {
        const io = faultyIo()
        const sink = createCsvSink({ rootLogDir: tempDir(), io })
        const landed = []
        for (const [i, step] of steps.entries()) {
          const e = event(i, { status: step.error === null ? 'success' : 'failed', error: step.error, details: step.empty ? {} : { i, long: 'w'.repeat(50) } })
          if (step.fault === 'none') {
            sink.write(e)
            landed.push(e)
          } else {
            io.failWrite(step.fault === 'short' ? 2 : 1, { partialBefore: step.fault === 'short' })
            expect(catchAuditrailError(() => sink.write(e)).code).toBe('io')
            io.heal()
          }
        }
        expect(viaJson([...sink.read()])).toEqual(viaJson(landed))
        sink.close()
        const fresh = createCsvSink({ rootLogDir: sink.path.slice(0, -CSV_LOG_FILE.length - 1) })
        expect(viaJson([...fresh.read()])).toEqual(viaJson(landed))
        fresh.close()
      }),
      { numRuns: 60 },
    )
  })
})
