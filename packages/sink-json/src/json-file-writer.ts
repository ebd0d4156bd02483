import { createBufferedFileWriter, DEFAULT_FILE_MODE, nodeFileIo, openReplacement, type AuditEvent, type BufferedFileWriter } from '@auditrail/core'
import { writeGapPrefix } from './gap-file.js'
import { LAYOUT_TAIL, gapFor } from './json-layout.js'

/** Options of {@link writeJsonLogFile}. */
export interface WriteJsonLogOptions {
  /**
   * About how many bytes the events take (a converted log's size will do): the gap before them is made as large, as
   * the sink's own rewrites make it, so appends go on for as long before the first regrowth. Default: the minimum gap.
   */
  readonly sizeHint?: number
  /** The new file's mode, less the umask. Default `0o600`: a copy of an audit log is as private as the log. */
  readonly mode?: number
}

/**
 * Writes `events` to `file` as a whole new JSON log in the JSON sink's own layout — `[`, a clean header, a gap, one
 * compact event per line in the order given (newest first is the spec's), `]` — atomically (temporary file, fsync,
 * rename): readers see the old file or the complete new one. The sink appends to it at once, with no rewrite first.
 * The events are streamed: memory does not grow with their number. Returns the count; on a throw `file` is as it was.
 */
export function writeJsonLogFile(file: string, events: Iterable<AuditEvent>, options: WriteJsonLogOptions = {}): number {
  const out = startJsonLogFile(file, options)
  try {
    for (const event of events) out.put(event)
  } catch (error) {
    out.abandon()
    throw error
  }
  return out.finish()
}

/** {@link writeJsonLogFile} from an async source (a database cursor, say), with the same layout and guarantees. */
export async function writeJsonLogFileFrom(file: string, events: AsyncIterable<AuditEvent>, options: WriteJsonLogOptions = {}): Promise<number> {
  const out = startJsonLogFile(file, options)
  try {
    for await (const event of events) out.put(event)
  } catch (error) {
    out.abandon()
    throw error
  }
  return out.finish()
}

/** A whole JSON log being written into its replacement file: events put in file order, then finished or abandoned. */
function startJsonLogFile(file: string, options: WriteJsonLogOptions): { put(event: AuditEvent): void; finish(): number; abandon(): void } {
  const replacement = openReplacement(nodeFileIo, file, true, options.mode ?? DEFAULT_FILE_MODE)
  let count = 0
  let out: BufferedFileWriter
  try {
    // The gap is laid down first, so its size is chosen before the events are read: from the hint, not their count.
    out = createBufferedFileWriter(nodeFileIo, replacement.fd, writeGapPrefix(nodeFileIo, replacement.fd, gapFor(options.sizeHint ?? 0, 0)))
  } catch (error) {
    replacement.abandon()
    throw error
  }
  return {
    put(event) {
      out.put(`${count === 0 ? '\n' : ',\n'}${JSON.stringify(event)}`)
      count++
    },
    finish() {
      try {
        out.put(LAYOUT_TAIL)
        out.flush()
      } catch (error) {
        replacement.abandon()
        throw error
      }
      replacement.commit()
      return count
    },
    abandon: replacement.abandon,
  }
}
