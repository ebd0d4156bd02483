import { createHmac, createSecretKey, type KeyObject } from 'node:crypto'
import { canonicalJson } from './canonical-json.js'
import { AuditrailError } from './errors.js'
import type { JsonObject, JsonValue } from './json-value.js'

/**
 * A key to redact. A string without a dot is a plain name: it matches that key at any depth, inside arrays too.
 * A dotted string ('auth.token') is a path from the root of details; arrays along the path are transparent (each
 * element is followed). An array of segments (['headers', 'x.api-key']) is a path for keys that contain dots;
 * a one-segment array (['token']) matches the top-level key only.
 */
export type RedactKey = string | readonly string[]

/** The long form of `redact`: the keys, how to replace their values, and how to compare key names. */
export interface RedactOptions {
  readonly keys: readonly RedactKey[]
  /**
   * 'marker' (default): the value becomes '[REDACTED]'. `{ hmacKey }`: it becomes 'hmac-sha256:<64 hex>' of the
   * value's canonical JSON (keys sorted recursively, RFC 8785 for JSON's values), so equal secrets stay comparable
   * across events without being readable, as Vault's audit devices do. The string `s3cret` is hashed as `"s3cret"`.
   */
  readonly replaceWith?: 'marker' | { readonly hmacKey: string | Uint8Array }
  /**
   * Default false: key names match exactly, as in Vault. True folds both sides with `toLowerCase()`, for names whose
   * case varies (`Authorization` / `authorization`) at the price of one string fold per key visited.
   */
  readonly ignoreCase?: boolean
}

/** What `redact` accepts: the keys alone (replaced by the marker), or {@link RedactOptions}. */
export type RedactOption = readonly RedactKey[] | RedactOptions

/** What a redacted value becomes unless an HMAC is asked for. */
export const REDACTED_MARKER = '[REDACTED]'

/** One step of the path trie: `terminal` when a configured path ends here. */
interface PathNode {
  terminal: boolean
  readonly children: Map<string, PathNode>
}

const OPTION_FIELDS = new Set(['keys', 'replaceWith', 'ignoreCase'])

function fail(field: string, message: string): never {
  throw new AuditrailError('options', `${field}: ${message}`, { component: 'core', field })
}

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (Array.isArray(value)) return `[${value.map(show).join(', ')}]`
  if (typeof value === 'function') return 'a function'
  if (value === null || typeof value !== 'object') return String(value)
  const name: unknown = value.constructor?.name
  return typeof name === 'string' && name !== 'Object' ? `a ${name}` : 'an object'
}

function isJsonArray(value: JsonValue): value is readonly JsonValue[] {
  return Array.isArray(value)
}

/** Sets `key` as an own enumerable property, as core's toJsonObject does: assigning `__proto__` would set the prototype. */
function put(target: Record<string, JsonValue>, key: string, value: JsonValue): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true })
  else target[key] = value
}

function hmacKeyOf(replaceWith: object): KeyObject {
  for (const name of Object.keys(replaceWith)) if (name !== 'hmacKey') fail(`redact.replaceWith.${name}`, 'unknown option (expected hmacKey)')
  const key: unknown = (replaceWith as { hmacKey?: unknown }).hmacKey
  // The key is a secret: the messages name its type, never its value.
  if (typeof key !== 'string' && !(key instanceof Uint8Array)) fail('redact.replaceWith.hmacKey', `expected a string or Uint8Array, got ${key === null ? 'null' : typeof key}`)
  if (key.length === 0) fail('redact.replaceWith.hmacKey', 'expected a non-empty key')
  // A KeyObject holds its own copy: a caller reusing the buffer later cannot change the digests.
  return createSecretKey(typeof key === 'string' ? Buffer.from(key, 'utf8') : Buffer.from(key))
}

/**
 * Validates `option` (an `options` AuditrailError whose field names the bad entry, e.g. `redact.keys[3]`) and returns a
 * function that returns details with every matched value replaced whole, whatever its type. The input is never
 * mutated; only the objects and arrays on the way to a replaced value are copied (and frozen, like core's copies);
 * when nothing matches, the input itself is returned. An empty key list is allowed and redacts nothing.
 */
