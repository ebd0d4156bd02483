// Issue #6: fuzzing `logEvent` with arbitrary input. Every call either throws an `invalid` AuditrailError that names
// the field (and writes nothing: the file is unchanged byte for byte), or returns an event that is exactly what the
// caller passed after JSON's own normalisation, and that our reader, Python's json module and Python's csv module
// all read back exactly, and in which `verifyLog` finds nothing wrong. Both file formats, without and with the hash
// chain; a batch of calls per file, then a second logger continuing the file.
//
// Runs: AUDITRAIL_TORTURE_RUNS (default 12) batches per variant; seed AUDITRAIL_TORTURE_SEED (default 20260606).
//   AUDITRAIL_TORTURE_RUNS=200 npx vitest run test/fuzz-roundtrip.test.ts
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { inCanonicalOrder, type JsonObject } from '@auditrail/core'
import { AuditLogger, AuditrailError, KNOWN_ACTION_TYPES, verifyLog, type AuditEvent, type AuditStatus } from 'auditrail'
import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { tortureRuns, tortureSeed } from './support/crash-writers.js'
import { tempDir } from './support/temp-dir.js'

const RUNS = tortureRuns(12)
const SEED = tortureSeed(20260606)
const CALLS_PER_LOGGER = 20
const CALLS_AFTER_RESTART = 6
const READ_LOG = fileURLToPath(new URL('./fixtures/read-log.py', import.meta.url))

/** The deepest details core accepts (the details object itself is level 1); see `MAX_DETAILS_DEPTH` in core. */
const MAX_DEPTH = 200

// ---------------------------------------------------------------------------------------------------------------
// Strings, keys and numbers that stress JSON, CSV, UTF-8 and JavaScript objects.

const CONTROLS = [...Array.from({ length: 0x20 }, (_, i) => String.fromCharCode(i)), '\u007f']
const SPECIAL_CHARS = [
  ...CONTROLS,
  '\u2028', // LINE SEPARATOR: a line break to some readers, not to JSON
  '\u2029', // PARAGRAPH SEPARATOR
  '\ufeff', // BOM
  '\u0085', // NEXT LINE
  '\u00a0',
  '\ud800', // lone high surrogate
  '\udfff', // lone low surrogate
  '\ud83d', // the halves of 😀, apart
  '\ude00',
  '😀',
  'é',
  '失',
  '"',
  "'",
  '\\',
  ',',
  ';',
  '=',
  '+',
  '-',
  '@',
  ' ',
  '{',
  '}',
  '[',
  ']',
  ':',
]
const specialChar = fc.constantFrom(...SPECIAL_CHARS)

/** Strings a spreadsheet would take for a formula, and cells already starting with apostrophes. */
const formulaString = fc
  .tuple(fc.constantFrom('=', '+', '-', '@', '\t', '\r', "'=", "''+", "'-", "'@", "'", "''", "'a"), fc.string({ maxLength: 8 }))
  .map(([prefix, rest]) => prefix + rest)

/**
 * 100 to 200 thousand characters, mostly past Python csv's default field size limit (131072 characters), all the
 * more once JSON-escaped in a details cell: read-log.py must raise that limit.
 */
const longString = fc
  .tuple(fc.integer({ min: 100_000, max: 200_000 }), fc.string({ unit: specialChar, minLength: 1, maxLength: 6 }))
  .map(([length, salt]) => `${salt}x"y,z\n\\é😀`.repeat(Math.ceil(length / (salt.length + 10))).slice(0, length))

const shortString = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
  { weight: 4, arbitrary: fc.string({ unit: fc.oneof(specialChar, fc.string({ minLength: 1, maxLength: 1 })), maxLength: 12 }) },
  { weight: 2, arbitrary: formulaString },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', 'null', 'true', '1e21', '""', '\r\n', '\n', '\r', '{}', '[]', '\u0000') },
)

