import * as t from 'io-ts'

/** A value JSON carries faithfully. */
export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue }

/** A JSON object: the shape of an event's `details`. */
export type JsonObject = { readonly [key: string]: JsonValue }

/** A number JSON can carry: NaN and ±Infinity are not. */
export const FiniteNumber = new t.Type<number, number, unknown>(
  'FiniteNumber',
  (u): u is number => typeof u === 'number' && Number.isFinite(u),
  (u, context) => (typeof u === 'number' && Number.isFinite(u) ? t.success(u) : t.failure(u, context)),
  t.identity,
)

/** Codec for any JSON value. */
export const JsonValueCodec: t.Type<JsonValue> = t.recursion('JsonValue', () =>
  t.union([t.null, t.boolean, FiniteNumber, t.string, t.readonlyArray(JsonValueCodec), t.record(t.string, JsonValueCodec)]),
)

/** Codec for a JSON object (not an array, not null). */
export const JsonObjectCodec: t.Type<JsonObject> = t.record(t.string, JsonValueCodec, 'JsonObject')

/** One reason an input is not a JSON value, located by its path (`details.a[2]`). */
export interface JsonIssue {
  readonly path: string
  readonly message: string
}

/** Thrown inside the walk, caught at its edge (the walk is recursive and stops at the first issue); {@link copyDetails} returns it. */
export class JsonIssueSignal {
  constructor(readonly issue: JsonIssue) {}
}

/**
 * The deepest `details` accepted, the details object itself being level 1. jq 1.6 (the spec's command-line
 * examples) refuses input nested deeper than 256 levels and Python's `json.load` raises RecursionError near 1000;
 * the JSON log adds two levels (the array, the event), and the margin leaves room for tools that wrap events again.
 * One event nested deeper would make the whole log unreadable to them.
 */
export const MAX_DETAILS_DEPTH = 200

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/

/** The path of `key` under `path`, as error messages name fields: `details.a`, or `details["a b"]` for other keys. */
export function childPath(path: string, key: string): string {
  return IDENTIFIER.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`
}

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'object') {
    const name = (value as object).constructor?.name
    return name ? `a ${name}` : 'an object'
  }
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)
  if (typeof value === 'bigint') return `${value}n (a BigInt)`
  if (typeof value === 'symbol') return 'a symbol'
  if (typeof value === 'function') return 'a function'
  return String(value)
}

/**
 * Where the walk is: the containers above the current value (the details object first) and the key or index under
 * each. The path string (`details.a[2]`) is built from it only when there is an issue: building it for every key
 * (a regular expression test and a concatenation per key) took 40% of the walk's time.
 */
interface Walk {
  root: string
  readonly ancestors: object[]
  readonly keys: (string | number)[]
}

function pathOf(walk: Walk): string {
  let path = walk.root
  for (const key of walk.keys) path = typeof key === 'number' ? `${path}[${key}]` : childPath(path, key)
  return path
}

function fail(walk: Walk, message: string): never {
  throw new JsonIssueSignal({ path: pathOf(walk), message })
}

function copyValue(value: unknown, walk: Walk): JsonValue {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value
    case 'number':
      if (!Number.isFinite(value)) fail(walk, `${value} is not representable in JSON`)
      // JSON writes -0 as 0: so does the copy, so that the returned event is exactly what the file holds.
      return value === 0 ? 0 : value
    case 'object':
      break
    case 'undefined':
      return fail(walk, 'undefined is not representable in JSON (omit the key instead)')
    default:
      return fail(walk, `expected a JSON value, got ${describe(value)}`)
  }
  if (value === null) return null
  // One prototype read sorts every container: plain objects and arrays are the common case, checked first.
  const proto: unknown = Object.getPrototypeOf(value)
  const isArray = Array.isArray(value)
  if (!isArray && proto !== Object.prototype && proto !== null) {
    if (value instanceof Date) {
      if (Number.isNaN(value.getTime())) fail(walk, 'an invalid Date is not representable in JSON')
      return value.toISOString()
    }
    fail(walk, `expected a plain object, array or JSON primitive, got ${describe(value)}`)
  }
  const { ancestors } = walk
  if (ancestors.includes(value)) fail(walk, 'circular reference')
  // `ancestors` holds exactly the containers above this one, the details object first.
  if (ancestors.length >= MAX_DETAILS_DEPTH) fail(walk, `nested deeper than ${MAX_DETAILS_DEPTH} levels, more than jq and Python's json can read`)
  ancestors.push(value)
  const copy = isArray ? copyArray(value as unknown[], proto, walk) : copyObject(value as Record<string, unknown>, walk)
  ancestors.pop()
  return copy
}

