import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { NOFOLLOW_FLAGS, createEncodeBuffer, nodeFileIo, readAt, statIfExists, writeFully, type FileIo } from '@auditrail/core'
import fc from 'fast-check'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'

let dir: string
let seq = 0

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'auditrail-core-'))
})

afterEach(() => {
  rmSync(dir, { recursive: true, force: true })
})

/** A fault-injecting FileIo over the real node:fs: each write moves at most `max` bytes. */
function shortWrites(max: number): FileIo & { writes: number } {
  return {
    ...nodeFileIo,
    writes: 0,
    writeSync(fd, buffer, offset, length, position) {
      this.writes++
      return nodeFileIo.writeSync(fd, buffer, offset, Math.min(length, max), position)
    },
  }
}

/** A FileIo whose writes fail with `code` for the first `failures` attempts, then go to node:fs. */
function failingWrites(code: string, failures: number): FileIo & { attempts: number } {
  return {
    ...nodeFileIo,
    attempts: 0,
    writeSync(fd, buffer, offset, length, position) {
      if (++this.attempts <= failures) throw Object.assign(new Error(`${code}: simulated`), { code })
      return nodeFileIo.writeSync(fd, buffer, offset, length, position)
    },
  }
}

/** Opens a fresh file (optionally with content), runs `fn` on its descriptor, and returns what the file holds. */
function withFile(initial: string | undefined, flags: string, fn: (fd: number) => void): string {
  const path = join(dir, `file-${seq++}.txt`)
  if (initial !== undefined) writeFileSync(path, initial)
  const fd = openSync(path, flags)
  try {
    fn(fd)
  } finally {
    closeSync(fd)
  }
  return readFileSync(path, 'latin1')
}

const bytes = (text: string) => Buffer.from(text, 'latin1')

describe('writeFully', () => {
  test('loops on short writes until the whole buffer is written', () => {
    const io = shortWrites(3)
    const text = 'abcdefghijklmnopqrstuvwxyz'
    expect(withFile(undefined, 'w', (fd) => writeFully(io, fd, bytes(text), null))).toBe(text)
    expect(io.writes).toBe(Math.ceil(text.length / 3))
  })

  test('writes at an explicit position, advancing it with each short write', () => {
    const io = shortWrites(3)
    expect(withFile('0123456789', 'r+', (fd) => writeFully(io, fd, bytes('ABCDEFG'), 2))).toBe('01ABCDEFG9')
  })

  test('appends after existing content at the current offset', () => {
    expect(withFile('[1]', 'a', (fd) => writeFully(shortWrites(2), fd, bytes(',[2]'), null))).toBe('[1],[2]')
  })

  test('with a length, writes only the buffer\'s first bytes', () => {
    const io = shortWrites(2)
    expect(withFile('0123456789', 'r+', (fd) => writeFully(io, fd, bytes('ABCDEFG'), 1, 5))).toBe('0ABCDE6789')
  })

  test('an empty buffer makes no write call', () => {
    const io = shortWrites(3)
    expect(withFile('kept', 'r+', (fd) => writeFully(io, fd, new Uint8Array(0), 0))).toBe('kept')
    expect(io.writes).toBe(0)
  })

  test('property: any content, any short-write size, any position: the file holds exactly the buffer there', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.integer({ min: 1, max: 8 }), fc.nat(16), (data, max, position) => {
        const prefix = 'x'.repeat(position)
        const content = withFile(prefix, 'r+', (fd) => writeFully(shortWrites(max), fd, data, position))
        expect(Buffer.from(content, 'latin1').equals(Buffer.concat([Buffer.from(prefix), data]))).toBe(true)
      }),
      { numRuns: 60 },
    )
  })

  test('retries EAGAIN, then succeeds', () => {
    const io = failingWrites('EAGAIN', 2)
    expect(withFile(undefined, 'w', (fd) => writeFully(io, fd, bytes('{"ok":true}'), null))).toBe('{"ok":true}')
    expect(io.attempts).toBe(3)
  })

  test('gives up on a persistent EAGAIN after a bounded number of retries, rethrowing it', () => {
    const io = failingWrites('EAGAIN', Number.POSITIVE_INFINITY)
    let thrown: unknown
    const content = withFile('', 'r+', (fd) => {
      try {
        writeFully(io, fd, bytes('lost'), 0)
      } catch (error) {
        thrown = error
      }
    })
    expect(thrown).toMatchObject({ code: 'EAGAIN' })
    expect(io.attempts).toBeGreaterThan(1)
    expect(io.attempts).toBeLessThanOrEqual(20)
    expect(content).toBe('')
  })

  test('does not retry other errors', () => {
    const io = failingWrites('ENOSPC', 1)
    expect(() => withFile(undefined, 'w', (fd) => writeFully(io, fd, bytes('x'), null))).toThrow(expect.objectContaining({ code: 'ENOSPC' }))
    expect(io.attempts).toBe(1)
  })
})

