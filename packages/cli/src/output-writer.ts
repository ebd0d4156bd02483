import * as fs from 'node:fs'
import { AuditrailError, errnoCode, sleepSync } from '@auditrail/core'

/** Buffered, synchronous text output to a file descriptor (stdout). */
export interface OutputWriter {
  write(text: string): void
  /** Writes what is buffered; blocks until the reader has taken it, which is what bounds memory. */
  flush(): void
}

const CAPACITY = 64 * 1024

/**
 * Creates a writer for `fd`. Writes are synchronous so that a slow reader of a pipe slows us down instead of
 * letting output pile up in memory. A closed pipe (`auditrail query | head`) throws an `io` AuditrailError
 * whose cause is EPIPE, which the runner treats as a quiet stop.
 */
export function createOutputWriter(fd: number): OutputWriter {
  let pending: string[] = []
  let pendingBytes = 0
  const flush = (): void => {
    if (pending.length === 0) return
    const buffer = Buffer.from(pending.join(''))
    pending = []
    pendingBytes = 0
    let offset = 0
    let wait = 1
    while (offset < buffer.length) {
      try {
        offset += fs.writeSync(fd, buffer, offset, buffer.length - offset)
        wait = 1
      } catch (error) {
        // A non-blocking pipe that is full: the reader is behind. Wait for it, however long it takes.
        if (errnoCode(error) === 'EAGAIN') {
          sleepSync(wait)
          wait = Math.min(wait * 2, 50)
          continue
        }
        throw new AuditrailError('io', `cannot write the output: ${errnoCode(error) ?? String(error)}`, { component: 'cli', cause: error })
      }
    }
  }
  return {
    write(text) {
      pending.push(text)
      pendingBytes += text.length
      if (pendingBytes >= CAPACITY) flush()
    },
    flush,
  }
}
