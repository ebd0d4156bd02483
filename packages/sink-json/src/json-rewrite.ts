import { replaceFile, writeFully, type FileIo } from '@auditrail/core'
import { writeGapPrefix } from './gap-file.js'
import { HEADER_END, gapFor } from './json-layout.js'

/** Where and how {@link rewriteJsonLog} writes. */
export interface JsonRewriteTarget {
  readonly io: FileIo
  readonly file: string
  /** `durability: 'fsync'`: `replaceFile` syncs the temp file and the directory. */
  readonly fsync: boolean
  readonly fileMode: number
}

/**
 * Writes a whole new log — `[`, a clean header, a gap proportional to the body, the new `chunk`, then the body that
 * `writeBody` copies — into a temporary file and renames it over the log: the one atomic way this layout grows.
 */
export function rewriteJsonLog(target: JsonRewriteTarget, chunk: Buffer, bodyBytes: number, writeBody: (tempFd: number, at: number) => void): void {
  const { io, file, fsync, fileMode } = target
  const gapBytes = gapFor(bodyBytes + chunk.length, chunk.length) - chunk.length
  const prefixLength = HEADER_END + gapBytes
  replaceFile(
    io,
    file,
    fsync,
    (tempFd) => {
      writeGapPrefix(io, tempFd, gapBytes)
      writeFully(io, tempFd, chunk, prefixLength)
      writeBody(tempFd, prefixLength + chunk.length)
      // Even in 'process' durability: renamed over the log unsynced, the new file could after a power cut be empty or
      // partial in place of a log whose events were long on disk (or covered by sync()). Rewrites are rare.
      if (!fsync) io.fdatasyncSync(tempFd)
    },
    fileMode,
  )
}
