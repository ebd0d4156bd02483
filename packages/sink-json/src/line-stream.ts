import { BLOCK, nodeFileIo, readAt } from '@auditrail/core'

/** One line of a file, without its line feed. */
export interface Line {
  readonly start: number
  readonly end: number
  readonly bytes: Buffer
}

/**
 * Streams the `\n`-separated lines of `[from, to)` front to back or back to front, one block plus the
 * longest line in memory: a log with one event per line reads in either order in a single pass.
 */
export function* streamLines(fd: number, from: number, to: number, direction: 'forward' | 'reverse'): Generator<Line> {
  if (from >= to) return
  if (direction === 'forward') {
    let carry: Buffer = Buffer.alloc(0)
    let carryAt = from
    for (let pos = from; pos < to; pos += BLOCK) {
      const block = readAt(nodeFileIo, fd, pos, Math.min(BLOCK, to - pos))
      if (block.length === 0) break
      const data = carry.length > 0 ? Buffer.concat([carry, block]) : block
      let lineStart = 0
      for (let nl = data.indexOf(0x0a); nl !== -1; nl = data.indexOf(0x0a, lineStart)) {
        yield { start: carryAt + lineStart, end: carryAt + nl, bytes: data.subarray(lineStart, nl) }
        lineStart = nl + 1
      }
      carry = data.subarray(lineStart)
      carryAt += lineStart
    }
    yield { start: carryAt, end: carryAt + carry.length, bytes: carry }
    return
  }
  let carry: Buffer = Buffer.alloc(0)
  let pos = to
  while (pos > from) {
    const blockAt = Math.max(from, pos - BLOCK)
    const block = readAt(nodeFileIo, fd, blockAt, pos - blockAt)
    const data = carry.length > 0 ? Buffer.concat([block, carry]) : block
    let lineEnd = data.length
    for (let nl = data.lastIndexOf(0x0a, lineEnd - 1); nl !== -1 && lineEnd > 0; nl = data.lastIndexOf(0x0a, lineEnd - 1)) {
      yield { start: blockAt + nl + 1, end: blockAt + lineEnd, bytes: data.subarray(nl + 1, lineEnd) }
      lineEnd = nl
    }
    carry = data.subarray(0, lineEnd)
    pos = blockAt
  }
  yield { start: from, end: from + carry.length, bytes: carry }
}
