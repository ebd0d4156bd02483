import type { Observable, Subscription } from 'rxjs'
import type { AuditEvent } from './codecs.js'
import { sinkError } from './errors.js'
import type { AuditSink } from './sink.js'

/** A sink's failure to persist one event. */
export interface SinkFailure {
  readonly sink: AuditSink
  readonly error: unknown
}

/**
 * Subscribes `sink` to `events`, handing each failure to `onFailure` synchronously.
 * A plain `subscribe(sink.write)` would not do: RxJS 7 never rethrows a subscriber's error to the
 * caller of `next()`; it reports it later from a timer, as an uncaught exception.
 */
export function attachSink(events: Observable<AuditEvent>, sink: AuditSink, onFailure: (failure: SinkFailure) => void): Subscription {
  return events.subscribe({
    next(event) {
      try {
        sink.write(event)
      } catch (error) {
        // A custom sink may throw a plain Error; the caller is promised an AuditrailError that names the sink.
        onFailure({ sink, error: sinkError(sink.name, 'write the event', error) })
      }
    },
  })
}
