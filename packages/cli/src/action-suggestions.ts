/** Levenshtein distance between `a` and `b` (one row at a time: action types are short). */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    previous = current
  }
  return previous[b.length] as number
}

/**
 * The action types of `known` nearest to `wanted`, closest first (at most `limit`): within a third of its length in
 * edits (at least 2), so a typo finds its action and an unrelated name finds none.
 */
export function nearestActions(wanted: string, known: Iterable<string>, limit = 3): string[] {
  const bound = Math.max(2, Math.floor(wanted.length / 3))
  return [...known]
    .map((action) => ({ action, distance: editDistance(wanted.toLowerCase(), action.toLowerCase()) }))
    .filter(({ distance }) => distance <= bound)
    .sort((a, b) => a.distance - b.distance || a.action.localeCompare(b.action))
    .slice(0, limit)
    .map(({ action }) => action)
}

/**
 * The note for `query --action` names no event in the log has: one line per such name, with the nearest action types
 * the log does have, so `hp_chnage` is seen as a typo rather than as an empty result.
 */
export function unknownActionsNote(wanted: readonly string[], seen: ReadonlySet<string>): string {
  const lines: string[] = []
  for (const action of wanted) {
    if (seen.has(action)) continue
    const nearest = nearestActions(action, seen)
    const hint = nearest.length > 0 ? `; nearest: ${nearest.join(', ')}` : seen.size === 0 ? '; the log has no events' : ''
    lines.push(`no event in the log has the action type ${JSON.stringify(action)}${hint}\n`)
  }
  return lines.join('')
}
