import { nodeFileIo, readAt, type FileIo } from './file-io.js'

/** Bytes read at a time; also the spacing of the checkpoints a reverse read keeps. */
export const BLOCK = 1 << 20

/** What a framing reports while it scans: where records start and end, and what is wrong between them. */
export type Mark =
  | { readonly kind: 'start'; readonly at: number }
  | { readonly kind: 'end'; readonly at: number }
  | { readonly kind: 'problem'; readonly at: number; readonly severity: 'error' | 'warning'; readonly message: string }

/**
 * A byte-level state machine that finds record boundaries (JSON array elements, CSV rows). Its state is a
 * small immutable value, so a reverse read can checkpoint it at every block and rescan any block alone.
 */
export interface Framing<S> {
  readonly initial: S
  /** Scans `block` (which starts at file offset `base`) from `state`, pushing marks; returns the state after it. */
  scan(block: Buffer, base: number, state: S, marks: Mark[]): S
  /** Pushes the marks due at end of input `end` in `state` (an unterminated record, say). */
  finish(state: S, end: number, marks: Mark[]): void
}

/** One record's bytes, or a problem found between records. */
export type RecordItem =
  | { readonly kind: 'record'; readonly start: number; readonly end: number; readonly bytes: Buffer }
  | { readonly kind: 'problem'; readonly at: number; readonly severity: 'error' | 'warning'; readonly message: string }

/** Called with the fraction of the work done, from 0 to 1. */
export type Progress = (fraction: number) => void

function problem(mark: Mark): RecordItem | undefined {
  return mark.kind === 'problem' ? mark : undefined
}

/**
 * Streams the records of `[from, to)` in file order (`forward`) or reverse, in memory bounded by one block plus
 * the longest record, whatever the file's length. Reverse takes two passes: the first checkpoints the framing's
 * state at each block (and reports every problem), the second rescans blocks from the last to the first.
 */
export function* streamRecords<S>(
  fd: number,
  framing: Framing<S>,
  from: number,
  to: number,
  direction: 'forward' | 'reverse',
  progress?: Progress,
  io: FileIo = nodeFileIo,
): Generator<RecordItem> {
  if (direction === 'forward') yield* forward(io, fd, framing, from, to, progress)
  else yield* reverse(io, fd, framing, from, to, progress)
}

function* forward<S>(io: FileIo, fd: number, framing: Framing<S>, from: number, to: number, progress?: Progress): Generator<RecordItem> {
  let state = framing.initial
  // `held` holds the file's bytes from `heldAt` on: the open record's start so far.
  let held: Buffer = Buffer.alloc(0)
  let heldAt = from
  let open = -1
  const emit = function* (marks: Mark[], data: Buffer, dataAt: number): Generator<RecordItem> {
    for (const mark of marks) {
      if (mark.kind === 'start') open = mark.at
      else if (mark.kind === 'end') {
        if (open >= 0) yield { kind: 'record', start: open, end: mark.at, bytes: data.subarray(open - dataAt, mark.at - dataAt) }
        open = -1
      } else yield mark
    }
  }
  for (let pos = from; pos < to; pos += BLOCK) {
    const block = readAt(io, fd, pos, Math.min(BLOCK, to - pos))
    if (block.length === 0) break
    const data = held.length > 0 ? Buffer.concat([held, block]) : block
    const dataAt = held.length > 0 ? heldAt : pos
    const marks: Mark[] = []
    state = framing.scan(block, pos, state, marks)
    yield* emit(marks, data, dataAt)
    held = open >= 0 ? data.subarray(open - dataAt) : Buffer.alloc(0)
    heldAt = open >= 0 ? open : pos + block.length
    progress?.((pos + block.length - from) / Math.max(1, to - from))
  }
  const marks: Mark[] = []
  framing.finish(state, to, marks)
  for (const mark of marks) {
    const item = problem(mark)
    if (item !== undefined) yield item
  }
}

function* reverse<S>(io: FileIo, fd: number, framing: Framing<S>, from: number, to: number, progress?: Progress): Generator<RecordItem> {
  const checkpoints: S[] = []
  let state = framing.initial
  const span = Math.max(1, to - from)
  for (let pos = from; pos < to; pos += BLOCK) {
    checkpoints.push(state)
    const block = readAt(io, fd, pos, Math.min(BLOCK, to - pos))
    const marks: Mark[] = []
    state = framing.scan(block, pos, state, marks)
    for (const mark of marks) {
      const item = problem(mark)
      if (item !== undefined) yield item
    }
    progress?.(((pos + block.length - from) / span) * 0.5)
  }
  const endMarks: Mark[] = []
  framing.finish(state, to, endMarks)
  for (const mark of endMarks) {
    const item = problem(mark)
    if (item !== undefined) yield item
  }
  // A record whose end lies in a later block than its start: its end, carried down to the block of its start.
  let pendingEnd = -1
  for (let k = checkpoints.length - 1; k >= 0; k--) {
    const pos = from + k * BLOCK
    const block = readAt(io, fd, pos, Math.min(BLOCK, to - pos))
    const marks: Mark[] = []
    framing.scan(block, pos, checkpoints[k] as S, marks)
    for (let i = marks.length - 1; i >= 0; i--) {
      const mark = marks[i] as Mark
      if (mark.kind === 'end') pendingEnd = mark.at
      else if (mark.kind === 'start' && pendingEnd >= 0) {
        const bytes = pendingEnd <= pos + block.length ? block.subarray(mark.at - pos, pendingEnd - pos) : readAt(io, fd, mark.at, pendingEnd - mark.at)
        yield { kind: 'record', start: mark.at, end: pendingEnd, bytes }
        pendingEnd = -1
      }
    }
    progress?.(0.5 + ((to - pos) / span) * 0.5)
  }
}