describe('readAt and statIfExists', () => {
  test('readAt loops on short reads and stops at end of file', () => {
    const io: FileIo = { ...nodeFileIo, readSync: (fd, buffer, offset, length, position) => nodeFileIo.readSync(fd, buffer, offset, Math.min(length, 2), position) }
    withFile('0123456789', 'r', (fd) => {
      expect(readAt(io, fd, 3, 5).toString()).toBe('34567')
      expect(readAt(io, fd, 8, 10).toString()).toBe('89')
      expect(readAt(io, fd, 20, 4).length).toBe(0)
    })
  })

  test('statIfExists returns undefined for a missing path and the stats otherwise', () => {
    expect(statIfExists(nodeFileIo, join(dir, 'missing.json'))).toBeUndefined()
    expect(statIfExists(nodeFileIo, dir)?.isDirectory()).toBe(true)
  })

  test('statIfExists describes a symbolic link itself, dangling or not: never followed, never "missing"', () => {
    symlinkSync(join(dir, 'nowhere'), join(dir, 'dangling'))
    symlinkSync(dir, join(dir, 'to-dir'))
    expect(statIfExists(nodeFileIo, join(dir, 'dangling'))?.isSymbolicLink()).toBe(true)
    expect(statIfExists(nodeFileIo, join(dir, 'to-dir'))?.isSymbolicLink()).toBe(true)
  })

  test('NOFOLLOW_FLAGS opens fail with ELOOP on a symbolic link and work on a regular file', () => {
    const target = join(dir, 'target.txt')
    writeFileSync(target, 'kept')
    symlinkSync(target, join(dir, 'link'))
    for (const flags of Object.values(NOFOLLOW_FLAGS)) {
      expect(() => nodeFileIo.openSync(join(dir, 'link'), flags, 0o600), String(flags)).toThrow(expect.objectContaining({ code: flags === NOFOLLOW_FLAGS.create ? 'EEXIST' : 'ELOOP' }))
    }
    nodeFileIo.closeSync(nodeFileIo.openSync(target, NOFOLLOW_FLAGS.update))
    expect(readFileSync(target, 'utf8')).toBe('kept')
  })
})

describe('createEncodeBuffer', () => {
  test('encodes any string as Buffer.from does, at any offset, growing past its first size', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 300 }), fc.integer({ min: 0, max: 20 }), (text, at) => {
        const buffer = createEncodeBuffer(16)
        buffer.encode('x'.repeat(40), 0)
        const end = buffer.encode(text, at)
        expect(end - at).toBe(Buffer.byteLength(text))
        expect(buffer.bytes.subarray(at, end).toString('utf8')).toBe(text)
      }),
    )
  })

  test('keeps its buffer while the text fits, and bytes before the offset are left alone', () => {
    const buffer = createEncodeBuffer(64)
    const first = buffer.bytes
    first[0] = 0x0a
    expect(buffer.encode('{"é":1}', 1)).toBe(1 + Buffer.byteLength('{"é":1}'))
    expect(buffer.bytes).toBe(first)
    expect(buffer.bytes.subarray(0, 9).toString()).toBe('\n{"é":1}')
  })
})
