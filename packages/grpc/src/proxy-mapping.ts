import * as fs from 'node:fs'
import { AuditrailError, type JsonValue } from '@auditrail/core'

/**
 * A field of a decoded message, as a dotted path of proto field names (`hyper_parameter_change.hyper_parameters`,
 * `samples_ids`, `done.ok`); `''` is the whole message. Array elements by index (`runs.0.experiment_hash`).
 */
export type FieldPath = string

/** When a rule applies, tested on the decoded request (before anything is forwarded). */
export type ProxyCondition =
  /** The field is set and not its default (not absent, `null`, `0`, `''`, `false`, `[]`); for enums use `equals`. */
  | { readonly present: FieldPath }
  /** The field is set, even to its default (`false` included): for `optional` fields and sub-messages. */
  | { readonly exists: FieldPath }
  /** The field is a string matching this regular expression (JavaScript syntax). */
  | { readonly field: FieldPath; readonly matches: string }
  /** The field equals this JSON value (enums compare by name, 64-bit integers as strings). */
  | { readonly field: FieldPath; readonly equals: JsonValue }
  /** The field equals one of these values. */
  | { readonly field: FieldPath; readonly in: readonly JsonValue[] }
  | { readonly all: readonly ProxyCondition[] }
  | { readonly any: readonly ProxyCondition[] }
  | { readonly not: ProxyCondition }

/** How a value read from a message is shaped before it becomes a detail. Applied in this order. */
export interface ValueShaping {
  /** Objects: keep only these keys, and only those that are present (an unset `optional` field is absent). */
  readonly pick?: readonly string[]
  /** Objects: drop keys whose value is a default (`0`, `''`, `false`, `[]`, `{}`, `null`). */
  readonly nonDefault?: boolean
  /** Arrays and strings: their length instead. */
  readonly count?: boolean
  /** Strings: the part matched by the regular expression's first group (absent when it does not match). */
  readonly extract?: string
  /** Strings: whether the regular expression matches, as a boolean. */
  readonly test?: string
  /** Strings: the first `truncate` characters (code points, as Python's `s[:n]`). */
  readonly truncate?: number
  /** Scalars: replaced by `map[String(value)]`, else by `otherwise` when given (else kept). */
  readonly map?: { readonly [value: string]: JsonValue }
  readonly otherwise?: JsonValue
  /** Convert a scalar: `number` turns a 64-bit integer string into a number, `string` stringifies, `boolean` tests truthiness. */
  readonly as?: 'number' | 'string' | 'boolean'
  /** The value when the field is absent (otherwise the detail is left out). */
  readonly default?: JsonValue
}

/** Only for events of this status (e.g. keys WeightsLab writes on success only). */
interface OnlyWhen {
  readonly onlyWhen?: 'success' | 'failed'
}

/** Where one detail's value comes from. */
export type DetailSource = OnlyWhen &
  (
    /** A request field (`''`: the whole request). */
    | (ValueShaping & { readonly request: FieldPath })
    /** A response field: the response of a unary call, the last message of a stream; absent when the call failed. */
    | (ValueShaping & { readonly response: FieldPath })
    /** A field of what the rule's capture read before the call (`''`: all of it). */
    | (ValueShaping & { readonly before: FieldPath })
    /** A field of what the rule's capture read after the call. */
    | (ValueShaping & { readonly after: FieldPath })
    /** A fixed value. */
    | { readonly const: JsonValue }
    /** The seconds between the call's arrival at the proxy and its answer, rounded to milliseconds. */
    | { readonly elapsedSeconds: true }
  )

/** How the event's status is decided: `failed` when the gRPC status is not OK, and optionally from the response. */
export interface ProxyStatusRule {
  /** A response boolean: `false` (or absent) means `failed`, as in WeightsLab's `OK + success=false + message` answers. */
  readonly successField?: FieldPath
  /** The response field holding the failure's message (used when `successField` says failed). */
  readonly errorField?: FieldPath
}

/**
 * A before/after capture: the proxy calls a read-only RPC of the same backend just before forwarding the call and
 * again once it was answered, and puts what it read into `details.before` / `details.after`.
 */
