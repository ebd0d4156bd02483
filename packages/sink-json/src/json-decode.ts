import { AuditrailError, decodeAuditEvent, decodeParsedAuditEvent, readAt, type AuditEvent, type FileIo } from '@auditrail/core'

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
  const decoded = decodeParsedAuditEvent(value, { component: COMPONENT, file, position })
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
  const texts = elementTexts(text)
  if (texts.length !== value.length) throw corrupt(file, `found ${texts.length} array elements in the text, ${value.length} when parsed`)
  return value.map((item: unknown, i) => {
    // No `file` here: the decode message then has no ` (file)` suffix to strip, and the corrupt error adds it once.
    const decoded = decodeAuditEvent(item, { component: COMPONENT, position: `event ${i + 1}` })
    if (decoded._tag === 'Left') throw new AuditrailError('corrupt', decoded.left.message.replace(/^\[auditrail\] \[sink-json\] /, ''), {
      component: COMPONENT,
      file,
      issues: decoded.left.issues,
      cause: decoded.left,
    })
    return texts[i] ?? JSON.stringify(item)
  })
}

/**
 * The text of each element of a JSON array already known to be valid, with the whitespace between tokens removed
 * (one line each). The literal text is kept, not `JSON.stringify` of the parsed value, so that numbers JavaScript
 * cannot hold exactly (integer ids above 2^53, `1.0`) are carried over as the other tool wrote them.
 */
function elementTexts(text: string): string[] {
  const elements: string[] = []
  let parts: string[] = []
  let runStart = -1
  let depth = 0
  const flush = (end: number): void => {
    if (runStart !== -1) parts.push(text.slice(runStart, end))
    runStart = -1
  }
  for (let i = 0; i < text.length; ) {
    const c = text[i]
    if (c === '"') {
      if (runStart === -1) runStart = i
      for (i++; text[i] !== '"'; ) i += text[i] === '\\' ? 2 : 1
      i++
    } else if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      flush(i++)
    } else if (depth === 0 && c === '[') {
      depth = 1
      i++
    } else if (depth === 1 && (c === ',' || c === ']')) {
      flush(i++)
      if (parts.length > 0) elements.push(parts.join(''))
      parts = []
      if (c === ']') depth = 0
    } else {
      if (c === '[' || c === '{') depth++
      else if (c === ']' || c === '}') depth--
      if (runStart === -1) runStart = i
      i++
    }
  }
  return elements
}
