import type { AuditEvent } from './codecs.js'
import { AuditrailError } from './errors.js'
import type { AuditSink, ReadOptions } from './sink.js'

/** An {@link AuditSink} that keeps events in memory, oldest first: for tests and live inspection. */
export interface MemorySink extends AuditSink {
  /** Every event written so far, oldest first. */
  readonly events: readonly AuditEvent[]
  read(options?: ReadOptions): Iterable<AuditEvent>
  head(): AuditEvent | undefined
}

/** Creates an in-memory sink. */
export function createMemorySink(): MemorySink {
  const events: AuditEvent[] = []
  let closed = false
  return {
    name: 'memory',
    events,
    write(event) {
      if (closed) throw new AuditrailError('closed', 'write after close', { component: 'memory' })
      events.push(event)
    },
    head() {
      return events[events.length - 1]
    },
    read(options = {}) {
      return options.order === 'newest-first' ? [...events].reverse() : [...events]
    },
    close() {
      closed = true
    },
  }
}
