import { AuditrailError, type AuditSink } from '@auditrail/core'

/** The sink of `AUDIT_LOG_FORMAT=none`: accepts every event and drops it, creating nothing. */
export interface NoneSink extends AuditSink {
  read(): Iterable<never>
}

/** Creates a sink that drops events (it still fails after `close()`, like every sink). */
export function createNoneSink(): NoneSink {
  let closed = false
  const ensureOpen = (): void => {
    if (closed) throw new AuditrailError('closed', 'use after close', { component: 'sink-none' })
  }
  return {
    name: 'sink-none',
    write() {
      ensureOpen()
    },
    read() {
      ensureOpen()
      return []
    },
    close() {
      closed = true
    },
  }
}
