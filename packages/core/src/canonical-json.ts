import type { JsonValue } from './json-value.js'

/** Keys every object orders by value, not insertion (array indices): a sorted copy cannot put them in UTF-16 order. */
const ARRAY_INDEX = /^(?:0|[1-9]\d{0,9})$/

/** Thrown out of {@link sortedCopy} when only the slow path can keep the canonical order. */
const UNSORTABLE = Symbol('unsortable')

/**
 * The canonical JSON text of a value (RFC 8785, JCS): object keys sorted by UTF-16 code units at every depth, no
 * whitespace, strings and numbers as `JSON.stringify` writes them (which is what RFC 8785 specifies for the values
 * JSON carries). Equal values give equal text whatever their key order, so the text can be hashed.
 */
export function canonicalJson(value: JsonValue): string {
  try {
    // Fast path: a copy with keys inserted in sorted order, serialized natively (1.7 vs 2.3 µs for a typical event).
    return JSON.stringify(sortedCopy(value))
  } catch (error) {
    if (error !== UNSORTABLE) throw error
    return spelledOut(value)
  }
}

/**
 * `value` with every object's keys inserted in sorted order (the value itself where they already are). Throws
 * {@link UNSORTABLE} for a key JavaScript would enumerate out of insertion order (an array index) or could not insert
 * as an own key by assignment (`__proto__`).
 */
function sortedCopy(value: JsonValue): JsonValue {
  if (value === null || typeof value !== 'object') return value
  if (Array.isArray(value)) {
    const items = value as readonly JsonValue[]
    let copy: JsonValue[] | undefined
    for (let i = 0; i < items.length; i++) {
      const item = items[i] as JsonValue
      const sorted = sortedCopy(item)
      if (sorted !== item) (copy ??= items.slice())[i] = sorted
    }
    return copy ?? items
  }
  const object = value as { readonly [key: string]: JsonValue }
  const keys = Object.keys(object)
  let ordered = true
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string
    if (key === '__proto__' || ARRAY_INDEX.test(key)) throw UNSORTABLE
    if (i > 0 && (keys[i - 1] as string) > key) ordered = false
  }
  if (!ordered) keys.sort()
  const out: { [key: string]: JsonValue } = {}
  let changed = !ordered
  for (const key of keys) {
    const inner = object[key] as JsonValue
    const sorted = sortedCopy(inner)
    if (sorted !== inner) changed = true
    out[key] = sorted
  }
  return changed ? out : object
}

/** The canonical text built key by key: for what {@link sortedCopy} cannot order. */
function spelledOut(value: JsonValue): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value)
  if (Array.isArray(value)) return `[${(value as readonly JsonValue[]).map(spelledOut).join(',')}]`
  const object = value as { readonly [key: string]: JsonValue }
  const keys = Object.keys(object).sort()
  return `{${keys.map((key) => `${JSON.stringify(key)}:${spelledOut(object[key] as JsonValue)}`).join(',')}}`
}
