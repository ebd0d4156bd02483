/** The last `capacity` items pushed, in O(capacity) memory: the tail of a stream read front to back. */
export interface RingBuffer<T> {
  push(item: T): void
  /** The items kept, oldest pushed first. */
  toArray(): T[]
}

/** Creates a ring buffer; a capacity of 0 keeps nothing. */
export function createRingBuffer<T>(capacity: number): RingBuffer<T> {
  const items: T[] = []
  let next = 0
  return {
    push(item) {
      if (capacity === 0) return
      if (items.length < capacity) items.push(item)
      else items[next] = item
      next = (next + 1) % capacity
    },
    toArray: () => (items.length < capacity ? [...items] : [...items.slice(next), ...items.slice(0, next)]),
  }
}
