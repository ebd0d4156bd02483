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
  try {
    const text = JSON.stringify(actual)
    return text.length > 80 ? `${text.slice(0, 80)}…` : text
  } catch {
    // Unserializable values (BigInt, cycles) still deserve a readable message.
    return String(actual)
  }
}

/** Turns io-ts validation errors into issues, one per path (the first union branch's failure is kept). */
export function toDecodeIssues(errors: t.Errors): DecodeIssue[] {
  const byPath = new Map<string, DecodeIssue>()
  for (const error of errors) {
    const keys: string[] = []
    // Union members and recursion wrappers appear as context entries with numeric or empty keys;
    // only keys that index into the actual value belong in the path.
    let parent: unknown = error.context[0]?.actual
    for (const entry of error.context.slice(1)) {
      if (typeof parent === 'object' && parent !== null && Object.prototype.hasOwnProperty.call(parent, entry.key)) {
        keys.push(Array.isArray(parent) ? `[${entry.key}]` : keys.length === 0 ? entry.key : `.${entry.key}`)
        parent = entry.actual
      }
    }
    const path = keys.join('')
    const last = error.context[error.context.length - 1]
    if (!byPath.has(path)) byPath.set(path, { path, expected: last?.type.name ?? 'unknown', actual: error.value })
  }
  return [...byPath.values()]
}

/** Formats one issue as `path: expected X, got Y`. */
export function formatDecodeIssue(issue: DecodeIssue): string {
  const at = issue.path === '' ? 'value' : issue.path
  return `${at}: expected ${issue.expected}, got ${render(issue.actual)}`
}