const anyString = fc.oneof({ weight: 60, arbitrary: shortString }, { weight: 1, arbitrary: longString })

const specialKey = fc.oneof(
  { weight: 60, arbitrary: shortString },
  { weight: 1, arbitrary: longString },
  {
    weight: 40,
    arbitrary: fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', '', 'a.b', '.', 'a"b', "a'b", '0', '1', '-1', '01', '4294967295', 'length', 'details', 'error', '\u0000', '\ud800'),
  },
)

const specialNumber = fc.oneof(
  fc.constantFrom(-0, 0, 1e21, -1e21, 1e20, 5e-324, -5e-324, Number.MAX_SAFE_INTEGER + 2, -(Number.MAX_SAFE_INTEGER + 2), Number.MAX_VALUE, -Number.MAX_VALUE, 0.1, 1 / 3, 123456789.123456789, 2 ** 53, 1e-7),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
)

// ---------------------------------------------------------------------------------------------------------------
// Values. A clean value is one JSON carries (after its normalisation: undefined keys dropped, Dates to ISO strings,
// -0 to 0); junk is injected afterwards, at one place, and must be rejected.

/** Defines every key as an own property, so `__proto__` is a key, not the prototype. */
function buildObject(entries: readonly (readonly [string, unknown])[], nullPrototype: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = nullPrototype ? (Object.create(null) as Record<string, unknown>) : {}
  for (const [key, value] of entries) Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true })
  return out
}

const leaf: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 2, arbitrary: fc.constant(null) },
  { weight: 2, arbitrary: fc.boolean() },
  { weight: 5, arbitrary: specialNumber },
  { weight: 8, arbitrary: anyString },
  { weight: 1, arbitrary: fc.date({ noInvalidDate: true }) },
)

const objectOf = (value: fc.Arbitrary<unknown>): fc.Arbitrary<Record<string, unknown>> =>
  fc
    .tuple(
      fc.array(fc.tuple(specialKey, fc.oneof({ weight: 12, arbitrary: value }, { weight: 1, arbitrary: fc.constant(undefined) })), { maxLength: 5, depthIdentifier: 'json' }),
      fc.nat(3),
    )
    // One object in four has a null prototype, as `Object.create(null)` dictionaries do.
    .map(([entries, kind]) => buildObject(entries, kind === 0))

const cleanValue: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown; array: unknown[]; object: Record<string, unknown> }>((tie) => ({
  value: fc.oneof({ maxDepth: 4, depthIdentifier: 'json' }, leaf, tie('array'), tie('object')),
  array: fc.array(tie('value'), { maxLength: 4, depthIdentifier: 'json' }),
  object: objectOf(tie('value')),
})).value

/** A chain of `depth` containers (objects and arrays, by `shape`'s bits) around `inner`. */
function nest(depth: number, shape: number, key: string, inner: unknown): unknown {
  let value = inner
  for (let i = 0; i < depth; i++) value = (shape >> i % 31) & 1 ? [value] : buildObject([[key, value]], false)
  return value
}

/** 50 to 199 levels: under a key of the details object (level 1), up to exactly the limit. */
const deepValue = fc
  .tuple(fc.integer({ min: 50, max: MAX_DEPTH - 1 }), fc.nat(), specialKey, leaf)
  .map(([depth, shape, key, inner]) => nest(depth, shape, key, inner))

const cleanDetails: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 12, arbitrary: objectOf(cleanValue) },
  { weight: 2, arbitrary: fc.tuple(objectOf(cleanValue), specialKey, deepValue).map(([object, key, deep]) => buildObject([...Object.entries(object), [key, deep]], false)) },
  { weight: 1, arbitrary: fc.constantFrom(undefined, null) },
)

class Point {
  constructor(readonly x: number) {}
}

