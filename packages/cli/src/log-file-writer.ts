import { AuditrailError, nodeFileIo, replaceFile, writeFully, type AuditEvent } from '@auditrail/core'
import { CSV_COLUMNS } from '@auditrail/sink-csv'
import { encodeCsvRow } from './csv-cells.js'
import type { LogFormat } from './log-target.js'

const FLUSH_AT = 1 << 20
const SPEC_FIELDS = new Set(['timestamp', 'action_type', 'status', 'details', 'error'])

/**
 * Writes `events` to `file` as a whole new log, atomically (temporary file, fsync, rename): readers see the
 * old file or the complete new one, never a part. JSON: an array with one compact event per line, in the
 * order given (newest first is the spec's); auditrail's JSON sink continues such a file. CSV: sink-csv's
 * exact format, header and CRLF rows, in the order given (oldest first is the spec's). Returns the count.
 * An event with fields beyond the spec's five cannot go to CSV: that throws an `invalid` AuditrailError and
 * leaves `file` as it was.
 */
export function writeLogFile(file: string, format: LogFormat, events: Iterable<AuditEvent>): number {
  let count = 0
  replaceFile(nodeFileIo, file, true, (fd) => {
    let chunks: string[] = [format === 'csv' ? `${CSV_COLUMNS.join(',')}\r\n` : '']
    let size = 0
    let at = 0
    const flush = (): void => {
      const buffer = Buffer.from(chunks.join(''))
      writeFully(nodeFileIo, fd, buffer, at)
      at += buffer.length
      chunks = []
      size = 0
    }
    for (const event of events) {
      let text: string
      if (format === 'json') text = `${count === 0 ? '[\n' : ',\n'}${JSON.stringify(event)}`
      else {
        const extra = Object.keys(event).filter((key) => !SPEC_FIELDS.has(key))
        if (extra.length > 0) {
          throw new AuditrailError('invalid', `the event at ${event.timestamp} has fields CSV has no column for (${extra.join(', ')}); nothing written`, {
            component: 'cli',
            file,
          })
        }
        text = encodeCsvRow(event)
      }
      chunks.push(text)
      size += text.length
      count++
      if (size >= FLUSH_AT) flush()
    }
    if (format === 'json') chunks.push(count === 0 ? '[]\n' : '\n]\n')
    flush()
  })
  return count
}
