import type * as t from 'io-ts'

/** One decode failure as data: where, what was expected, and the value found. */
export interface DecodeIssue {
  /** Dotted path from the root, e.g. `status` or `details.sample_ids[1]`; empty for the root. */
  readonly path: string
  readonly expected: string
  readonly actual: unknown
}

function render(actual: unknown): string {
  if (actual === undefined) return 'undefined'
  // JSON.stringify would print NaN and ±Infinity as null, hiding the very value at fault.
  if (typeof actual === 'number') return String(actual)
  try {
    const text = JSON.stringify(actual)
    return text.length > 80 ? `${text.slice(0, 80)}…` : text
  } catch {
    // Unserializable values (BigInt, cycles) still deserve a readable message.
    return String(actual)
  }
}

/**
 * Turns io-ts validation errors into issues, one per path. A union reports its own name, not its first
 * branch's; an issue whose path is the prefix of a deeper one (a union whose array or object branch failed
 * further down) is dropped, so each issue points at the innermost bad value.
 */
export function toDecodeIssues(errors: t.Errors): DecodeIssue[] {
  const byPath = new Map<string, DecodeIssue>()
  for (const error of errors) {
    const keys: string[] = []
    // Union and intersection members appear as context entries that carry the same value as their parent;
    // only entries that step into a child value (present or missing) belong in the path.
    let parent: unknown = error.context[0]?.actual
    let expected = error.context[0]?.type.name ?? 'unknown'
    for (const entry of error.context.slice(1)) {
      if (typeof parent === 'object' && parent !== null && !Object.is(entry.actual, parent)) {
        keys.push(Array.isArray(parent) ? `[${entry.key}]` : keys.length === 0 ? entry.key : `.${entry.key}`)
        parent = entry.actual
        expected = entry.type.name
      }
    }
    const path = keys.join('')
    if (!byPath.has(path)) byPath.set(path, { path, expected, actual: error.value })
  }
  const paths = [...byPath.keys()]
  const hasDeeper = (path: string): boolean =>
    paths.some((other) => other.length > path.length && other.startsWith(path) && (path === '' || other[path.length] === '.' || other[path.length] === '['))
  return [...byPath.values()].filter((issue) => !hasDeeper(issue.path))
}

/** Formats one issue as `path: expected X, got Y`. */
export function formatDecodeIssue(issue: DecodeIssue): string {
  const at = issue.path === '' ? 'value' : issue.path
  return `${at}: expected ${issue.expected}, got ${render(issue.actual)}`
}
