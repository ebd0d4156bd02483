import { AuditrailError, type AuditStatus, type JsonObject, type JsonValue } from '@auditrail/core'
import type { MethodDefinition, PackageDefinition } from '@grpc/proto-loader'
import type { DetailSource, FieldPath, ProxyCapture, ProxyCondition, ProxyMapping, ProxyRule, ProxyStatusRule, ValueShaping } from './proxy-mapping.js'

/** The four kinds of gRPC methods. */
export type MethodKind = 'unary' | 'server-stream' | 'client-stream' | 'bidi'

/** One method of a loaded proto. */
export interface ProtoMethod {
  /** `package.Service/Method` (`Service/Method` without a package). */
  readonly fullName: string
  /** The method's name alone. */
  readonly name: string
  /** The HTTP/2 path, `/package.Service/Method`. */
  readonly path: string
  readonly kind: MethodKind
  readonly definition: MethodDefinition<object, object>
}

/** A capture resolved against the proto. */
export interface CompiledCapture {
  readonly spec: ProxyCapture
  readonly method: ProtoMethod
  /** The capture request, serialized once. */
  readonly requestBytes: Buffer
  /** Identity of this capture, so that rules sharing one read it once. */
  readonly key: string
}

/** A rule resolved against the proto. */
export interface CompiledRule {
  readonly rule: ProxyRule
  readonly capture: CompiledCapture | undefined
}

/** How one method is audited: not at all (`read-only`), or by its rules. */
export type MethodAudit = { readonly kind: 'read-only' } | { readonly kind: 'rules'; readonly rules: readonly CompiledRule[] }

/** Every method of the proto with its audit, and those the mapping does not name. */
export interface CompiledMapping {
  readonly methods: readonly ProtoMethod[]
  /** By `fullName`; absent: unmapped. */
  readonly audits: ReadonlyMap<string, MethodAudit>
  readonly unmapped: readonly ProtoMethod[]
}

/** Method names that look like they change something; unmapped ones are warned about at start. */
export const MUTATING_NAME = /^(Set|Edit|Apply|Restore|Rename|Trigger|Cancel|Save|Run|Interrupt|Generate|Reset|Clear|Change|Initialize|Manipulate|Delete|Remove|Update|Create|Add|Start|Stop|Pause|Resume|Compact|Export|Import|Load|Write|Put|Patch)|Command$/

function kindOf(definition: MethodDefinition<object, object>): MethodKind {
  if (definition.requestStream) return definition.responseStream ? 'bidi' : 'client-stream'
  return definition.responseStream ? 'server-stream' : 'unary'
}

/** Every method of every service in a package definition loaded by @grpc/proto-loader. */
export function protoMethods(definition: PackageDefinition): ProtoMethod[] {
  const methods: ProtoMethod[] = []
  for (const value of Object.values(definition)) {
    // Messages and enums carry `format`; services are plain objects of method definitions.
    if ('format' in value) continue
    for (const [name, method] of Object.entries(value as { [name: string]: MethodDefinition<object, object> })) {
      // proto-loader lists each method twice, under its name and its camelCase name: keep the proto's.
      if (method.originalName !== undefined && method.originalName !== name && name !== method.path.slice(method.path.lastIndexOf('/') + 1)) continue
      const fullName = method.path.slice(1)
      if (methods.some((known) => known.fullName === fullName)) continue
      methods.push({ fullName, name: fullName.slice(fullName.lastIndexOf('/') + 1), path: method.path, kind: kindOf(method), definition: method })
    }
  }
  return methods
}

function optionsError(message: string, field: string): AuditrailError {
  return new AuditrailError('options', message, { component: 'grpc', field })
}