export interface ProxyCapture {
  /** The read-only RPC, `package.Service/Method` or `Method` alone when unique. */
  readonly rpc: string
  /** Its request message, as JSON (proto field names). Default `{}`. */
  readonly request?: { readonly [field: string]: JsonValue }
  /** The part of its response kept. Default: all of it. */
  readonly path?: FieldPath
  /** For a list of records: turn it into an object `{ [record[key]]: record[value] }`. */
  readonly entries?: { readonly key: FieldPath; readonly value: FieldPath }
  /** Renames keys of what was read (the capture RPC's names → the request's names, e.g. `training_left` → `training_steps_to_do`). */
  readonly rename?: { readonly [from: string]: string }
  /** Keep, in before and after, only the keys of this detail's object (e.g. `changed_params`: the changed keys). */
  readonly keysOf?: string
  /** Default `true`: add `before`/`after` to the details. `false`: read them only through `{ before }`/`{ after }` sources. */
  readonly record?: boolean
}

/** One action a call may stand for. Several rules of one RPC may match one request: one event each. */
export interface ProxyRule {
  /** Default: always. */
  readonly when?: ProxyCondition
  /** The event's action type. */
  readonly action: string
  /** Detail key → where its value comes from. A value that resolves to nothing is left out. */
  readonly details?: { readonly [key: string]: DetailSource }
  readonly status?: ProxyStatusRule
  readonly capture?: ProxyCapture
  /** Tested on the response once the call is answered (on `{}` when there is none): the event is skipped unless it holds. */
  readonly whenResponse?: ProxyCondition
  /** Skip the event when these two details are equal (e.g. `from_mode`, `to_mode`: nothing changed). */
  readonly skipIfEqual?: readonly [string, string]
}

/** One RPC: `{ log: false }` (read-only, never logged) or its rules. */
export type ProxyRpcMapping = { readonly log: false } | { readonly rules: readonly ProxyRule[] }

/** A mapping from a proto's RPCs to audit events, as data (JSON). */
export interface ProxyMapping {
  /** What the mapping is for; not used. */
  readonly description?: string
  /** `true`: RPCs named here that the proto lacks are ignored (one mapping for several versions of a service). Default `false`: an error. */
  readonly ignoreMissing?: boolean
  /** RPC name (`package.Service/Method`, or `Method` alone when unique in the proto) → how it is logged. */
  readonly rpcs: { readonly [rpc: string]: ProxyRpcMapping }
}

type Json = JsonValue | undefined

class MappingIssue extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message)
  }
}

function describe(value: Json): string {
  if (value === undefined) return 'nothing'
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  return typeof value === 'object' ? 'an object' : JSON.stringify(value)
}

function isObject(value: Json): value is { readonly [key: string]: JsonValue } {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function objectAt(value: Json, path: string, allowed: readonly string[]): { readonly [key: string]: JsonValue } {
  if (!isObject(value)) throw new MappingIssue(path, `expected an object, got ${describe(value)}`)
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) throw new MappingIssue(`${path}.${key}`, `unknown key; expected one of ${allowed.join(', ')}`)
  }
  return value
}

function stringAt(value: Json, path: string, allowEmpty = false): string {
  if (typeof value !== 'string' || (!allowEmpty && value.length === 0)) throw new MappingIssue(path, `expected a${allowEmpty ? '' : ' non-empty'} string, got ${describe(value)}`)
  return value
}

function arrayAt(value: Json, path: string): readonly JsonValue[] {
  if (!Array.isArray(value)) throw new MappingIssue(path, `expected an array, got ${describe(value)}`)
  return value
}

function checkCondition(value: Json, path: string): void {
  if (!isObject(value)) throw new MappingIssue(path, `expected a condition ({ present } | { exists } | { field, equals } | { field, in } | { field, matches } | { all } | { any } | { not }), got ${describe(value)}`)
  if ('present' in value) {
    stringAt(objectAt(value, path, ['present'])['present'], `${path}.present`, true)
  } else if ('exists' in value) {
    stringAt(objectAt(value, path, ['exists'])['exists'], `${path}.exists`, true)
  } else if ('field' in value && 'matches' in value) {
    const checked = objectAt(value, path, ['field', 'matches'])
    stringAt(checked['field'], `${path}.field`, true)
    try {
      new RegExp(stringAt(checked['matches'], `${path}.matches`))
    } catch (cause) {
      throw new MappingIssue(`${path}.matches`, `not a valid regular expression (${cause instanceof Error ? cause.message : String(cause)})`)
    }
  } else if ('all' in value || 'any' in value) {
    const key = 'all' in value ? 'all' : 'any'
    arrayAt(objectAt(value, path, [key])[key], `${path}.${key}`).forEach((item, i) => checkCondition(item, `${path}.${key}[${i}]`))
  } else if ('not' in value) {
    checkCondition(objectAt(value, path, ['not'])['not'], `${path}.not`)
  } else if ('field' in value && 'equals' in value) {
    stringAt(objectAt(value, path, ['field', 'equals'])['field'], `${path}.field`, true)
  } else if ('field' in value && 'in' in value) {
    const checked = objectAt(value, path, ['field', 'in'])
    stringAt(checked['field'], `${path}.field`, true)
    arrayAt(checked['in'], `${path}.in`)
  } else {
    throw new MappingIssue(path, 'expected one of { present } | { exists } | { field, equals } | { field, in } | { field, matches } | { all } | { any } | { not }')
  }
}

