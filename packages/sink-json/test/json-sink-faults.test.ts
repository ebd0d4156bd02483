import { readdirSync, writeFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { AuditrailError } from '@auditrail/core'
import { createJsonSink } from '../src/index.js'
import { HEADER_END } from '../src/json-layout.js'
import { createFaultyIo } from './faulty-io.js'
import { logPath, makeEvent, parseLog, readLogBytes, tempLogDir } from './event-factory.js'

const HEADER_BYTES = HEADER_END - 1

function thrown(fn: () => void): AuditrailError {
  try {
    fn()
  } catch (error) {
    if (error instanceof AuditrailError) return error
    throw error
  }
  throw new Error('did not throw')
}

function setup(count: number) {
  const dir = tempLogDir()
  const io = createFaultyIo()
  const sink = createJsonSink({ rootLogDir: dir, io })
  const events = Array.from({ length: count }, (_, i) => makeEvent(i))
  for (const event of events) sink.write(event)
  return { dir, io, sink, events, file: logPath(dir) }
}

describe('a full disk (ENOSPC injected through io)', () => {
  it('on the chunk write: write throws an io error naming the file and ENOSPC; earlier events stay readable', () => {
    const { dir, io, sink, events, file } = setup(3)
    io.failWrites((path, length) => path === file && length !== HEADER_BYTES)
    const error = thrown(() => sink.write(makeEvent(3)))
    expect(error.code).toBe('io')
    expect(error.message).toContain('ENOSPC')
    expect(error.message).toContain(file)
    expect((error.cause as NodeJS.ErrnoException).code).toBe('ENOSPC')
    expect(parseLog(dir)).toEqual([...events].reverse())

    io.failWrites(undefined)
    sink.write(makeEvent(4))
    expect(parseLog(dir)).toEqual([makeEvent(4), ...[...events].reverse()])
    expect([...sink.read()]).toEqual([makeEvent(4), ...[...events].reverse()])
    sink.close()
  })

  it('after a short write then ENOSPC, the torn half is blanked: the file still parses with every earlier event', () => {
    const { dir, io, sink, events, file } = setup(2)
    // A new tenure, so that the first write call is the dirty header again.
    sink.flush()
    let calls = 0
    // The chunk's first write lands half, its second fails; overwriting the gap afterwards needs no new blocks.
    io.failWrites((path, length) => path === file && length !== HEADER_BYTES && (++calls === 1 ? Math.floor(length / 2) : calls === 2))
    expect(() => sink.write(makeEvent(2, { blob: 'q'.repeat(200) }))).toThrow(expect.objectContaining({ code: 'io' }))
    expect(parseLog(dir)).toEqual([...events].reverse())
    io.failWrites(undefined)
    sink.write(makeEvent(3))
    sink.close()
    expect(parseLog(dir)).toEqual([makeEvent(3), ...[...events].reverse()])
  })

  it('when even blanking the torn half fails, the next write repairs the gap from the dirty header', () => {
    const { dir, io, sink, events, file } = setup(2)
    // A new tenure, so that the first write call is the dirty header again.
    sink.flush()
    let calls = 0
    io.failWrites((path, length) => path === file && (++calls === 1 ? false : calls === 2 ? Math.floor(length / 2) : true))
    expect(() => sink.write(makeEvent(2, { blob: 'q'.repeat(200) }))).toThrow(expect.objectContaining({ code: 'io' }))
    expect(readLogBytes(dir).toString()).toContain('qqq')
    io.failWrites(undefined)
    sink.write(makeEvent(3))
    sink.close()
    expect(parseLog(dir)).toEqual([makeEvent(3), ...[...events].reverse()])
    expect(readLogBytes(dir).toString()).not.toContain('qqq')
  })

  it('on the dirty-header write: nothing changes and the next write succeeds', () => {
    const { dir, io, sink, events, file } = setup(2)
    const before = readLogBytes(dir)
    io.failWrites((path) => path === file)
    expect(() => sink.write(makeEvent(2))).toThrow(expect.objectContaining({ code: 'io' }))
    expect(readLogBytes(dir).equals(before)).toBe(true)
    io.failWrites(undefined)
    sink.write(makeEvent(3))
    sink.close()
    expect(parseLog(dir)).toEqual([makeEvent(3), ...[...events].reverse()])
  })

  it('during a gap-growth rewrite: error thrown, no temp file left, the original byte for byte intact', () => {
    const { dir, io, sink, events } = setup(2)
    const before = readLogBytes(dir)
    let tempWrites = 0
    io.failWrites((path) => path.endsWith('.tmp') && ++tempWrites >= 2)
    const big = makeEvent(2, { blob: 'g'.repeat(40_000) })
    const error = thrown(() => sink.write(big))
    expect(error.code).toBe('io')
    expect(error.message).toContain('ENOSPC')
    expect(tempWrites).toBeGreaterThanOrEqual(2)
    expect(readdirSync(dir)).toEqual(['audit_log.json'])
    expect(readLogBytes(dir).equals(before)).toBe(true)

    io.failWrites(undefined)
    sink.write(big)
    sink.close()
    expect(parseLog(dir)).toEqual([big, ...[...events].reverse()])
    expect(readdirSync(dir)).toEqual(['audit_log.json'])
  })

  it('while creating the file: no log and no temp file are left, and the next write creates it', () => {
    const dir = tempLogDir()
    const io = createFaultyIo()
    const sink = createJsonSink({ rootLogDir: dir, io })
    io.failWrites(() => true)
    expect(() => sink.write(makeEvent(0))).toThrow(expect.objectContaining({ code: 'io' }))
    expect(readdirSync(dir)).toEqual([])
    io.failWrites(undefined)
    sink.write(makeEvent(1))
    sink.close()
    expect(parseLog(dir)).toEqual([makeEvent(1)])
  })

  it("while converting the Python original's file: that file is left byte for byte", () => {
    const dir = tempLogDir()
    const text = JSON.stringify([makeEvent(1), makeEvent(0)], null, 2)
    writeFileSync(logPath(dir), text)
    const io = createFaultyIo()
    const sink = createJsonSink({ rootLogDir: dir, io })
    io.failWrites((path) => path.endsWith('.tmp'))
    expect(() => sink.write(makeEvent(2))).toThrow(expect.objectContaining({ code: 'io' }))
    expect(readLogBytes(dir).toString()).toBe(text)
    expect(readdirSync(dir)).toEqual(['audit_log.json'])
    io.failWrites(undefined)
    sink.write(makeEvent(2))
    sink.close()
    expect(parseLog(dir)).toEqual([makeEvent(2), makeEvent(1), makeEvent(0)])
  })

  it('a failing rename during a rewrite leaves the original and removes the temp file', () => {
    const dir = tempLogDir()
    const io = createFaultyIo()
    let failRename = true
    const sink = createJsonSink({
      rootLogDir: dir,
      io: {
        ...io,
        renameSync(from, to) {
          if (failRename) throw Object.assign(new Error('EXDEV: cross-device link not permitted'), { code: 'EXDEV' })
          io.renameSync(from, to)
        },
      },
    })
    expect(() => sink.write(makeEvent(0))).toThrow(expect.objectContaining({ code: 'io', message: expect.stringContaining('EXDEV') }))
    expect(readdirSync(dir)).toEqual([])
    failRename = false
    sink.write(makeEvent(0))
    sink.close()
    expect(parseLog(dir)).toEqual([makeEvent(0)])
  })
})
