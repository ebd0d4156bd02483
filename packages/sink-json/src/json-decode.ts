import { AuditrailError, decodeAuditEvent, readAt, type AuditEvent, type FileIo } from '@auditrail/core'

const COMPONENT = 'sink-json'

function corrupt(file: string, message: string, cause?: unknown): AuditrailError {
  return new AuditrailError('corrupt', `${message}; the file is left untouched`, { component: COMPONENT, file, cause })
}

/** Parses one stored event line (without its trailing comma); `position` names it in errors. */
export function parseLine(text: string, file: string, position: string): AuditEvent {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    throw corrupt(file, `${position}: not valid JSON (${(error as Error).message})`, error)
  }
  const decoded = decodeAuditEvent(value, { component: COMPONENT, file, position })
  if (decoded._tag === 'Left') throw decoded.left
  return decoded.right
}

/**
 * Reads a log in another layout (the Python original's indent-2 array, or any JSON array of events) and
 * returns each event re-serialized compactly, in the file's order, keys as they were. A file that is empty
 * or only whitespace holds no events. Anything else throws a `corrupt` error naming the file.
 */
export function parseForeignLog(io: FileIo, fd: number, size: number, file: string): string[] {
  let text = readAt(io, fd, 0, size).toString('utf8')
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1)
  if (text.trim() === '') return []
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    throw corrupt(file, `not valid JSON (${(error as Error).message})`, error)
  }
  if (!Array.isArray(value)) {
    throw corrupt(file, `expected a JSON array of audit events, got ${value === null ? 'null' : typeof value === 'object' ? 'an object' : typeof value}`)
  }
  return value.map((item: unknown, i) => {
    const decoded = decodeAuditEvent(item, { component: COMPONENT, file, position: `event ${i + 1}` })
    if (decoded._tag === 'Left') throw new AuditrailError('corrupt', decoded.left.message.replace(/^\[auditrail\] \[sink-json\] /, '').replace(/ \(.*\)$/, ''), {
      component: COMPONENT,
      file,
      issues: decoded.left.issues,
      cause: decoded.left,
    })
    return JSON.stringify(item)
  })
}
