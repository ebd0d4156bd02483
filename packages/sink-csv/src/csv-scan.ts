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

/** The offset just after the line break ending the record at `at` (a record start), or `end` if none does before it. */
export function recordEnd(io: FileIo, fd: number, at: number, end: number): number {
  let inQuotes = false
  // Rows are usually short: read a little first, more only if the row is long.
  for (let pos = at, step = 4096; pos < end; pos += step, step = Math.min(step * 4, BLOCK)) {
    const block = readAt(io, fd, pos, Math.min(step, end - pos))
    for (let i = 0; i < block.length; i++) {
      const byte = block[i]
      if (byte === QUOTE) inQuotes = !inQuotes
      else if (byte === LF && !inQuotes) return pos + i + 1
    }
  }
  return end
}

/**
 * How many records precede each record start `at` in the file from `start` (a boundary), for messages: quote parity
 * checkpointed at every block, so lookups in any order cost at most a block each after the first reaches that far.
 */
export function createRecordCounter(io: FileIo, fd: number, start: number): (at: number) => number {
  // At `start + k * BLOCK`: the records ended before it, and whether it lies inside quotes.
  const checkpoints: { records: number; inQuotes: boolean }[] = [{ records: 0, inQuotes: false }]
  const scan = (from: number, to: number, state: { records: number; inQuotes: boolean }): { records: number; inQuotes: boolean } => {
    let { records, inQuotes } = state
    const block = readAt(io, fd, from, to - from)
    for (let i = 0; i < block.length; i++) {
      const byte = block[i]
      if (byte === QUOTE) inQuotes = !inQuotes
      else if (byte === LF && !inQuotes) records++
    }
    return { records, inQuotes }
  }
  return (at) => {
    const k = Math.floor((at - start) / BLOCK)
    while (checkpoints.length <= k) {
      const from = start + (checkpoints.length - 1) * BLOCK
      checkpoints.push(scan(from, from + BLOCK, checkpoints[checkpoints.length - 1] as { records: number; inQuotes: boolean }))
    }
    return scan(start + k * BLOCK, at, checkpoints[k] as { records: number; inQuotes: boolean }).records
  }
}