/** Finds a method by `package.Service/Method`, `/package.Service/Method`, or `Method` alone when unique. */
export function findMethod(methods: readonly ProtoMethod[], name: string, field: string): ProtoMethod {
  const full = name.startsWith('/') ? name.slice(1) : name
  const exact = methods.find((method) => method.fullName === full)
  if (exact !== undefined) return exact
  const byName = methods.filter((method) => method.name === full)
  if (byName.length === 1 && byName[0] !== undefined) return byName[0]
  if (byName.length > 1) throw optionsError(`${field}: ${name} is ambiguous (${byName.map((m) => m.fullName).join(', ')}); use package.Service/Method`, field)
  throw optionsError(`${field}: the proto has no RPC named ${name}`, field)
}

/** Resolves a mapping against the proto's methods; throws an `options` AuditrailError naming the mapping's entry. */
export function compileMapping(mapping: ProxyMapping, methods: readonly ProtoMethod[]): CompiledMapping {
  const audits = new Map<string, MethodAudit>()
  for (const [name, entry] of Object.entries(mapping.rpcs)) {
    const field = `rpcs[${JSON.stringify(name)}]`
    if (mapping.ignoreMissing === true && !methods.some((method) => method.fullName === name.replace(/^\//, '') || method.name === name)) continue
    const method = findMethod(methods, name, field)
    if (audits.has(method.fullName)) throw optionsError(`${field}: ${method.fullName} is mapped twice`, field)
    if ('log' in entry) {
      audits.set(method.fullName, { kind: 'read-only' })
      continue
    }
    if (method.kind === 'client-stream' || method.kind === 'bidi') {
      throw optionsError(`${field}: only unary and server-streaming RPCs can have rules (${method.fullName} is ${method.kind}); use { "log": false } or leave it unmapped`, field)
    }
    const rules = entry.rules.map((rule, i): CompiledRule => ({ rule, capture: rule.capture === undefined ? undefined : compileCapture(rule.capture, methods, `${field}.rules[${i}].capture`) }))
    audits.set(method.fullName, { kind: 'rules', rules })
  }
  return { methods, audits, unmapped: methods.filter((method) => !audits.has(method.fullName)) }
}

function compileCapture(spec: ProxyCapture, methods: readonly ProtoMethod[], field: string): CompiledCapture {
  const method = findMethod(methods, spec.rpc, `${field}.rpc`)
  if (method.kind !== 'unary') throw optionsError(`${field}.rpc: a capture must be a unary RPC (${method.fullName} is ${method.kind})`, `${field}.rpc`)
  let requestBytes: Buffer
  try {
    requestBytes = method.definition.requestSerialize(spec.request ?? {})
  } catch (cause) {
    throw new AuditrailError('options', `${field}.request: not a valid ${method.fullName} request: ${cause instanceof Error ? cause.message : String(cause)}`, { component: 'grpc', field: `${field}.request`, cause })
  }
  return { spec, method, requestBytes, key: `${method.fullName} ${requestBytes.toString('base64')}` }
}

/** The value at a dotted path of a decoded message; `undefined` when any step is missing. */
export function valueAt(message: unknown, path: FieldPath): unknown {
  if (path === '') return message
  let value: unknown = message
  for (const step of path.split('.')) {
    if (typeof value !== 'object' || value === null) return undefined
    value = (value as { [key: string]: unknown })[step]
  }
  return value
}

function isJsonObject(value: JsonValue | undefined): value is { readonly [key: string]: JsonValue } {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** True for values a proto3 field has when it is not set. */
function isDefault(value: unknown): boolean {
  if (value === undefined || value === null || value === 0 || value === '' || value === false || value === '0') return true
  if (Array.isArray(value)) return value.length === 0
  if (Buffer.isBuffer(value)) return value.length === 0
  return false
}

function sameJson(left: unknown, right: unknown): boolean {
  return JSON.stringify(toJson(left)) === JSON.stringify(right)
}

/** Whether a rule's condition holds for a decoded request. */
export function conditionHolds(condition: ProxyCondition | undefined, request: unknown): boolean {
  if (condition === undefined) return true
  if ('present' in condition) return !isDefault(valueAt(request, condition.present))
  if ('exists' in condition) {
    const value = valueAt(request, condition.exists)
    return value !== undefined && value !== null
  }
  if ('all' in condition) return condition.all.every((item) => conditionHolds(item, request))
  if ('any' in condition) return condition.any.some((item) => conditionHolds(item, request))
  if ('not' in condition) return !conditionHolds(condition.not, request)
  const value = valueAt(request, condition.field)
  if ('equals' in condition) return sameJson(value, condition.equals)
  if ('matches' in condition) return typeof value === 'string' && new RegExp(condition.matches).test(value)
  return condition.in.some((candidate) => sameJson(value, candidate))
}

/** Whether the event of a rule is kept once the call was answered (`whenResponse`, `skipIfEqual`). */
export function keepsEvent(rule: ProxyRule, response: unknown, details: JsonObject): boolean {
  if (rule.whenResponse !== undefined && !conditionHolds(rule.whenResponse, response ?? {})) return false
  if (rule.skipIfEqual !== undefined) {
    const [left, right] = rule.skipIfEqual
    if (details[left] !== undefined && JSON.stringify(details[left]) === JSON.stringify(details[right])) return false
  }
  return true
}

/** The rules of an audited method that apply to this request, in mapping order. */
export function matchingRules(audit: MethodAudit, request: unknown): CompiledRule[] {
  return audit.kind === 'rules' ? audit.rules.filter(({ rule }) => conditionHolds(rule.when, request)) : []
}

/** A decoded message as JSON: bytes become base64, anything else not JSON is dropped. */
export function toJson(value: unknown): JsonValue | undefined {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value
  if (typeof value === 'number') return Number.isFinite(value) ? value : null
  if (Buffer.isBuffer(value)) return value.toString('base64')
  if (Array.isArray(value)) return value.map((item) => toJson(item) ?? null)
  if (typeof value === 'object') {
    const out: { [key: string]: JsonValue } = {}
    for (const [key, item] of Object.entries(value)) {
      const json = toJson(item)
      if (json !== undefined) out[key] = json
    }
    return out
  }
  return undefined
}

function shape(value: unknown, shaping: ValueShaping): JsonValue | undefined {
  let json = toJson(value)
  if (json === undefined || json === null) return shaping.default ?? (json === null ? null : undefined)
  if (shaping.pick !== undefined && isJsonObject(json)) {
    const source: { readonly [key: string]: JsonValue } = json
    const picked: { [key: string]: JsonValue } = {}
    for (const key of shaping.pick) {
      const item = source[key]
      if (item !== undefined && item !== null) picked[key] = item
    }
    json = picked
  }
  if (shaping.nonDefault === true && isJsonObject(json)) {
    json = Object.fromEntries(Object.entries(json).filter(([, item]) => !isDefault(item) && !(typeof item === 'object' && item !== null && Object.keys(item).length === 0)))
  }
  // Lengths and slices in code points, as WeightsLab's Python counts them (`len(s)`, `s[:n]`).
  if (shaping.count === true && Array.isArray(json)) json = json.length
  else if (shaping.count === true && typeof json === 'string') json = [...json].length
  if (shaping.extract !== undefined && typeof json === 'string') {
    const group = new RegExp(shaping.extract).exec(json)?.[1]
    if (group === undefined) return shaping.default
    json = group
  }
  if (shaping.test !== undefined && typeof json === 'string') json = new RegExp(shaping.test).test(json)
  if (shaping.truncate !== undefined && typeof json === 'string') json = [...json].slice(0, shaping.truncate).join('')
  if (shaping.map !== undefined && (json === null || typeof json !== 'object')) {
    const key = String(json)
    if (Object.prototype.hasOwnProperty.call(shaping.map, key)) json = shaping.map[key] ?? null
    else if (shaping.otherwise !== undefined) json = shaping.otherwise
  }
  if (shaping.as === 'number' && (typeof json === 'string' || typeof json === 'boolean')) json = Number(json)
  else if (shaping.as === 'string' && typeof json !== 'string') json = typeof json === 'object' ? JSON.stringify(json) : String(json)
  else if (shaping.as === 'boolean') json = !isDefault(json)
  return json
}

/** What is known about a call when its events are built. */
export interface CallFacts {
  readonly request: unknown
  /** The decoded response (unary) or last message (server stream); `undefined` when there was none. */
  readonly response: unknown
  readonly elapsedMs: number
  /** Captured before/after values by capture key. */
  readonly before: ReadonlyMap<string, JsonValue | undefined>
  readonly after: ReadonlyMap<string, JsonValue | undefined>
}

function resolveSource(source: DetailSource, facts: CallFacts, capture: CompiledCapture | undefined): JsonValue | undefined {
  if ('const' in source) return source.const
  if ('elapsedSeconds' in source) return Math.round(facts.elapsedMs) / 1000
  if ('request' in source) return shape(valueAt(facts.request, source.request), source)
  if ('before' in source || 'after' in source) {
    const [captured, path] = 'before' in source ? [facts.before, source.before] : [facts.after, source.after]
    const value = capture === undefined ? undefined : captured.get(capture.key)
    return value === undefined ? source.default : shape(valueAt(value, path), source)
  }
  return facts.response === undefined ? source.default : shape(valueAt(facts.response, source.response), source)
}

function restrictTo(value: JsonValue | undefined, keys: readonly string[] | undefined): JsonValue | undefined {
  if (keys === undefined || !isJsonObject(value)) return value
  const source: { readonly [key: string]: JsonValue } = value
  return Object.fromEntries(keys.filter((key) => key in source).map((key) => [key, source[key] ?? null]))
}

/** A rule's details for one call whose event has `status`: its sources resolved, then `before`/`after` from its capture. */
export function buildDetails(compiled: CompiledRule, facts: CallFacts, status: AuditStatus): JsonObject {
  const details: { [key: string]: JsonValue } = {}
  const capture = compiled.capture
  for (const [key, source] of Object.entries(compiled.rule.details ?? {})) {
    if (source.onlyWhen !== undefined && source.onlyWhen !== status) continue
    const value = resolveSource(source, facts, capture)
    if (value !== undefined) details[key] = value
  }
  if (capture !== undefined && capture.spec.record !== false) {
    const scope = capture.spec.keysOf === undefined ? undefined : details[capture.spec.keysOf]
    const keys = isJsonObject(scope) ? Object.keys(scope) : undefined
    const before = restrictTo(facts.before.get(capture.key), keys)
    const after = restrictTo(facts.after.get(capture.key), keys)
    // The mapping's own keys win, as in the in-process wrapper.
    if (before !== undefined && !('before' in details)) details['before'] = before
    if (after !== undefined && !('after' in details)) details['after'] = after
  }
  return details
}

/** Reads a capture's response into the value kept as before/after. */
export function captureValue(capture: CompiledCapture, response: unknown): JsonValue | undefined {
  const part = valueAt(response, capture.spec.path ?? '')
  const entries = capture.spec.entries
  if (entries === undefined || !Array.isArray(part)) return toJson(part)
  const out: { [key: string]: JsonValue } = {}
  const rename = capture.spec.rename ?? {}
  for (const record of part) {
    const key = valueAt(record, entries.key)
    if (typeof key !== 'string' && typeof key !== 'number') continue
    const name = Object.prototype.hasOwnProperty.call(rename, String(key)) ? (rename[String(key)] ?? String(key)) : String(key)
    out[name] = toJson(valueAt(record, entries.value)) ?? null
  }
  return out
}

/** The event's status and error from the gRPC outcome and the rule's `successField`/`errorField`. */
export function outcomeOf(rule: ProxyStatusRule | undefined, grpcCode: number, grpcDetails: string, response: unknown): { status: AuditStatus; error: string | null } {
  if (grpcCode !== 0) return { status: 'failed', error: grpcDetails.length > 0 ? grpcDetails : `gRPC status ${grpcCode}` }
  if (rule?.successField !== undefined && valueAt(response, rule.successField) !== true) {
    const message = rule.errorField === undefined ? undefined : valueAt(response, rule.errorField)
    return { status: 'failed', error: typeof message === 'string' && message.length > 0 ? message : null }
  }
  return { status: 'success', error: null }
}