const SHAPING = ['pick', 'nonDefault', 'count', 'extract', 'test', 'truncate', 'map', 'otherwise', 'as', 'default', 'onlyWhen'] as const

function checkRegex(value: Json, path: string): void {
  try {
    new RegExp(stringAt(value, path))
  } catch (cause) {
    if (cause instanceof MappingIssue) throw cause
    throw new MappingIssue(path, `not a valid regular expression (${cause instanceof Error ? cause.message : String(cause)})`)
  }
}

function checkOnlyWhen(value: Json, path: string): void {
  if (value !== undefined && value !== 'success' && value !== 'failed') throw new MappingIssue(path, `expected "success" | "failed", got ${describe(value)}`)
}

function checkSource(value: Json, path: string): void {
  if (!isObject(value)) throw new MappingIssue(path, `expected a source ({ request } | { response } | { const } | { elapsedSeconds: true }), got ${describe(value)}`)
  checkOnlyWhen(value['onlyWhen'], `${path}.onlyWhen`)
  if ('const' in value) {
    objectAt(value, path, ['const', 'onlyWhen'])
    return
  }
  if ('elapsedSeconds' in value) {
    if (objectAt(value, path, ['elapsedSeconds', 'onlyWhen'])['elapsedSeconds'] !== true) throw new MappingIssue(`${path}.elapsedSeconds`, 'expected true')
    return
  }
  const side = (['request', 'response', 'before', 'after'] as const).find((key) => key in value)
  if (side === undefined) throw new MappingIssue(path, 'expected one of { request } | { response } | { before } | { after } | { const } | { elapsedSeconds: true }')
  const checked = objectAt(value, path, [side, ...SHAPING])
  stringAt(checked[side], `${path}.${side}`, true)
  if (checked['pick'] !== undefined) arrayAt(checked['pick'], `${path}.pick`).forEach((key, i) => stringAt(key, `${path}.pick[${i}]`))
  for (const flag of ['nonDefault', 'count'] as const) {
    if (checked[flag] !== undefined && typeof checked[flag] !== 'boolean') throw new MappingIssue(`${path}.${flag}`, `expected a boolean, got ${describe(checked[flag])}`)
  }
  const truncate = checked['truncate']
  if (truncate !== undefined && !(typeof truncate === 'number' && Number.isSafeInteger(truncate) && truncate >= 0)) throw new MappingIssue(`${path}.truncate`, `expected a whole number ≥ 0, got ${describe(truncate)}`)
  for (const key of ['extract', 'test'] as const) if (checked[key] !== undefined) checkRegex(checked[key], `${path}.${key}`)
  if (checked['map'] !== undefined) objectAt(checked['map'], `${path}.map`, Object.keys(checked['map'] ?? {}))
  const as = checked['as']
  if (as !== undefined && as !== 'number' && as !== 'string' && as !== 'boolean') throw new MappingIssue(`${path}.as`, `expected "number" | "string" | "boolean", got ${describe(as)}`)
}

function checkCapture(value: Json, path: string): void {
  const capture = objectAt(value, path, ['rpc', 'request', 'path', 'entries', 'rename', 'keysOf', 'record'])
  if (capture['rename'] !== undefined) {
    const rename = objectAt(capture['rename'], `${path}.rename`, Object.keys(capture['rename'] ?? {}))
    for (const [from, to] of Object.entries(rename)) stringAt(to, `${path}.rename.${from}`)
  }
  if (capture['record'] !== undefined && typeof capture['record'] !== 'boolean') throw new MappingIssue(`${path}.record`, `expected a boolean, got ${describe(capture['record'])}`)
  stringAt(capture['rpc'], `${path}.rpc`)
  if (capture['request'] !== undefined) objectAt(capture['request'], `${path}.request`, Object.keys(capture['request'] ?? {}))
  if (capture['path'] !== undefined) stringAt(capture['path'], `${path}.path`, true)
  if (capture['entries'] !== undefined) {
    const entries = objectAt(capture['entries'], `${path}.entries`, ['key', 'value'])
    stringAt(entries['key'], `${path}.entries.key`)
    stringAt(entries['value'], `${path}.entries.value`)
  }
  if (capture['keysOf'] !== undefined) stringAt(capture['keysOf'], `${path}.keysOf`)
}

