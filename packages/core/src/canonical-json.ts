import type { JsonValue } from './json-value.js'

/**
 * The canonical JSON text of a value (RFC 8785, JCS): object keys sorted by UTF-16 code units at every depth, no
 * whitespace, strings and numbers as `JSON.stringify` writes them (which is what RFC 8785 specifies for the values
 * JSON carries). Equal values give equal text whatever their key order, so the text can be hashed.
 */
export function canonicalJson(value: JsonValue): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value)
  if (Array.isArray(value)) return `[${(value as readonly JsonValue[]).map(canonicalJson).join(',')}]`
  const object = value as { readonly [key: string]: JsonValue }
  const keys = Object.keys(object).sort()
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(object[key] as JsonValue)}`).join(',')}}`
}