/** Values JSON cannot carry faithfully: each must make `logEvent` throw `invalid`. */
const JUNK_KINDS = [
  'NaN',
  'Infinity',
  '-Infinity',
  'bigint',
  'function',
  'symbol',
  'Map',
  'Set',
  'class instance',
  'invalid Date',
  'boxed string',
  'typed array',
  'undefined in array',
  'sparse array',
  'circular',
  'symbol key',
  'too deep',
] as const
type JunkKind = (typeof JUNK_KINDS)[number]

function junkValue(kind: Exclude<JunkKind, 'circular' | 'symbol key'>): unknown {
  switch (kind) {
    case 'NaN':
      return Number.NaN
    case 'Infinity':
      return Number.POSITIVE_INFINITY
    case '-Infinity':
      return Number.NEGATIVE_INFINITY
    case 'bigint':
      return 10n
    case 'function':
      return () => 1
    case 'symbol':
      return Symbol('s')
    case 'Map':
      return new Map([['a', 1]])
    case 'Set':
      return new Set([1])
    case 'class instance':
      return new Point(1)
    case 'invalid Date':
      return new Date(Number.NaN)
    case 'boxed string':
      return Object('boxed') as unknown
    case 'typed array':
      return new Uint8Array([1, 2])
    case 'undefined in array':
      return [1, undefined, 3]
    case 'sparse array': {
      const sparse: unknown[] = [1]
      sparse[2] = 3
      return sparse
    }
    case 'too deep':
      // One level past the limit where it lands shallowest (under the details object): rejected, never written.
      return nest(MAX_DEPTH, 0x5555, 'd', 1)
  }
}

/** A fresh copy of a clean tree: fast-check hands the same generated value to shrinking, so it must not be mutated. */
function cloneTree(value: unknown): unknown {
  if (value instanceof Date) return new Date(value.getTime())
  if (Array.isArray(value)) return value.map(cloneTree)
  if (typeof value === 'object' && value !== null) {
    return buildObject(
      Object.keys(value).map((key) => [key, cloneTree((value as Record<string, unknown>)[key])]),
      Object.getPrototypeOf(value) === null,
    )
  }
  return value
}

/** Every array and object in a tree, each with its ancestors (itself last). */
function containersOf(value: unknown, ancestors: object[] = [], out: object[][] = []): object[][] {
  if (typeof value !== 'object' || value === null || value instanceof Date) return out
  const chain = [...ancestors, value]
  out.push(chain)
  for (const key of Object.keys(value)) containersOf((value as Record<string, unknown>)[key], chain, out)
  return out
}

/** Puts one junk value somewhere in a clean details object (at the root when `details` is not an object). */
function injectJunk(details: unknown, kind: JunkKind, where: number, key: string): Record<string, unknown> {
  const root = (typeof details === 'object' && details !== null ? cloneTree(details) : {}) as Record<string, unknown>
  const containers = containersOf(root)
  const chain = containers[where % containers.length] as object[]
  const target = chain[chain.length - 1] as Record<string, unknown> | unknown[]
  if (kind === 'symbol key') {
    const object = Array.isArray(target) ? root : target
    ;(object as Record<symbol, unknown>)[Symbol('k')] = 1
    return root
  }
  // A cycle: the target, or one of its ancestors, inside the target. (A shared reference elsewhere is no cycle.)
  const junk = kind === 'circular' ? chain[(where >> 8) % chain.length] : junkValue(kind)
  if (Array.isArray(target)) target.push(junk)
  else Object.defineProperty(target, key, { value: junk, enumerable: true, writable: true, configurable: true })
  return root
}

interface DetailsInput {
  /** A thunk, so that each logger (format) gets its own fresh value. */
  readonly make: () => unknown
  /** What was generated, for the counterexample report. */
  readonly label: string
  /** True when JSON cannot carry the value faithfully: `logEvent` must reject it. */
  readonly junk: boolean
}