function copyArray(value: unknown[], proto: unknown, walk: Walk): readonly JsonValue[] {
  const { keys } = walk
  // A packed copy of the exact length (slice), filled in place: new Array(n) would be holey, which JSON.stringify
  // serializes on a slower path, and push() grows the store to 17 slots at the first element.
  // (An Array subclass would slice into its own class: its copy starts empty, so it becomes a plain array.)
  const items: JsonValue[] = proto === Array.prototype ? (value.slice() as JsonValue[]) : new Array<JsonValue>(value.length).fill(null)
  for (let i = 0; i < items.length; i++) {
    const item = value[i]
    // Primitives other than numbers need no walk (and no path); holes read as undefined, like the value itself.
    if (typeof item === 'string' || typeof item === 'boolean') {
      items[i] = item
      continue
    }
    keys.push(i)
    if (item === undefined && !(i in value)) fail(walk, 'sparse array holes are not representable in JSON')
    items[i] = copyValue(item, walk)
    keys.pop()
  }
  return Object.freeze(items)
}

function copyObject(source: Record<string, unknown>, walk: Walk): JsonObject {
  if (Object.getOwnPropertySymbols(source).length > 0) fail(walk, 'symbol keys are not representable in JSON')
  // Key by key into a new object. (A spread of `source` is cheaper at first, but its result can share the caller's
  // hidden class: replacing its containers then changed that class under the caller's optimized code, and cost more.)
  const out: Record<string, JsonValue> = {}
  const { keys } = walk
  // for-in lists what Object.keys lists, in the same order, without an array per object, plus any enumerable property
  // added to Object.prototype: only then is each key checked to be the object's own (a check per key costs 5 ns).
  const inherits = prototypeIsPolluted()
  for (const key in source) {
    if (inherits && !Object.hasOwn(source, key)) continue
    const item = source[key]
    let copied: JsonValue
    if (typeof item === 'string' || typeof item === 'boolean') {
      copied = item
    } else {
      // JSON.stringify omits undefined-valued keys; we do the same, on purpose and documented,
      // because optional fields left undefined are how TypeScript callers spell "absent".
      if (item === undefined) continue
      keys.push(key)
      copied = copyValue(item, walk)
      keys.pop()
    }
    // A plain assignment to "__proto__" would set the prototype instead of a key.
    if (key === '__proto__') Object.defineProperty(out, key, { value: copied, enumerable: true, writable: true, configurable: true })
    else out[key] = copied
  }
  return Object.freeze(out)
}

const BARE = {}

/** True when Object.prototype has an enumerable property, which for-in would list for every plain object. */
function prototypeIsPolluted(): boolean {
  // V8 answers an empty object's for-in from a cache validated by the prototype chain: a few nanoseconds.
  for (const _ in BARE) return true
  return false
}

/**
 * The frozen deep copy of `value` (a plain object) or the first issue, as {@link toJsonObject}, without allocating a
 * result per call: what `logEvent` calls.
 */
export function copyDetails(value: object, path: string): JsonObject | JsonIssueSignal {
  // One walk state for every call (three fewer allocations per event); a re-entrant call (a getter that logs) gets its own.
  const walk = idleWalk ?? { root: path, ancestors: [], keys: [] }
  idleWalk = undefined
  walk.root = path
  walk.ancestors.push(value)
  try {
    const copy = copyObject(value as Record<string, unknown>, walk)
    // Balanced pushes and pops leave only the root.
    walk.ancestors.pop()
    idleWalk = walk
    return copy
  } catch (error) {
    walk.ancestors.length = 0
    walk.keys.length = 0
    idleWalk = walk
    if (error instanceof JsonIssueSignal) return error
    if (error instanceof RangeError) return new JsonIssueSignal({ path, message: 'nested too deeply to serialize' })
    throw error
  }
}

/** The walk state {@link copyDetails} reuses, while no call is using it. */
let idleWalk: Walk | undefined = { root: '', ancestors: [], keys: [] }

function isPlainObject(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

/** True when `value` is an object {@link copyDetails} accepts as details: plain, not an array. */
export function isPlainDetails(value: unknown): value is object {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && isPlainObject(value)
}

/** The details of an event logged without any: one frozen empty object serves them all. */
export const EMPTY_DETAILS: JsonObject = Object.freeze({})

/**
 * Validates that `value` is a plain object JSON carries faithfully, and returns a frozen deep copy.
 * `undefined`/`null` become `{}`; `Date` becomes its ISO string; -0 becomes 0; keys whose value is `undefined` are omitted.
 * Anything else JSON would drop or change silently (NaN, BigInt, functions, Maps, circular references…) is an issue,
 * and so is nesting deeper than {@link MAX_DETAILS_DEPTH}.
 */
export function toJsonObject(value: unknown, path = 'details'): { ok: true; value: JsonObject } | { ok: false; issue: JsonIssue } {
  if (value === undefined || value === null) return { ok: true, value: EMPTY_DETAILS }
  if (!isPlainDetails(value)) return { ok: false, issue: { path, message: `expected a plain object, got ${describe(value)}` } }
  const copied = copyDetails(value, path)
  return copied instanceof JsonIssueSignal ? { ok: false, issue: copied.issue } : { ok: true, value: copied }
}
