import { AuditrailError, type AuditSink } from '@auditrail/core'

/** The sink of `AUDIT_LOG_FORMAT=none`: accepts every event and drops it, creating nothing. */
export interface NoneSink extends AuditSink {
  read(): Iterable<never>
}

/** Creates a sink that drops events (it still fails after `close()`, like every sink). */
export function createNoneSink(): NoneSink {
  let closed = false
  return {
    name: 'sink-none',
    write() {
      if (closed) throw new AuditrailError('closed', 'write after close', { component: 'sink-none' })
    },
    read() {
      return []
    },
    close() {
      closed = true
    },
  }
}