const detailsInput: fc.Arbitrary<DetailsInput> = fc.oneof(
  { weight: 8, arbitrary: cleanDetails.map((d): DetailsInput => ({ make: () => cloneTree(d), label: 'clean', junk: false })) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(cleanDetails, fc.constantFrom(...JUNK_KINDS), fc.nat(), specialKey)
      .map(([d, kind, where, key]): DetailsInput => ({ make: () => injectJunk(d, kind, where, key), label: `junk: ${kind}`, junk: true })),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom<[string, () => unknown]>(['array', () => [1, 2]], ['string', () => 'text'], ['number', () => 5], ['true', () => true], ['Map', () => new Map()], ['class instance', () => new Point(2)], ['Date', () => new Date(0)])
      .map(([name, make]): DetailsInput => ({ make, label: `junk details: ${name}`, junk: true })),
  },
)

// ---------------------------------------------------------------------------------------------------------------
// Calls.

interface Call {
  readonly action: unknown
  readonly status: unknown
  readonly details: DetailsInput
  readonly error: unknown
  /** `undefined`: no options argument at all. */
  readonly actor: unknown
}

const actionArb = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...KNOWN_ACTION_TYPES) },
  { weight: 4, arbitrary: shortString },
  { weight: 2, arbitrary: formulaString },
  { weight: 1, arbitrary: fc.constantFrom('', '__proto__', 'constructor', 'toString', '\ud800', 'a\nb') },
  { weight: 1, arbitrary: longString },
  { weight: 1, arbitrary: fc.constantFrom(undefined, null, 5) },
)

const statusArb = fc.oneof({ weight: 20, arbitrary: fc.constantFrom('success', 'failed') }, { weight: 1, arbitrary: fc.constantFrom('ok', '', 'Success', undefined) })

const errorArb = fc.oneof(
  { weight: 4, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.constant(undefined) },
  { weight: 6, arbitrary: anyString },
  { weight: 2, arbitrary: formulaString },
  { weight: 1, arbitrary: fc.constantFrom('', "'", '\u0000', '\r', 5, false) },
)

const actorArb = fc.oneof(
  { weight: 6, arbitrary: fc.constant(undefined) },
  { weight: 4, arbitrary: shortString },
  { weight: 2, arbitrary: formulaString },
  { weight: 1, arbitrary: fc.constantFrom('', 'alice@example.com', "'=bob", '__proto__', 7) },
  { weight: 1, arbitrary: longString },
)

// Counterexamples print as `logEvent(…)` calls with long strings cut short, not as 100 KB of JSON.
const callArb: fc.Arbitrary<Call> = fc
  .record({ action: actionArb, status: statusArb, details: detailsInput, error: errorArb, actor: actorArb })
  .map((call) => Object.assign(call, { [fc.toStringMethod]: () => describeCall(call) }))

/** What a well-formed text field is: a string, non-empty and without control characters when `name`d so. */
function textIssue(value: unknown, nonEmptyNoControls: boolean): boolean {
  if (typeof value !== 'string') return true
  // eslint-disable-next-line no-control-regex
  if (nonEmptyNoControls && (value.length === 0 || /[\u0000-\u001f\u007f]/.test(value))) return true
  return !value.isWellFormed()
}

/** The fields a call gets wrong, by the documented rules; empty when it must be accepted. */
function badFields(call: Call): string[] {
  const bad: string[] = []
  if (textIssue(call.action, true)) bad.push('action_type')
  if (call.status !== 'success' && call.status !== 'failed') bad.push('status')
  if (call.error !== undefined && call.error !== null && textIssue(call.error, false)) bad.push('error')
  if (call.actor !== undefined && textIssue(call.actor, true)) bad.push('actor')
  if (call.details.junk) bad.push('details')
  return bad
}

// ---------------------------------------------------------------------------------------------------------------
// Comparison.

