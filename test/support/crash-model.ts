import { basename } from 'node:path'
import { changesFiles, unsyncedOps, type RecordedOp } from '@auditrail/testkit'

/**
 * One state the disk can be in after a crash, rebuilt by replaying a recording: `ops[0..end)` applied, except the
 * `drop`ped changes (power loss), the last one landing only `tornBytes` bytes when set (a torn write).
 */
export interface CrashState {
  readonly kind: 'prefix' | 'torn' | 'power'
  /** Names the state in failure messages: kind, operation index, what was torn or dropped. */
  readonly label: string
  readonly end: number
  readonly tornBytes?: number
  readonly drop?: ReadonlySet<number>
  /** Markers before this index count: the writes acknowledged (and begun) before the crash. */
  readonly marksBefore: number
}

/** How many states to build, and from which randomness. */
export interface CrashModelOptions {
  /** Also build power-loss states (for `durability: 'fsync'`, which promises to survive them). */
  readonly powerLoss: boolean
  /** Crash points kept (first and last always); more are sampled down. */
  readonly maxPoints: number
  /** Writes torn (each at its first byte, middle, last byte and one random position); more are sampled down. */
  readonly maxTornWrites: number
  /** Random subsets of the unsynced changes dropped at each point, besides dropping them all. */
  readonly randomSubsets: number
  /** Uniform in [0, 1): seeded by the caller, so every state is reproducible. */
  readonly random: () => number
}

/** A small seeded PRNG (mulberry32). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function sample<T>(items: readonly T[], max: number, random: () => number, keepEnds: boolean): T[] {
  if (items.length <= max) return [...items]
  const chosen = new Set<number>(keepEnds ? [0, items.length - 1] : [])
  while (chosen.size < max) chosen.add(Math.floor(random() * items.length))
  return [...chosen].sort((a, b) => a - b).map((i) => items[i] as T)
}

/** A short description of one recorded entry, for failure messages. */
export function describeOp(op: RecordedOp | undefined): string {
  if (op === undefined) return 'end'
  switch (op.kind) {
    case 'open':
      return `open ${basename(op.path)} ${String(op.flags)}${op.created ? ' (created)' : ''}`
    case 'write':
      return `write ${op.path === undefined ? '(unlinked)' : basename(op.path)} @${op.position} ${op.bytes.length}B`
    case 'ftruncate':
      return `ftruncate ${op.path === undefined ? '(unlinked)' : basename(op.path)} to ${op.length}`
    case 'fsync':
    case 'fdatasync':
      return `${op.kind} ${op.path === undefined ? '(unlinked)' : basename(op.path)}`
    case 'rename':
      return `rename ${basename(op.from)} -> ${basename(op.to)}`
    case 'unlink':
    case 'mkdir':
      return `${op.kind} ${basename(op.path)}`
    case 'mark':
      return `mark ${op.label} ${op.value ?? ''}`
  }
}

/**
 * The crash states of one recording: every crash point (just before each change, and at the end; sampled down to
 * `maxPoints`), the last write before a point torn at a few byte positions, and, with `powerLoss`, each point with
 * all its unsynced changes dropped plus a few random subsets of them dropped.
 */
export function crashStates(ops: readonly RecordedOp[], options: CrashModelOptions): CrashState[] {
  const isSync = (op: RecordedOp): boolean => op.kind === 'fsync' || op.kind === 'fdatasync'
  const allPoints: number[] = []
  ops.forEach((op, i) => {
    if (changesFiles(op) || (options.powerLoss && isSync(op))) allPoints.push(i)
  })
  allPoints.push(ops.length)
  const points = sample(allPoints, options.maxPoints, options.random, true)
  const states: CrashState[] = points.map((end) => ({ kind: 'prefix', label: `prefix before op ${end} (${describeOp(ops[end])})`, end, marksBefore: end }))

  const writes: number[] = []
  ops.forEach((op, i) => {
    if (op.kind === 'write' && changesFiles(op) && op.bytes.length >= 2) writes.push(i)
  })
  for (const q of sample(writes, options.maxTornWrites, options.random, false)) {
    const length = (ops[q] as Extract<RecordedOp, { kind: 'write' }>).bytes.length
    const cuts = new Set([1, Math.floor(length / 2), length - 1, 1 + Math.floor(options.random() * (length - 1))])
    for (const tornBytes of cuts) {
      states.push({ kind: 'torn', label: `op ${q} (${describeOp(ops[q])}) torn after ${tornBytes} of ${length} bytes`, end: q + 1, tornBytes, marksBefore: q })
    }
  }

  if (options.powerLoss) {
    for (const end of points) {
      const unsynced = unsyncedOps(ops, end)
      if (unsynced.length === 0) continue
      const subsets = [unsynced]
      for (let i = 0; i < options.randomSubsets && unsynced.length >= 2; i++) {
        const subset = unsynced.filter(() => options.random() < 0.5)
        if (subset.length > 0 && subset.length < unsynced.length) subsets.push(subset)
      }
      for (const drop of subsets) {
        const what = drop.map((i) => `${i} (${describeOp(ops[i])})`).join(', ')
        states.push({ kind: 'power', label: `power loss before op ${end}, dropping ${what}`, end, drop: new Set(drop), marksBefore: end })
      }
    }
  }
  return states
}

/**
 * Before `position`: which workload writes had returned (`ack` markers), which one had begun without returning, and
 * which had returned before the last `synced` marker (a returned `sink.sync()`: those must survive power loss).
 */
export function acknowledgedBefore(ops: readonly RecordedOp[], position: number): { acked: number[]; inFlight: number[]; synced: number[] } {
  const begun = new Set<number>()
  const acked: number[] = []
  let synced: number[] = []
  for (const op of ops.slice(0, position)) {
    if (op.kind !== 'mark') continue
    if (op.label === 'synced') synced = [...acked]
    if (op.value === undefined) continue
    if (op.label === 'begin') begun.add(op.value)
    if (op.label === 'ack') {
      acked.push(op.value)
      begun.delete(op.value)
    }
  }
  return { acked, inFlight: [...begun], synced }
}
