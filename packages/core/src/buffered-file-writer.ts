import { writeFully, type FileIo } from './file-io.js'

const FLUSH_AT = 1 << 20

/** Text appended to a file through one reused buffer (see {@link createBufferedFileWriter}). */
export interface BufferedFileWriter {
  /** Appends `text` (UTF-8) after what was put before. */
  put(text: string): void
  /** Writes what is buffered; returns the offset after the last byte written. */
  flush(): number
}

/**
 * Writes text to `fd` from offset `at` on, through one buffer of bytes flushed each megabyte. Not a list of strings:
 * text built by concatenation is a rope, several times its size in memory until flattened, and whole-file writers
 * (`convert`) must run in a small heap whatever the log's length.
 */
export function createBufferedFileWriter(io: FileIo, fd: number, at: number): BufferedFileWriter {
  const buffer = Buffer.allocUnsafe(FLUSH_AT)
  let used = 0
  const flush = (): number => {
    writeFully(io, fd, buffer.subarray(0, used), at)
    at += used
    used = 0
    return at
  }
  return {
    put(text) {
      // At most 3 UTF-8 bytes per UTF-16 code unit.
      if (used + text.length * 3 > buffer.length) flush()
      if (text.length * 3 <= buffer.length) used += buffer.write(text, used)
      else {
        const bytes = Buffer.from(text)
        writeFully(io, fd, bytes, at)
        at += bytes.length
      }
    },
    flush,
  }
}
