/**
 * The on-disk layout of `audit_log.json`: always one valid JSON array, newest event first, one event per line.
 *
 *     [<header: 57 whitespace bytes><gap: spaces>\n{newest},\n{older},\n{oldest}\n]\n
 *
 * A new event is written into the end of the gap as `\n{event},` (or `\n{event}` into an empty log), so each
 * append is one positioned write of the event's own size, whatever the file's length. When the gap is too
 * small, the file is rewritten with a gap proportional to its size (amortized O(1) per event).
 *
 * The header encodes, in spaces and tabs that every JSON parser skips, a magic pattern, a dirty flag (set
 * while a writer holds the file, so that the next writer after a crash knows to repair the gap) and the
 * offset where the gap ends, so that opening a file reads 58 bytes, not the whole gap.
 */

import { createEncodeBuffer } from '@auditrail/core/file-io'

/** Offset of the first gap byte: `[` plus the header. */
export const HEADER_END = 58
const MAGIC = '\t \t  \t \t'
const MAGIC_OFFSET = 1
const FLAG_OFFSET = 9
const POSITION_OFFSET = 10
const POSITION_BITS = 48

/** The bytes after the last event (or after the gap in an empty log). */
export const LAYOUT_TAIL = '\n]\n'

/** The smallest gap a file is created or rewritten with. */
export const MIN_GAP = 16 * 1024

/** What the header says. */
export interface JsonHeader {
  /** Offset of the `\n` that starts the body (events, or `\n]\n` when empty). */
  readonly gapEnd: number
  /** True while a writer holds the file; true after a crash means the gap may hold a torn write. */
  readonly dirty: boolean
}

/** The 57 header bytes written at offset 1. */
export function encodeHeader(header: JsonHeader): Buffer {
  let bits = ''
  for (let i = POSITION_BITS - 1; i >= 0; i--) bits += Math.floor(header.gapEnd / 2 ** i) % 2 === 1 ? '\t' : ' '
  return Buffer.from(`${MAGIC}${header.dirty ? '\t' : ' '}${bits}`, 'latin1')
}

/** Decodes the first {@link HEADER_END} bytes of a file, or `undefined` when they are not our layout. */
export function decodeHeader(head: Buffer): JsonHeader | undefined {
  if (head.length < HEADER_END || head[0] !== 0x5b) return undefined
  if (head.toString('latin1', MAGIC_OFFSET, FLAG_OFFSET) !== MAGIC) return undefined
  const flag = head[FLAG_OFFSET]
  if (flag !== 0x20 && flag !== 0x09) return undefined
  let gapEnd = 0
  for (let i = POSITION_OFFSET; i < HEADER_END; i++) {
    const c = head[i]
    if (c !== 0x20 && c !== 0x09) return undefined
    gapEnd = gapEnd * 2 + (c === 0x09 ? 1 : 0)
  }
  return { gapEnd, dirty: flag === 0x09 }
}

/** `[`, a clean header pointing after a gap of `gapBytes` spaces, and the gap; only its first `length` bytes if given. */
export function encodePrefix(gapBytes: number, length = HEADER_END + gapBytes): Buffer {
  const prefix = Buffer.alloc(length, 0x20)
  prefix[0] = 0x5b
  encodeHeader({ gapEnd: HEADER_END + gapBytes, dirty: false }).copy(prefix, MAGIC_OFFSET)
  return prefix
}

const scratch = createEncodeBuffer()

/**
 * Encodes the bytes that insert `line` (one compact event) before the current newest event, `\n{event},` (no comma
 * into an empty log), into a reused buffer: {@link chunkBuffer} holds them, valid until the next call. Returns their
 * length. Encoding in place, with no string concatenation and no new Buffer view, saves about 0.15 µs per event.
 */
export function encodeChunkInPlace(line: string, logIsEmpty: boolean): number {
  const end = scratch.encode(line, 1)
  const bytes = scratch.bytes
  bytes[0] = 0x0a
  if (logIsEmpty) return end
  bytes[end] = 0x2c
  return end + 1
}

/** The buffer {@link encodeChunkInPlace} encodes into. */
export function chunkBuffer(): Buffer {
  return scratch.bytes
}

/** The chunk for `line` (see {@link encodeChunkInPlace}) as a view of the reused buffer, valid until the next call. */
export function encodeChunk(line: string, logIsEmpty: boolean): Buffer {
  const length = encodeChunkInPlace(line, logIsEmpty)
  return scratch.bytes.subarray(0, length)
}

/**
 * The gap to rewrite a file with: at least twice the pending chunk, and as large as the body, so growth is geometric.
 * Each regrowth writes the gap and copies the body: with a gap of the body's size that is 2 bytes per byte appended
 * until the next one, against 3 with half the body (measured: 0.4–0.5 µs per event less in a burst), for a file at
 * most about twice the size of its events.
 */
export function gapFor(bodyBytes: number, chunkBytes: number): number {
  return Math.max(MIN_GAP, chunkBytes * 2, bodyBytes)
}

/** True for the bytes the header and gap are made of. */
export function isGapByte(byte: number | undefined): boolean {
  return byte === 0x20 || byte === 0x09
}

/**
 * The start of a line our writer produced: timestamp, action type (JSON string body) and status, in that order.
 * Summaries read these instead of parsing whole events.
 */
export const HEAD_PATTERN = /^\{"timestamp":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z","action_type":"((?:[^"\\\u0000-\u001f]|\\.)+)","status":"(success|failed)","details":/
