import { actionDetailsCodecs, isKnownActionType } from './action-details.js'
import type { AuditStatus } from './audit-status.js'
import { AuditrailError } from './errors.js'
import { copyDetails, EMPTY_DETAILS, isPlainDetails, JsonIssueSignal, toJsonObject, type JsonObject } from './json-value.js'
import { formatDecodeIssue, toDecodeIssues, type DecodeIssue } from './path-reporter.js'

/** A `logEvent` call's arguments once validated. */
export interface EventInput {
  readonly action_type: string
  readonly status: AuditStatus
  readonly details: JsonObject
  readonly error: string | null
  /** Present only when an actor was given. */
  readonly actor?: string
}

function invalid(field: string, message: string, actual: unknown, expected: string): AuditrailError {
  const issue: DecodeIssue = { path: field, expected, actual }
  return new AuditrailError('invalid', `${shortenPath(field)}: ${message}`, { component: 'core', field, issues: [issue] })
}

/** Paths longer than this are shortened in messages; `field` and `issues` keep them whole. */
const MAX_SHOWN_PATH = 80

/**
 * A path as a message shows it: whole up to {@link MAX_SHOWN_PATH} characters, else its start and end with the number
 * of levels left out between (`details.a.a.a.…(190 more levels)….a.a`): a 200-level path is 400 characters of noise.
 */
export function shortenPath(path: string): string {
  if (path.length <= MAX_SHOWN_PATH) return path
  const segments = pathSegments(path)
  let head = 0
  let headLength = 0
  while (head < segments.length && headLength + (segments[head] as string).length <= MAX_SHOWN_PATH / 2) headLength += (segments[head++] as string).length
  let tail = segments.length
  let tailLength = 0
  while (tail > head && tailLength + (segments[tail - 1] as string).length <= MAX_SHOWN_PATH / 4) tailLength += (segments[--tail] as string).length
  const left = tail - head
  if (left <= 1) return path
  return `${segments.slice(0, head).join('')}.…(${left} more levels)…${segments.slice(tail).join('')}`
}

function lonelySurrogate(field: string, text: string): AuditrailError {
  return invalid(field, 'contains a lone surrogate, which UTF-8 cannot encode', text, 'well-formed Unicode string')
}

function describe(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : value === null ? 'null' : typeof value
}

function strictIssues(action: string, details: JsonObject): DecodeIssue[] {
  if (!isKnownActionType(action)) return []
  const codec = actionDetailsCodecs[action]
  const result = codec.decode(details)
  const issues = result._tag === 'Left' ? toDecodeIssues(result.left).map((i) => ({ ...i, path: `details.${i.path}` })) : []
  const known = Object.keys(codec.props)
  for (const key of Object.keys(details)) {
    if (!known.includes(key)) issues.push({ path: `details.${key}`, expected: `one of the ${action} fields (${known.join(', ')})`, actual: key })
  }
  return issues
}

/**
 * Validates the arguments of `logEvent`, returning the normalized input or throwing an `invalid`
 * {@link AuditrailError} that names the field. With `strict`, a known action's details must match its codec exactly,
 * and the status must be one of the spec's two.
 */
export function validateEventInput(
  actionType: unknown,
  status: unknown,
  details: unknown,
  error: unknown,
  strict: boolean,
  actor?: unknown,
): EventInput {
  // A caller logs a handful of action types and actors over and over: names already accepted skip their checks.
  if (!acceptedNames.has(actionType)) acceptName('action_type', actionType, 'ActionType')
  if (status !== 'success' && status !== 'failed') {
    // WeightsLab's notebook service writes "error" for a failed cell; a port of it may too, but not a strict logger.
    if (status !== 'error') throw invalid('status', `expected "success" | "failed" | "error", got ${describe(status)}`, status, '"success" | "failed" | "error"')
    if (strict) throw invalid('status', 'strict: "error" is WeightsLab\'s spelling of "failed"; a strict logger writes "success" | "failed"', status, '"success" | "failed"')
  }
  // JavaScript callers hold the caught Error itself (Python callers pass str(e)): its message is what the spec stores.
  if (error instanceof Error) error = error.message
  if (error !== undefined && error !== null && typeof error !== 'string') {
    throw invalid('error', `expected a string, an Error or null, got ${describe(error)}`, error, 'string | Error | null')
  }
  if (actor !== undefined && !acceptedNames.has(actor)) acceptName('actor', actor, 'Actor')
  // A lone surrogate cannot be encoded as UTF-8: the file would silently hold U+FFFD instead.
  if (typeof error === 'string' && !error.isWellFormed()) throw lonelySurrogate('error', error)
  let copied: JsonObject
  if (details === undefined || details === null) {
    copied = EMPTY_DETAILS
  } else {
    const result = isPlainDetails(details) ? copyDetails(details, 'details') : notPlain(details)
    if (result instanceof JsonIssueSignal) throw invalid(result.issue.path, result.issue.message, details, 'JSON object')
    copied = result
  }
  if (strict) {
    const issues = strictIssues(actionType as string, copied)
    if (issues.length > 0) {
      const first = issues[0] as DecodeIssue
      throw new AuditrailError('invalid', `strict: ${issues.map(formatDecodeIssue).join('; ')}`, { component: 'core', field: first.path, issues })
    }
  }
  const errorText = typeof error === 'string' ? error : null
  return actor === undefined
    ? { action_type: actionType as string, status, details: copied, error: errorText }
    : { action_type: actionType as string, status, details: copied, error: errorText, actor: actor as string }
}

// Action types and actors that passed the checks (the same for both), up to a bound: a Set lookup costs a fraction of
// the control-character scan and the Unicode check, and real callers use a few dozen names, not thousands.
const acceptedNames = new Set<unknown>()
const MAX_ACCEPTED_NAMES = 1024

/** The issue of details that are not a plain object (toJsonObject words it). */
function notPlain(details: unknown): JsonIssueSignal {
  const result = toJsonObject(details)
  return new JsonIssueSignal(result.ok ? { path: 'details', message: 'expected a plain object' } : result.issue)
}

/** Checks an action type or actor (a non-empty, well-formed string without control characters) and remembers it. */
function acceptName(field: 'action_type' | 'actor', value: unknown, expected: string): void {
  if (typeof value !== 'string' || value.length === 0) throw invalid(field, `expected a non-empty string, got ${describe(value)}`, value, 'non-empty string')
  // Control characters would break line-oriented tools (grep, jq -r) and spreadsheet filters.
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) throw invalid(field, `must not contain control characters, got ${JSON.stringify(value)}`, value, expected)
  if (!value.isWellFormed()) throw lonelySurrogate(field, value)
  if (acceptedNames.size < MAX_ACCEPTED_NAMES) acceptedNames.add(value)
}

/** `details.a[3]["x.y"]` as `['details', '.a', '[3]', '["x.y"]']`: a quoted key may hold dots and brackets of its own. */
function pathSegments(path: string): string[] {
  const segments: string[] = []
  let start = 0
  for (let i = 0; i < path.length; i++) {
    const c = path[i]
    if (c === '[' && path[i + 1] === '"') {
      // A JSON string: skip to its closing quote, past escaped ones.
      let j = i + 2
      while (j < path.length && path[j] !== '"') j += path[j] === '\\' ? 2 : 1
      if (i > start) segments.push(path.slice(start, i))
      start = i
      i = j + 1
      segments.push(path.slice(start, i + 1))
      start = i + 1
    } else if ((c === '.' || c === '[') && i > start) {
      segments.push(path.slice(start, i))
      start = i
    }
  }
  if (start < path.length) segments.push(path.slice(start))
  return segments
}
