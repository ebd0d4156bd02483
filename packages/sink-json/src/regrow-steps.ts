import type { FileIo } from '@auditrail/core/file-io'
import { copyRange, writeGapPrefix } from './gap-file.js'
import { HEADER_END } from './json-layout.js'

/** What a regrowth copies, and where: a descriptor on the old log's inode, and the new file being built. */
export interface RegrowPlan {
  readonly sourceFd: number
  readonly tempFd: number
  /** The old log's gap end when the job started: its body, `[gapEnd, size)`, never changes in place. */
  readonly gapEnd: number
  readonly size: number
  /** Spaces in the new file's gap, before the events the writer appends meanwhile are moved into its end. */
  readonly gapBytes: number
}

/** Where an offset of the old log lands in the new file: its body keeps its bytes, moved by this many. */
export function shiftOf(plan: Pick<RegrowPlan, 'gapEnd' | 'gapBytes'>): number {
  return HEADER_END + plan.gapBytes - plan.gapEnd
}

/** Events appended since the copy began are caught up in rounds until fewer bytes than this remain for the writer. */
const CATCH_UP_BYTES = 64 * 1024
const CATCH_UP_ROUNDS = 8
/** The body is copied in slices of this size, checking for cancellation between them. */
const SLICE_BYTES = 8 << 20

/**
 * Builds the regrown log in `plan.tempFd`: the wider gap, then the old body, made durable (fdatasync); then the events
 * the writer appended meanwhile (`published()` is its gap end after its latest complete append), in rounds, each made
 * durable, until fewer than 64 KiB remain. Returns the old-log offset from which the new file holds a durable copy
 * (the writer copies the rest, renames, and the new file replaces the log); `undefined` once `cancelled()`.
 * Runs in a worker thread (with `node:fs`), or on the writer's thread through its `io` (regrowth `'inline'`).
 */
export function buildRegrownLog(io: FileIo, plan: RegrowPlan, published: () => number, cancelled: () => boolean): number | undefined {
  const { sourceFd, tempFd, gapEnd, size } = plan
  const shift = shiftOf(plan)
  writeGapPrefix(io, tempFd, plan.gapBytes)
  for (let at = gapEnd; at < size; at += SLICE_BYTES) {
    if (cancelled()) return undefined
    const length = Math.min(SLICE_BYTES, size - at)
    copyRange(io, sourceFd, at, length, tempFd, at + shift)
  }
  io.fdatasyncSync(tempFd)
  let copiedFrom = gapEnd
  for (let round = 0; round < CATCH_UP_ROUNDS; round++) {
    const top = published()
    if (copiedFrom - top < CATCH_UP_BYTES || cancelled()) break
    copyRange(io, sourceFd, top, copiedFrom - top, tempFd, top + shift)
    io.fdatasyncSync(tempFd)
    copiedFrom = top
  }
  return cancelled() ? undefined : copiedFrom
}

/** Slots of a job's shared `Int32Array`: its state, and the writer's request to stop. */
export const STATE = 0
export const CANCEL = 1
/**
 * Job states: no job (its descriptors closed); posted but not yet picked up (the worker thread may still be starting);
 * copying; copy done (the worker waits for `end`); gave up.
 */
export const IDLE = 0
export const QUEUED = 4
export const RUNNING = 1
export const READY = 2
export const FAILED = 3
/** Slots of a job's shared `BigInt64Array` (at byte 8): the writer's gap end, and where the copy starts. */
export const PUBLISHED = 0
export const COPIED_FROM = 1
/** Bytes of the shared buffer of one job. */
export const CONTROL_BYTES = 24

/**
 * Where a worker's job reads and writes: each thread opens its own descriptors (Node warns when a thread closes a
 * descriptor another opened), checked against the inode numbers the writer saw.
 */
export interface RegrowFiles {
  readonly file: string
  readonly fileIno: number
  readonly tempPath: string
  readonly tempIno: number
}

/**
 * What a writer tells the regrowth worker (`id`: the job's number, unique in the process: a SharedArrayBuffer arrives as a
 * new object with each message, so it cannot name the job): start a job; end it (the writer renamed the new file, or abandons it and
 * removes it itself), upon which the worker closes that job's descriptors and its state becomes IDLE.
 */
export type RegrowMessage =
  | { readonly kind: 'start'; readonly id: number; readonly files: RegrowFiles; readonly plan: Omit<RegrowPlan, 'sourceFd' | 'tempFd'>; readonly control: SharedArrayBuffer }
  | { readonly kind: 'end'; readonly id: number; readonly control: SharedArrayBuffer }
