import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { nodeFileIo, type FileIo } from '@auditrail/core'
import { createCsvSink } from '@auditrail/sink-csv'
import { asPythonRow, event, HEADER, pythonReadCsv, useTempDirs, viaJson } from './support/csv-fixtures.js'

const tempDir = useTempDirs()

describe('CSV sink: restart and sharing', () => {
  it('a second sink on the same directory appends after the rows already there', () => {
    const dir = tempDir()
    const first = createCsvSink({ rootLogDir: dir })
    const before = [event(0), event(1, { status: 'failed', error: 'x\r\ny' }), event(2, { details: {} })]
    for (const e of before) first.write(e)
    first.close()
    const bytesBefore = readFileSync(first.path)

    const second = createCsvSink({ rootLogDir: dir })
    expect(viaJson([...second.read()])).toEqual(viaJson(before))
    const after = [event(3, { action_type: 'resume' }), event(4, { status: 'failed', error: '' })]
    for (const e of after) second.write(e)
    second.close()

    const bytesAfter = readFileSync(second.path)
    // The old bytes are a prefix, the header appears once.
    expect(bytesAfter.subarray(0, bytesBefore.length).equals(bytesBefore)).toBe(true)
    expect(bytesAfter.toString('utf8').split(HEADER)).toHaveLength(2)

    const third = createCsvSink({ rootLogDir: dir })
    expect(viaJson([...third.read()])).toEqual(viaJson([...before, ...after]))
    third.close()
    expect(pythonReadCsv([second.path])[0]?.events).toEqual([...before, ...after].map(asPythonRow))
  })

  it('two sinks alive in one process, writing alternately, both land in order', () => {
    const dir = tempDir()
    const a = createCsvSink({ rootLogDir: dir })
    const b = createCsvSink({ rootLogDir: dir })
    const events = Array.from({ length: 40 }, (_, i) =>
      event(i, { action_type: i % 2 === 0 ? 'from_a' : 'from_b', details: i % 3 === 0 ? {} : { i, text: 'a,"b"\n' } }),
    )
    // The first write creates the file through b, so a must notice the file it did not create.
    events.forEach((e, i) => (i % 2 === 0 ? b : a).write(e))
    const expected = viaJson(events)
    expect(viaJson([...a.read()])).toEqual(expected)
    expect(viaJson([...b.read()])).toEqual(expected)
    a.close()
    b.close()
    expect(pythonReadCsv([a.path])[0]?.events).toEqual(events.map(asPythonRow))
  })

  it('a sink that saw the file created by another continues it rather than recreating it', () => {
    const dir = tempDir()
    const a = createCsvSink({ rootLogDir: dir })
    const b = createCsvSink({ rootLogDir: dir })
    a.write(event(0))
    b.write(event(1))
    a.write(event(2))
    const text = readFileSync(a.path, 'utf8')
    expect(text.split(HEADER)).toHaveLength(2)
    expect(text.startsWith(HEADER)).toBe(true)
    expect([...b.read()].map((e) => e.timestamp)).toEqual([event(0), event(1), event(2)].map((e) => e.timestamp))
    a.close()
    b.close()
  })

  it('checks only what was appended since its last look: an append reads O(row) bytes, not the whole file', () => {
    let bytesRead = 0
    const io: FileIo = {
      ...nodeFileIo,
      readSync: (fd, buffer, offset, length, position) => {
        const n = nodeFileIo.readSync(fd, buffer, offset, length, position)
        bytesRead += n
        return n
      },
    }
    const dir = tempDir()
    const sink = createCsvSink({ rootLogDir: dir, io })
    for (let i = 0; i < 400; i++) sink.write(event(i, { details: { i, text: 'x'.repeat(100) } }))
    expect(readFileSync(sink.path).length).toBeGreaterThan(40_000)
    bytesRead = 0
    sink.write(event(400))
    // The header, the last byte, and the rows appended since the previous write.
    expect(bytesRead).toBeLessThan(1_000)
    sink.close()
    // A new sink reads the header when created and, at its first write, the header and the last row: not the file.
    bytesRead = 0
    const fresh = createCsvSink({ rootLogDir: dir, io })
    expect(bytesRead).toBeLessThan(1_000)
    bytesRead = 0
    fresh.write(event(401))
    expect(bytesRead).toBeLessThan(10_000)
    expect([...fresh.read()]).toHaveLength(402)
    fresh.close()
  })
})