/**
 * Where `actual` and `expected` differ as JSON data, or `undefined` when they are the same. Stricter than both
 * vitest's `toEqual` (which ignores undefined-valued keys and treats an own `__proto__` key loosely) and comparing
 * `JSON.stringify` output (which writes -0 as 0): primitives by `Object.is`, so -0 is not 0; object keys as own
 * enumerable keys in order, so an own `__proto__` key must be an own key on both sides; arrays without holes;
 * prototypes only `Object.prototype` or null, no symbol keys. Key order counts because JSON text has one and
 * both readers (ours and Python's dicts) keep it.
 */
function difference(actual: unknown, expected: unknown, path = '$'): string | undefined {
  if (typeof expected !== 'object' || expected === null || typeof actual !== 'object' || actual === null) {
    return Object.is(actual, expected) ? undefined : `${path}: ${show(actual)} !== ${show(expected)}`
  }
  if (Array.isArray(expected) !== Array.isArray(actual)) return `${path}: array vs object`
  const proto: unknown = Object.getPrototypeOf(actual)
  if (!Array.isArray(actual) && proto !== Object.prototype && proto !== null) return `${path}: prototype is not Object.prototype`
  if (Object.getOwnPropertySymbols(actual).length > 0) return `${path}: has symbol keys`
  const keysA = Object.keys(actual)
  const keysE = Object.keys(expected)
  if (keysA.length !== keysE.length || keysA.some((k, i) => k !== keysE[i])) {
    return `${path}: keys ${show(keysA.slice(0, 8))} !== ${show(keysE.slice(0, 8))}`
  }
  if (Array.isArray(actual) && keysA.length !== actual.length) return `${path}: sparse array`
  for (const key of keysE) {
    const d = difference((actual as Record<string, unknown>)[key], (expected as Record<string, unknown>)[key], `${path}[${show(key)}]`)
    if (d !== undefined) return d
  }
  return undefined
}

function show(value: unknown): string {
  if (Object.is(value, -0)) return '-0'
  const text = JSON.stringify(value) ?? String(value)
  return text.length > 80 ? `${text.slice(0, 80)}… (${text.length} chars)` : text
}

/** `JSON.parse(JSON.stringify(details))`, with the logger's documented `undefined`/`null` → `{}`. */
function normalised(details: unknown): unknown {
  return details === undefined || details === null ? {} : (JSON.parse(JSON.stringify(details)) as unknown)
}

/** The details a logged event holds: a chained event's with keys in canonical order (the text its hash covers). */
function storedDetails(details: unknown, chained: boolean): unknown {
  const value = normalised(details)
  return chained ? inCanonicalOrder(value as JsonObject) : value
}

function describeCall(call: Call, index?: number): string {
  const text = (v: unknown): string => (typeof v === 'string' ? show(v) : typeof v === 'bigint' ? `${v}n` : String(v))
  return `${index === undefined ? '' : `call ${index}: `}logEvent(${text(call.action)}, ${text(call.status)}, <${call.details.label}>, ${text(call.error)}, actor ${text(call.actor)})`
}

// ---------------------------------------------------------------------------------------------------------------
// The property.

/** A way of writing the log: its format, and with or without the hash chain (`seq` and `hash` on every event). */
interface Variant {
  readonly format: 'json' | 'csv'
  readonly chained: boolean
}

function openLogger(dir: string, variant: Variant): AuditLogger {
  return new AuditLogger(dir, 'fuzz', { format: variant.format, ...(variant.chained ? { integrity: 'sha256-chain' as const } : {}) })
}

function fileBytes(file: string): Buffer | undefined {
  return existsSync(file) ? readFileSync(file) : undefined
}

/** An accepted call's event, and the call, to name it when a reader disagrees. */
interface Logged {
  readonly event: AuditEvent
  readonly call: string
}

