import { actionDetailsCodecs, isKnownActionType, type AuditStatus } from './codecs.js'
import { AuditrailError } from './errors.js'
import { toJsonObject, type JsonObject } from './json-value.js'
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
  return new AuditrailError('invalid', `${field}: ${message}`, { component: 'core', field, issues: [issue] })
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
 * {@link AuditrailError} that names the field. With `strict`, a known action's details must match its codec exactly.
 */
export function validateEventInput(
  actionType: unknown,
  status: unknown,
  details: unknown,
  error: unknown,
  strict: boolean,
  actor?: unknown,
): EventInput {
  if (typeof actionType !== 'string' || actionType.length === 0) {
    throw invalid('action_type', `expected a non-empty string, got ${describe(actionType)}`, actionType, 'non-empty string')
  }
  // Control characters would break line-oriented tools (grep, jq -r) and spreadsheet filters.
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(actionType)) {
    throw invalid('action_type', `must not contain control characters, got ${JSON.stringify(actionType)}`, actionType, 'ActionType')
  }
  if (status !== 'success' && status !== 'failed') {
    throw invalid('status', `expected "success" | "failed", got ${describe(status)}`, status, '"success" | "failed"')
  }
  if (error !== undefined && error !== null && typeof error !== 'string') {
    throw invalid('error', `expected a string or null, got ${describe(error)}`, error, 'string | null')
  }
  if (actor !== undefined) {
    if (typeof actor !== 'string' || actor.length === 0) throw invalid('actor', `expected a non-empty string, got ${describe(actor)}`, actor, 'non-empty string')
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f]/.test(actor)) {
      throw invalid('actor', `must not contain control characters, got ${JSON.stringify(actor)}`, actor, 'Actor')
    }
  }
  // A lone surrogate cannot be encoded as UTF-8: the file would silently hold U+FFFD instead.
  if (!actionType.isWellFormed()) throw lonelySurrogate('action_type', actionType)
  if (typeof error === 'string' && !error.isWellFormed()) throw lonelySurrogate('error', error)
  if (typeof actor === 'string' && !actor.isWellFormed()) throw lonelySurrogate('actor', actor)
  const copied = toJsonObject(details)
  if (!copied.ok) throw invalid(copied.issue.path, copied.issue.message, details, 'JSON object')
  if (strict) {
    const issues = strictIssues(actionType, copied.value)
    if (issues.length > 0) {
      const first = issues[0] as DecodeIssue
      throw new AuditrailError('invalid', `strict: ${issues.map(formatDecodeIssue).join('; ')}`, { component: 'core', field: first.path, issues })
    }
  }
  const input: EventInput = { action_type: actionType, status, details: copied.value, error: typeof error === 'string' ? error : null }
  return actor === undefined ? input : { ...input, actor: actor as string }
}