function checkRule(value: Json, path: string): void {
  const rule = objectAt(value, path, ['when', 'action', 'details', 'status', 'capture', 'whenResponse', 'skipIfEqual'])
  if (rule['whenResponse'] !== undefined) checkCondition(rule['whenResponse'], `${path}.whenResponse`)
  if (rule['skipIfEqual'] !== undefined) {
    const pair = arrayAt(rule['skipIfEqual'], `${path}.skipIfEqual`)
    if (pair.length !== 2) throw new MappingIssue(`${path}.skipIfEqual`, 'expected two detail keys')
    pair.forEach((key, i) => stringAt(key, `${path}.skipIfEqual[${i}]`))
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(stringAt(rule['action'], `${path}.action`))) throw new MappingIssue(`${path}.action`, 'must not contain control characters')
  if (rule['when'] !== undefined) checkCondition(rule['when'], `${path}.when`)
  if (rule['details'] !== undefined) {
    const details = objectAt(rule['details'], `${path}.details`, Object.keys(rule['details'] ?? {}))
    for (const [key, source] of Object.entries(details)) checkSource(source, `${path}.details.${key}`)
  }
  if (rule['status'] !== undefined) {
    const status = objectAt(rule['status'], `${path}.status`, ['successField', 'errorField'])
    if (status['successField'] !== undefined) stringAt(status['successField'], `${path}.status.successField`)
    if (status['errorField'] !== undefined) stringAt(status['errorField'], `${path}.status.errorField`)
  }
  if (rule['capture'] !== undefined) checkCapture(rule['capture'], `${path}.capture`)
}

/**
 * Checks that `value` is a {@link ProxyMapping}; throws an `options` AuditrailError naming the first bad JSON path
 * (`rpcs["ExperimentService/ExperimentCommand"].rules[2].when.field: expected a string, got 3`) and `source`.
 */
export function parseProxyMapping(value: unknown, source = 'mapping'): ProxyMapping {
  try {
    const root = objectAt(value as Json, '$', ['description', 'ignoreMissing', 'rpcs', '$schema'])
    if (root['description'] !== undefined) stringAt(root['description'], '$.description', true)
    if (root['ignoreMissing'] !== undefined && typeof root['ignoreMissing'] !== 'boolean') throw new MappingIssue('$.ignoreMissing', `expected a boolean, got ${describe(root['ignoreMissing'])}`)
    const rpcs = objectAt(root['rpcs'], '$.rpcs', Object.keys(isObject(root['rpcs']) ? root['rpcs'] : {}))
    for (const [name, entry] of Object.entries(rpcs)) {
      const path = `$.rpcs[${JSON.stringify(name)}]`
      if (name.length === 0) throw new MappingIssue(path, 'expected an RPC name')
      if (isObject(entry) && 'log' in entry) {
        if (objectAt(entry, path, ['log'])['log'] !== false) throw new MappingIssue(`${path}.log`, 'expected false (read-only: not logged); give rules to log an RPC')
        continue
      }
      const rules = arrayAt(objectAt(entry, path, ['rules'])['rules'], `${path}.rules`)
      if (rules.length === 0) throw new MappingIssue(`${path}.rules`, 'expected at least one rule; use { "log": false } for a read-only RPC')
      rules.forEach((rule, i) => checkRule(rule, `${path}.rules[${i}]`))
    }
  } catch (error) {
    if (!(error instanceof MappingIssue)) throw error
    throw new AuditrailError('options', `${source}: ${error.path}: ${error.message}`, { component: 'grpc', field: error.path })
  }
  return value as ProxyMapping
}

/** Reads and checks a mapping file (JSON); errors name the file and the JSON path. */
export function loadProxyMapping(file: string): ProxyMapping {
  let text: string
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch (cause) {
    throw new AuditrailError('options', `mapping: cannot read the file: ${(cause as NodeJS.ErrnoException).code ?? String(cause)}`, { component: 'grpc', file, cause })
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (cause) {
    throw new AuditrailError('options', `mapping: not valid JSON (${cause instanceof Error ? cause.message : String(cause)})`, { component: 'grpc', file, cause })
  }
  return parseProxyMapping(parsed, file)
}
