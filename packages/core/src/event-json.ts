import type { AuditEvent } from './codecs.js'

// The newest event the logger serialized itself, and its text: a sink writing it asks for it at once, in the same
// call, so one slot suffices, and an identity check keeps any other event from taking its text.
let lastEvent: AuditEvent | undefined
let lastLine = ''

/** Records the compact JSON line of an event just made, for {@link eventJson}. */
export function rememberEventJson(event: AuditEvent, line: string): void {
  lastEvent = event
  lastLine = line
}

/** `JSON.stringify(event)`: the text the logger already made for it when it made one, else serialized now. */
export function eventJson(event: AuditEvent): string {
  return event === lastEvent ? lastLine : JSON.stringify(event)
}
