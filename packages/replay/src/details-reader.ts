import type { JsonObject, JsonValue } from '@auditrail/core'

/** A sample id as the spec's data operations carry it. */
export type SampleId = string | number

/** The plain object under `key`, or `undefined` when absent or not an object. */
export function objectField(details: JsonObject, key: string): JsonObject | undefined {
  const value = details[key]
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonObject) : undefined
}

/** The string under `key`, or `undefined`. */
export function stringField(details: JsonObject, key: string): string | undefined {
  const value = details[key]
  return typeof value === 'string' ? value : undefined
}

/** The number under `key`, or `undefined`. */
export function numberField(details: JsonObject, key: string): number | undefined {
  const value = details[key]
  return typeof value === 'number' ? value : undefined
}

/** `sample_ids` when it is an array of strings and numbers, else `undefined`. */
export function sampleIdsField(details: JsonObject): readonly SampleId[] | undefined {
  const value = details['sample_ids']
  if (!Array.isArray(value)) return undefined
  return value.every((id: JsonValue) => typeof id === 'string' || typeof id === 'number') ? (value as SampleId[]) : undefined
}

/** The origin of the `index`-th sample id, from the parallel `origins` array, when given. */
export function originAt(details: JsonObject, index: number): string | undefined {
  const origins = details['origins']
  if (!Array.isArray(origins)) return undefined
  const origin: JsonValue | undefined = origins[index]
  return typeof origin === 'string' ? origin : undefined
}

/** A key that keeps `1` and `"1"` apart: sample ids may be either, and they are different samples. */
export function sampleKey(id: SampleId): string {
  return `${typeof id === 'number' ? 'n' : 's'}:${id}`
}