/** Logs each call, checking the rejection or the returned event; appends the accepted events to `logged`. */
function logAll(logger: AuditLogger, variant: Variant, calls: readonly Call[], logged: Logged[]): void {
  const file = logger.logPath as string
  const offset = logged.length
  calls.forEach((call, i) => {
    const where = describeCall(call, offset + i)
    const bad = badFields(call)
    const details = call.details.make()
    const before = fileBytes(file)
    let event: AuditEvent
    try {
      event = logger.logEvent(call.action as string, call.status as AuditStatus, details as never, call.error as never, call.actor === undefined ? undefined : { actor: call.actor as string })
    } catch (error) {
      if (!(error instanceof AuditrailError) || error.code !== 'invalid') throw new Error(`${where}: threw ${String(error)}`, { cause: error })
      const field = error.field
      if (bad.length === 0) throw new Error(`${where}: rejected a valid input: ${error.message}`)
      // A path of many levels is shown shortened in the middle (`details.a.a.…(190 more levels)….a`); `field` has it whole.
      const named = typeof field === 'string' && (error.message.includes(field) || (/\.…\(\d+ more levels\)…/.test(error.message) && error.message.includes(field.slice(0, 8))))
      if (typeof field !== 'string' || field.length === 0 || !named) throw new Error(`${where}: the error names no field: ${error.message}`)
      if (!bad.some((name) => field === name || field.startsWith(`${name}.`) || field.startsWith(`${name}[`))) {
        throw new Error(`${where}: the error names ${field}, expected one of ${bad.join(', ')}: ${error.message}`)
      }
      const after = fileBytes(file)
      if (!(before === undefined ? after === undefined : after !== undefined && before.equals(after))) throw new Error(`${where}: rejected, yet the file changed`)
      return
    }
    if (bad.length > 0) throw new Error(`${where}: accepted, though ${bad.join(', ')} should be rejected`)
    if (variant.chained && (event.seq !== logged.length + 1 || !/^[0-9a-f]{64}$/.test(event.hash ?? ''))) {
      throw new Error(`${where}: expected seq ${logged.length + 1} and a SHA-256 hash, got seq ${event.seq}, hash ${show(event.hash)}`)
    }
    // Exactly the input (after JSON's normalisation), in the documented key order, and nothing else.
    const expected: Record<string, unknown> = {
      timestamp: event.timestamp,
      action_type: call.action,
      status: call.status,
      details: storedDetails(details, variant.chained),
      error: call.error ?? null,
      ...(call.actor === undefined ? {} : { actor: call.actor }),
      ...(variant.chained ? { seq: event.seq, hash: event.hash } : {}),
    }
    const d = difference(event, expected)
    if (d !== undefined) throw new Error(`${where}: the returned event is not the input: ${d}`)
    if (difference(storedDetails(details, variant.chained), expected['details']) !== undefined) throw new Error(`${where}: logEvent changed its input`)
    logged.push({ event, call: where })
  })
}

interface PythonRead {
  readonly events: Record<string, unknown>[]
  readonly header: string[] | null
  readonly row_lengths: number[] | null
}

function pythonRead(format: Variant['format'], file: string): PythonRead {
  const output = execFileSync('python3', [READ_LOG, format, file], { encoding: 'utf8', maxBuffer: 1024 * 1024 * 1024 })
  return JSON.parse(output) as PythonRead
}

/**
 * Checks the whole file against the returned events: our reader, Python's reader, Node's JSON.parse (JSON), that
 * every row has the header's columns (CSV), and that `verifyLog` finds nothing wrong (and the whole chain, if any).
 */