export function createRedactor(option: RedactOption): (details: JsonObject) => JsonObject {
  const raw: unknown = option
  let keys: unknown = raw
  let keysField = 'redact'
  let replaceWith: unknown
  let ignoreCase: unknown
  if (!Array.isArray(raw)) {
    if (typeof raw !== 'object' || raw === null) fail('redact', `expected an array of keys or { keys, replaceWith?, ignoreCase? }, got ${show(raw)}`)
    for (const name of Object.keys(raw)) if (!OPTION_FIELDS.has(name)) fail(`redact.${name}`, 'unknown option (expected keys, replaceWith, ignoreCase)')
    ;({ keys, replaceWith, ignoreCase } = raw as Record<string, unknown>)
    keysField = 'redact.keys'
    if (!Array.isArray(keys)) fail(keysField, `expected an array of keys, got ${show(keys)}`)
  }
  if (ignoreCase !== undefined && typeof ignoreCase !== 'boolean') fail('redact.ignoreCase', `expected a boolean, got ${show(ignoreCase)}`)
  const fold = ignoreCase === true ? (key: string) => key.toLowerCase() : (key: string) => key

  const names = new Set<string>()
  const root: PathNode = { terminal: false, children: new Map() }
  ;(keys as readonly unknown[]).forEach((key, index) => {
    const field = `${keysField}[${index}]`
    if (typeof key === 'string' && key !== '' && !key.includes('.')) return void names.add(fold(key))
    const segments: readonly unknown[] = typeof key === 'string' ? key.split('.') : Array.isArray(key) ? key : []
    if (segments.length === 0 || key === '') fail(field, `expected a key name, a dotted path or a non-empty array of segments, got ${show(key)}`)
    let node = root
    segments.forEach((segment, i) => {
      if (typeof segment !== 'string' || segment === '') fail(field, `segment ${i} of ${show(key)} must be a non-empty string, got ${show(segment)}`)
      const name = fold(segment)
      let child = node.children.get(name)
      if (child === undefined) node.children.set(name, (child = { terminal: false, children: new Map() }))
      node = child
    })
    node.terminal = true
  })

  let replace: (value: JsonValue) => JsonValue = () => REDACTED_MARKER
  if (typeof replaceWith === 'object' && replaceWith !== null && !Array.isArray(replaceWith)) {
    const key = hmacKeyOf(replaceWith)
    replace = (value) => `hmac-sha256:${createHmac('sha256', key).update(canonicalJson(value)).digest('hex')}`
  } else if (replaceWith !== undefined && replaceWith !== 'marker') {
    fail('redact.replaceWith', `expected "marker" or { hmacKey }, got ${show(replaceWith)}`)
  }
  if (names.size === 0 && root.children.size === 0) return (details) => details

  // Below, `node` is where the walk stands in the path trie (undefined once off every path): paths start at the root,
  // so one node suffices. A subtree is entered only if a plain name or a path could still match inside it.
  const walkObject = (object: JsonObject, node: PathNode | undefined): JsonObject => {
    let copy: Record<string, JsonValue> | undefined
    // Object.keys, not for-in: own keys only even if Object.prototype is polluted (for-in measured ~30% faster).
    for (const key of Object.keys(object)) {
      const value = object[key]!
      const name = fold(key)
      const child = node?.children.get(name)
      let next: JsonValue
      if (names.has(name) || child?.terminal === true) next = replace(value)
      else if (typeof value === 'object' && value !== null && (names.size > 0 || child !== undefined)) next = walk(value, child)
      else continue
      if (next === value) continue
      if (copy === undefined) {
        copy = {}
        for (const k of Object.keys(object)) put(copy, k, object[k]!)
      }
      put(copy, key, next)
    }
    return copy === undefined ? object : Object.freeze(copy)
  }
  const walk = (value: JsonValue, node: PathNode | undefined): JsonValue => {
    if (value === null || typeof value !== 'object') return value
    if (!isJsonArray(value)) return walkObject(value, node)
    let copy: JsonValue[] | undefined
    for (let i = 0; i < value.length; i++) {
      const item = value[i]!
      const next = walk(item, node)
      if (next !== item) (copy ??= value.slice())[i] = next
    }
    return copy === undefined ? value : Object.freeze(copy)
  }
  return (details) => walkObject(details, root)
}
