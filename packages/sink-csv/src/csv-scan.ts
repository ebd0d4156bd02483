import { readAt, type FileIo } from '@auditrail/core'

const BLOCK = 1 << 20
const QUOTE = 0x22
const LF = 0x0a

/*
 * Record boundaries by quote parity. In RFC 4180 a `"` appears only inside quoted cells (opening, closing,
 * or doubled), so a line break is a record boundary exactly when an even number of quotes precede it since
 * the previous boundary — and, scanning backward from a boundary, when an even number follow it up to there.
 */

/** The offset just after the last record boundary in `[start, end)`, scanning forward from `start` (a boundary). */
export function lastBoundaryForward(io: FileIo, fd: number, start: number, end: number): number {
  let inQuotes = false
  let boundary = start
  for (let at = start; at < end; at += BLOCK) {
    const block = readAt(io, fd, at, Math.min(BLOCK, end - at))
    for (let i = 0; i < block.length; i++) {
      const byte = block[i]
      if (byte === QUOTE) inQuotes = !inQuotes
      else if (byte === LF && !inQuotes) boundary = at + i + 1
    }
  }
  return boundary
}

/** The start of the last record in `[start, end)`, where `end` is a record boundary. */
export function lastRecordStart(io: FileIo, fd: number, start: number, end: number): number {
  let quotes = 0
  // Rows are usually short: read a little first, more only if the row is long.
  for (let pos = end - 1, step = 2048; pos > start; step = Math.min(step * 4, BLOCK)) {
    const from = Math.max(start, pos - step)
    const block = readAt(io, fd, from, pos - from)
    for (let i = block.length - 1; i >= 0; i--) {
      const byte = block[i]
      if (byte === QUOTE) quotes++
      else if (byte === LF && quotes % 2 === 0) return from + i + 1
    }
    pos = from
  }
  return start
}

/**
 * Splits `[start, end)` (both record boundaries) into chunks of whole records of about a megabyte,
 * front to back or back to front, so each chunk can be parsed on its own.
 */
export function* recordChunks(io: FileIo, fd: number, start: number, end: number, backward: boolean): Generator<{ text: string; offset: number }> {
  if (!backward) {
    let inQuotes = false
    let chunkStart = start
    for (let at = start; at < end; at += BLOCK) {
      const block = readAt(io, fd, at, Math.min(BLOCK, end - at))
      let cut = -1
      for (let i = 0; i < block.length; i++) {
        const byte = block[i]
        if (byte === QUOTE) inQuotes = !inQuotes
        else if (byte === LF && !inQuotes) cut = at + i + 1
      }
      if (cut > chunkStart) {
        yield { text: readAt(io, fd, chunkStart, cut - chunkStart).toString('utf8'), offset: chunkStart }
        chunkStart = cut
      }
    }
    if (chunkStart < end) yield { text: readAt(io, fd, chunkStart, end - chunkStart).toString('utf8'), offset: chunkStart }
    return
  }
  let chunkEnd = end
  let quotes = 0
  for (let pos = end; pos > start; ) {
    const from = Math.max(start, pos - BLOCK)
    const block = readAt(io, fd, from, pos - from)
    let cut = -1
    for (let i = block.length - 1; i >= 0; i--) {
      const byte = block[i]
      // The byte at chunkEnd - 1 is the chunk's own final line break, not a boundary before it.
      if (byte === QUOTE) quotes++
      else if (byte === LF && quotes % 2 === 0 && from + i + 1 < chunkEnd) cut = from + i + 1
    }
    if (cut !== -1) {
      yield { text: readAt(io, fd, cut, chunkEnd - cut).toString('utf8'), offset: cut }
      chunkEnd = cut
      quotes = 0
      // Quotes between the cut and the block's end were counted for the chunk just yielded, none before it.
      for (let i = cut - from - 1; i >= 0; i--) if (block[i] === QUOTE) quotes++
    }
    pos = from
  }
  if (chunkEnd > start) yield { text: readAt(io, fd, start, chunkEnd - start).toString('utf8'), offset: start }
}
