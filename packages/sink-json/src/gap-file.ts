// Laying down a new log's prefix and copying its body: shared by the synchronous rewrite and the regrowth worker, which
// imports only this much of core (the file-io module) so that it starts in milliseconds.
import { writeFully, type FileIo } from '@auditrail/core/file-io'
import { HEADER_END, encodePrefix } from './json-layout.js'

/** Size of the writes that lay down a new file's gap: small page-cache folios for later appends (see below). */
const GAP_PIECE_BYTES = 16 * 1024
const GAP_PIECE = Buffer.alloc(GAP_PIECE_BYTES, 0x20)

/**
 * Writes `[`, a clean header and a gap of `gapBytes` spaces at the start of `fd` (a new file); returns the prefix's length.
 * The gap goes in small aligned pieces, not one write: Linux (ext4 with large folios, kernel 6.16+) caches what one big
 * write wrote in folios of up to 2 MiB, and every later small write into such a folio walks all its blocks
 * (ext4_block_write_begin, block_commit_write). Measured on kernel 6.18 ext4: a 250 B write into the gap took 3–7 µs
 * after a one-write gap of 5–17 MiB, 0.9 µs after 16 KiB pieces (an append costs ~1 µs). The pieces after the first are
 * one shared buffer of spaces: no gap-sized buffer (125 MB at 1M events).
 */
export function writeGapPrefix(io: FileIo, fd: number, gapBytes: number): number {
  const prefixLength = HEADER_END + gapBytes
  writeFully(io, fd, encodePrefix(gapBytes, Math.min(prefixLength, GAP_PIECE_BYTES)), 0)
  for (let at = GAP_PIECE_BYTES; at < prefixLength; at += GAP_PIECE_BYTES) {
    writeFully(io, fd, GAP_PIECE.subarray(0, Math.min(GAP_PIECE_BYTES, prefixLength - at)), at)
  }
  return prefixLength
}

/** Copies `length` bytes from one descriptor to another in bounded blocks. */
export function copyRange(io: FileIo, from: number, start: number, length: number, to: number, at: number): void {
  // One buffer for every block: a fresh 1 MiB buffer per block (a new mapping, page-faulted in) made the copy of a
  // large log 2.4× slower (15.7 vs 6.6 ms per 32 MiB on this machine).
  const buffer = Buffer.allocUnsafe(Math.min(1 << 20, length))
  for (let done = 0; done < length; ) {
    const read = io.readSync(from, buffer, 0, Math.min(buffer.length, length - done), start + done)
    if (read === 0) throw new Error('file shrank during rewrite')
    writeFully(io, to, buffer.subarray(0, read), at + done)
    done += read
  }
}
