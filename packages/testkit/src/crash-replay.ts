import * as fs from 'node:fs'
import * as path from 'node:path'
import type { RecordedOp } from './recording-io.js'

/** How to rebuild one crash state from a recording. */
export interface ReplayOptions {
  /** The directory the recorded workload ran in; every recorded path must lie inside it. */
  readonly from: string
  /** The directory to replay into: a copy of `from` as it was before the workload. */
  readonly to: string
  /** Indices (into the recording) of changes a power loss dropped: they are skipped. */
  readonly drop?: ReadonlySet<number>
  /** The last replayed change, if a write, lands only its first `bytes` bytes (a torn write). */
  readonly tornBytes?: number
}

/** True for the recorded entries that change what is on disk (as opposed to sync points, plain opens and markers). */
export function changesFiles(op: RecordedOp): boolean {
  switch (op.kind) {
    case 'open':
      return op.created || op.truncated
    case 'write':
      return op.path !== undefined && op.bytes.length > 0
    case 'ftruncate':
      return op.path !== undefined
    case 'rename':
    case 'unlink':
      return true
    case 'mkdir':
      return op.created !== undefined
    default:
      return false
  }
}

/**
 * Applies `ops[0..end)` onto `options.to`, skipping markers, sync points and the `drop`ped changes. Changes follow
 * files, not names: a write goes to wherever its file is in the replayed state, and is lost with the file when that
 * file's creation or its rename into place was dropped (as its data would be unreachable after the power cut).
 */
export function replayOps(ops: readonly RecordedOp[], end: number, options: ReplayOptions): void {
  const relocate = (p: string): string => {
    const rel = path.relative(options.from, p)
    if (rel.startsWith('..') || path.isAbsolute(rel)) throw new Error(`replay: ${p} lies outside ${options.from}`)
    return path.join(options.to, rel)
  }
  // Where each logical file is in the replayed state (`null`: nowhere); files first met already existing are where the recording saw them.
  const where = new Map<number, string | null>()
  const locate = (file: number, recorded: string | undefined): string | null => (where.has(file) ? (where.get(file) ?? null) : (recorded ?? null))
  const vacate = (name: string): void => {
    for (const [file, at] of where) if (at === name) where.set(file, null)
  }
  for (let i = 0; i < end; i++) {
    const op = ops[i] as RecordedOp
    const dropped = options.drop?.has(i) === true
    const torn = i === end - 1 ? options.tornBytes : undefined
    switch (op.kind) {
      case 'open':
        if (op.created) {
          if (dropped) where.set(op.file, null)
          else {
            vacate(op.path)
            where.set(op.file, op.path)
            fs.closeSync(fs.openSync(relocate(op.path), 'w'))
          }
        } else {
          if (!where.has(op.file)) where.set(op.file, op.path)
          const at = locate(op.file, op.path)
          if (op.truncated && !dropped && at !== null && fs.existsSync(relocate(at))) fs.truncateSync(relocate(at), 0)
        }
        break
      case 'write': {
        const at = locate(op.file, op.path)
        if (dropped || at === null || !fs.existsSync(relocate(at))) break
        const bytes = torn === undefined ? op.bytes : op.bytes.subarray(0, torn)
        const fd = fs.openSync(relocate(at), 'r+')
        try {
          fs.writeSync(fd, bytes, 0, bytes.length, op.position)
        } finally {
          fs.closeSync(fd)
        }
        break
      }
      case 'ftruncate': {
        const at = locate(op.file, op.path)
        if (!dropped && at !== null && fs.existsSync(relocate(at))) fs.truncateSync(relocate(at), op.length)
        break
      }
      case 'rename': {
        const at = locate(op.file, op.from)
        if (dropped || at === null || !fs.existsSync(relocate(at))) break
        fs.renameSync(relocate(at), relocate(op.to))
        vacate(op.to)
        where.set(op.file, op.to)
        break
      }
      case 'unlink':
        if (dropped) break
        vacate(op.path)
        fs.rmSync(relocate(op.path), { force: true })
        break
      case 'mkdir':
        fs.mkdirSync(relocate(op.path), { recursive: true })
        break
      default:
        // Sync points and markers change nothing on disk.
        break
    }
  }
}

/**
 * The changes in `ops[0..end)` a power cut at `end` may lose, under the usual POSIX reading (the ALICE paper's
 * weakest model, without reordering constraints): a write or truncation is durable once its file was fsync'ed or
 * fdatasync'ed afterwards (under any name); a creation, rename or unlink once its directory was fsync'ed
 * afterwards. Directories made by `mkdir` are taken as durable (workloads start in an existing directory).
 */
export function unsyncedOps(ops: readonly RecordedOp[], end: number): number[] {
  const unsynced: number[] = []
  for (let i = 0; i < end; i++) {
    const op = ops[i] as RecordedOp
    if (!changesFiles(op) || op.kind === 'mkdir') continue
    const later = ops.slice(i + 1, end)
    const fileSynced = (file: number): boolean => later.some((o) => (o.kind === 'fsync' || o.kind === 'fdatasync') && o.file === file)
    const dirSynced = (entry: string): boolean => later.some((o) => o.kind === 'fsync' && o.path === path.dirname(entry))
    let durable: boolean
    if (op.kind === 'write' || op.kind === 'ftruncate') durable = fileSynced(op.file)
    else if (op.kind === 'open') durable = (!op.created || dirSynced(op.path)) && (!op.truncated || fileSynced(op.file))
    else if (op.kind === 'rename') durable = dirSynced(op.to) && dirSynced(op.from)
    else durable = dirSynced((op as { path: string }).path)
    if (!durable) unsynced.push(i)
  }
  return unsynced
}
