/** The object {@link withGetters} returns: `T` plus one read-only property per getter. */
export type WithGetters<T, G extends Record<string, () => unknown>> = T & { readonly [K in keyof G]: ReturnType<G[K]> }

type Accessor = (this: object) => unknown

// Per property name: the key under which each object keeps its own getter, and one accessor shared by every object that
// declares the name (see withGetters).
const accessors = new Map<string, { readonly slot: string; readonly get: Accessor }>()

function accessorFor(key: string): { readonly slot: string; readonly get: Accessor } {
  let accessor = accessors.get(key)
  if (accessor === undefined) {
    const slot = `auditrail:get:${key}`
    // Compiled once per name, from a constant source: closures made from one function literal share their inline
    // caches, so one literal for every name would make its load megamorphic, the cost this module exists to remove.
    // eslint-disable-next-line @typescript-eslint/no-implied-eval, no-new-func
    accessor = { slot, get: new Function(`return this[${JSON.stringify(slot)}]()`) as Accessor }
    accessors.set(key, accessor)
  }
  return accessor
}

/**
 * Adds read-only, enumerable getters to `target` and returns it, for objects on the per-event path.
 * V8 11 (Node 20) builds an object literal that declares a `get` accessor in dictionary mode, and so does
 * `Object.defineProperty` when a second object of the same shape gets an accessor with another function (each factory
 * call makes a new closure): every property load on such an object, its methods included, then misses TurboFan's
 * inline caches (about 2.5% of a burst's time, measured with bench/compare-builds.mjs-style paired runs). Here every object shares one accessor function per name, which calls that object's own getter
 * (kept under a non-enumerable key), so all of them stay in fast mode.
 *
 * @example
 * let count = 0
 * const counter = withGetters({ add: () => void count++ }, { count: () => count })
 */
export function withGetters<T extends object, G extends Record<string, () => unknown>>(target: T, getters: G): WithGetters<T, G> {
  for (const key of Object.keys(getters)) {
    const { slot, get } = accessorFor(key)
    Object.defineProperty(target, slot, { value: getters[key] })
    Object.defineProperty(target, key, { get, enumerable: true })
  }
  return target as WithGetters<T, G>
}
