/** The newest `cap` items pushed, oldest first, and how many older ones were dropped. */
export interface CappedList<T> {
  push(item: T): void
  toArray(): T[]
  readonly dropped: number
}

/** A ring of the newest `cap` items: pushing is O(1), memory stays at `cap` items. */
export function createCappedList<T>(cap: number): CappedList<T> {
  const items: T[] = []
  let next = 0
  let dropped = 0
  return {
    push(item) {
      if (cap <= 0) {
        dropped++
        return
      }
      if (items.length < cap) items.push(item)
      else {
        items[next] = item
        next = (next + 1) % cap
        dropped++
      }
    },
    toArray: () => [...items.slice(next), ...items.slice(0, next)],
    get dropped() {
      return dropped
    },
  }
}
