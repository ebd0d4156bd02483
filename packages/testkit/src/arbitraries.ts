import { actionDetailsCodecs, formatMicros, KNOWN_ACTION_TYPES, type AuditEvent, type JsonObject, type KnownActionType } from '@auditrail/core'
import fc from 'fast-check'
import type * as t from 'io-ts'

type AnyCodec = t.Mixed & { readonly _tag?: string }

/** A JSON value fast-check generates, without -0 (which JSON writes as 0, so it cannot round-trip). */
export const jsonValueArbitrary: fc.Arbitrary<unknown> = fc.jsonValue().map((value) => JSON.parse(JSON.stringify(value)) as unknown)

/**
 * Derives an arbitrary from an io-ts codec, for the combinators auditrail's codecs use (string, number,
 * boolean, literal unions, arrays, records, partial/type objects, unions, recursion). Unknown codecs fall
 * back to any JSON value, which the codec may reject: callers filter with `codec.is` where that matters.
 */
export function arbitraryFromCodec(codec: AnyCodec): fc.Arbitrary<unknown> {
  const c = codec as unknown as Record<string, unknown> & { _tag?: string; name: string }
  switch (c._tag) {
    case 'StringType':
      return fc.string({ unit: 'grapheme', maxLength: 40 })
    case 'NumberType':
      return fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => (Object.is(n, -0) ? 0 : n))
    case 'BooleanType':
      return fc.boolean()
    case 'NullType':
      return fc.constant(null)
    case 'KeyofType':
      return fc.constantFrom(...Object.keys(c['keys'] as object))
    case 'LiteralType':
      return fc.constant(c['value'])
    case 'ArrayType':
    case 'ReadonlyArrayType':
      return fc.array(arbitraryFromCodec(c['type'] as AnyCodec), { maxLength: 8 })
    case 'DictionaryType':
      return fc.dictionary(fc.string({ maxLength: 12 }), arbitraryFromCodec(c['codomain'] as AnyCodec), { maxKeys: 6 })
    case 'UnionType':
      return fc.oneof(...(c['types'] as AnyCodec[]).map(arbitraryFromCodec))
    case 'InterfaceType':
    case 'PartialType': {
      const props = c['props'] as Record<string, AnyCodec>
      const record = Object.fromEntries(Object.entries(props).map(([key, type]) => [key, arbitraryFromCodec(type)]))
      return fc.record(record, c._tag === 'PartialType' ? { requiredKeys: [] } : {})
    }
    case 'RefinementType':
      return arbitraryFromCodec(c['type'] as AnyCodec).filter((value) => codec.is(value))
    default:
      if (c.name === 'FiniteNumber') return fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => (Object.is(n, -0) ? 0 : n))
      return jsonValueArbitrary
  }
}

/** Details of a known action, derived from its codec, plus a few extra fields (allowed unless strict). */
export function detailsArbitrary(action: KnownActionType, options: { extraFields?: boolean } = {}): fc.Arbitrary<JsonObject> {
  const known = arbitraryFromCodec(actionDetailsCodecs[action] as AnyCodec) as fc.Arbitrary<Record<string, unknown>>
  if (options.extraFields === false) return known as fc.Arbitrary<JsonObject>
  const extra = fc.dictionary(fc.string({ maxLength: 10 }).filter((k) => !(k in actionDetailsCodecs[action].props)), jsonValueArbitrary, { maxKeys: 3 })
  return fc.tuple(known, extra).map(([a, b]) => ({ ...b, ...a }) as JsonObject)
}

/** Any action type: mostly the known twenty, sometimes a custom one. */
export const actionTypeArbitrary: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...KNOWN_ACTION_TYPES) },
  { weight: 1, arbitrary: fc.stringMatching(/^[a-z][a-z0-9_.:-]{0,30}$/) },
)

/** Error messages that stress every format: quotes, commas, line breaks, backslashes, any Unicode. */
export const errorMessageArbitrary: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 60 }),
  fc.constantFrom('Checkpoint file not found', 'a "quoted", comma', 'line1\r\nline2\nline3', 'C:\\path\\to\\ckpt', '🚀 échec — 失败', ''),
)

/** The fields of one event, without its timestamp. */
export const eventBodyArbitrary: fc.Arbitrary<Omit<AuditEvent, 'timestamp'>> = fc
  .tuple(actionTypeArbitrary, fc.boolean(), errorMessageArbitrary)
  .chain(([action_type, ok, error]) => {
    const details = (KNOWN_ACTION_TYPES as readonly string[]).includes(action_type)
      ? detailsArbitrary(action_type as KnownActionType)
      : (fc.dictionary(fc.string({ maxLength: 10 }), jsonValueArbitrary, { maxKeys: 4 }) as fc.Arbitrary<JsonObject>)
    return details.map((d) => ({ action_type, status: ok ? ('success' as const) : ('failed' as const), details: d, error: ok ? null : error }))
  })

/** A sequence of frozen events with strictly increasing timestamps, oldest first. */
export function auditEventsArbitrary(options: { minLength?: number; maxLength?: number } = {}): fc.Arbitrary<AuditEvent[]> {
  return fc
    .tuple(
      fc.integer({ min: 1_600_000_000_000_000, max: 2_000_000_000_000_000 }),
      fc.array(fc.tuple(fc.integer({ min: 1, max: 5_000_000 }), eventBodyArbitrary), {
        minLength: options.minLength ?? 0,
        maxLength: options.maxLength ?? 20,
      }),
    )
    .map(([start, items]) => {
      let micros = start
      return items.map(([delta, body]) => {
        micros += delta
        return Object.freeze({ timestamp: formatMicros(micros), ...body })
      })
    })
}