function verifyFile(logger: AuditLogger, variant: Variant, logged: readonly Logged[]): void {
  const file = logger.logPath as string
  const expected = logged.map((l) => l.event)
  /** Names the call behind `$[i]` of a difference. */
  const blame = (d: string): string => `${d} (${logged[Number(/^\$\["(\d+)"\]/.exec(d)?.[1])]?.call ?? 'no such call'})`
  const ours = [...logger.readEvents({ order: 'oldest-first' })]
  const d = difference(ours, expected)
  if (d !== undefined) throw new Error(`readEvents differs from the returned events at ${blame(d)}`)

  const python = pythonRead(variant.format, file)
  if (variant.format === 'json') {
    // One valid JSON array, newest first.
    const whole = JSON.parse(readFileSync(file, 'utf8')) as unknown[]
    const dn = difference(whole.reverse(), expected)
    if (dn !== undefined) throw new Error(`JSON.parse of the file differs at ${blame(dn)}`)
  } else {
    const width = python.header?.length ?? 0
    expect(python.header?.slice(0, 5)).toEqual(['timestamp', 'action_type', 'status', 'details', 'error'])
    const ragged = (python.row_lengths ?? []).findIndex((n) => n !== width)
    if (ragged !== -1) throw new Error(`CSV row ${ragged + 1} has ${python.row_lengths?.[ragged]} cells, the header ${width}`)
  }
  const comparable = expected.map((event, i) => {
    // Python's csv cannot tell a quoted empty cell ("") from an empty one: it reads both as '', which the script
    // maps to None. So for Python only, an empty-string error may come back as None. Our own reader tells them apart.
    const theirs = python.events[i]
    if (variant.format === 'csv' && event.error === '' && theirs?.['error'] === null) return { ...event, error: null }
    return event
  })
  const dp = difference(python.events, comparable)
  if (dp !== undefined) throw new Error(`Python's ${variant.format === 'json' ? 'json.load' : 'csv.DictReader'} differs at ${blame(dp)}`)

  const verified = verifyLog(file)
  if (verified.findings.length > 0) throw new Error(`verifyLog: ${verified.findings.map((f) => `${f.severity} at line ${f.line}: ${f.message}`).join('; ')}`)
  if (verified.events !== expected.length) throw new Error(`verifyLog read ${verified.events} events, expected ${expected.length}`)
  if (variant.chained && verified.chain?.chained !== expected.length) throw new Error(`verifyLog checked ${verified.chain?.chained} chained events, expected ${expected.length}`)
}

const protoKeys = (): string[] => Object.getOwnPropertyNames(Object.prototype).sort()

const VARIANTS: readonly Variant[] = [
  { format: 'json', chained: false },
  { format: 'csv', chained: false },
  { format: 'json', chained: true },
  { format: 'csv', chained: true },
]

describe.each(VARIANTS.map((v, i) => [`${v.format}${v.chained ? ', hash-chained' : ''}`, v, i] as const))('fuzzing logEvent, %s', (_name, variant, index) => {
  test(`every input is rejected naming its field, or round-trips through our reader and Python (${RUNS} batches of ${CALLS_PER_LOGGER} + ${CALLS_AFTER_RESTART} calls)`, () => {
    const pristine = protoKeys()
    fc.assert(
      fc.property(fc.array(callArb, { minLength: CALLS_PER_LOGGER, maxLength: CALLS_PER_LOGGER }), fc.array(callArb, { minLength: CALLS_AFTER_RESTART, maxLength: CALLS_AFTER_RESTART }), (first, second) => {
        const dir = tempDir('auditrail-fuzz-')
        const logged: Logged[] = []
        const logger = openLogger(dir, variant)
        logAll(logger, variant, first, logged)
        verifyFile(logger, variant, logged)
        logger.close()
        // A second logger continues the same file: what the first wrote still reads back, and so does the rest.
        const again = openLogger(dir, variant)
        logAll(again, variant, second, logged)
        verifyFile(again, variant, logged)
        again.close()
        expect(protoKeys()).toEqual(pristine)
        expect(({} as Record<string, unknown>)['polluted']).toBeUndefined()
        // Kept when the batch fails, for a look at the file.
        rmSync(dir, { recursive: true, force: true })
      }),
      { seed: SEED + index, numRuns: RUNS, interruptAfterTimeLimit: 120_000 },
    )
  })
})
