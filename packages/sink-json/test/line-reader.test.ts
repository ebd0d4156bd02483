import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterAll, describe, expect, it } from 'vitest'
import { nodeFileIo, type ReadOrder } from '@auditrail/core'
import { readLineRuns } from '../src/line-reader.js'

const dir = mkdtempSync(join(tmpdir(), 'auditrail-line-reader-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** Non-empty lines, as events are: short ones, multi-byte text, and a few longer than the reader's 1 MiB block. */
const lineArb = fc.oneof(
  { weight: 8, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 300 }).filter((s) => !s.includes('\n')) },
  { weight: 2, arbitrary: fc.tuple(fc.integer({ min: 100_000, max: 400_000 }), fc.constantFrom('a', 'é', '€', '𝄞')).map(([n, c]) => c.repeat(n)) },
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 1_100_000, max: 2_300_000 }), fc.constantFrom('b', 'ü')).map(([n, c]) => c.repeat(n)) },
)

/** The runs of `body` (between a prefix and a suffix without newlines) read in `order`, each checked against the file's bytes. */
function runsOf(body: string, order: ReadOrder): string[] {
  const prefix = Buffer.from('[  prefix without newlines ')
  const file = join(dir, 'lines.txt')
  const bytes = Buffer.concat([prefix, Buffer.from(body), Buffer.from(' suffix')])
  writeFileSync(file, bytes)
  const fd = openSync(file, 'r')
  try {
    const runs = [...readLineRuns(nodeFileIo, fd, prefix.length, prefix.length + Buffer.byteLength(body), order)]
    for (const run of runs) {
      const encoded = Buffer.from(run.text)
      expect(bytes.subarray(run.offset, run.offset + encoded.length).equals(encoded)).toBe(true)
    }
    return runs.map((run) => run.text)
  } finally {
    closeSync(fd)
  }
}

describe('readLineRuns', () => {
  it('yields every line once, in whole-line runs at their byte offsets, in either order, whatever the lines’ lengths', () => {
    fc.assert(
      fc.property(fc.array(lineArb, { minLength: 1, maxLength: 12 }), (lines) => {
        const body = lines.join('\n')
        expect(runsOf(body, 'newest-first').join('\n')).toBe(body)
        expect(runsOf(body, 'oldest-first').reverse().join('\n')).toBe(body)
      }),
      { numRuns: 40 },
    )
  })

  it('yields the lines there are when the file ends before the range does (it shrank after the snapshot)', () => {
    const file = join(dir, 'short.txt')
    const body = ['one', 'two €', 'x'.repeat(1_200_000), 'four'].join('\n')
    writeFileSync(file, body)
    const fd = openSync(file, 'r')
    try {
      for (const missing of [10, 1_500_000]) {
        const end = Buffer.byteLength(body) + missing
        expect([...readLineRuns(nodeFileIo, fd, 0, end, 'newest-first')].map((r) => r.text).join('\n')).toBe(body)
        expect([...readLineRuns(nodeFileIo, fd, 0, end, 'oldest-first')].map((r) => r.text).reverse().join('\n')).toBe(body)
      }
    } finally {
      closeSync(fd)
    }
  })

  it('yields nothing for an empty range', () => {
    expect(runsOf('', 'newest-first')).toEqual([])
    expect(runsOf('', 'oldest-first')).toEqual([])
  })
})
