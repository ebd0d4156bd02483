import { existsSync } from 'node:fs'
import * as path from 'node:path'
import { Worker } from 'node:worker_threads'
import { AuditrailError, NOFOLLOW_FLAGS, fsyncDirectory, tempPathFor, withGetters, writeFully, type FileIo } from '@auditrail/core'
import { HEADER_END, encodeHeader, gapFor } from './json-layout.js'
import { copyRange } from './gap-file.js'
import {
  buildRegrownLog,
  CANCEL,
  CONTROL_BYTES,
  COPIED_FROM,
  FAILED,
  IDLE,
  PUBLISHED,
  QUEUED,
  READY,
  RUNNING,
  STATE,
  shiftOf,
  type RegrowMessage,
  type RegrowPlan,
} from './regrow-steps.js'

/**
 * Where a JSON log's gap is regrown: `'worker'`, a worker thread builds the new file while the writer keeps appending;
 * `'inline'`, the same steps on the writer's thread, through its `io`; `'sync'`, one whole rewrite when the gap is full.
 */
export type RegrowthMode = 'worker' | 'inline' | 'sync'

/** Option `regrowth` of the JSON sink. */
export interface RegrowthOptions {
  /** Default `'worker'` with the default `io`, `'sync'` with a custom one (a worker thread cannot call it). */
  readonly mode?: RegrowthMode
  /** Logs whose body is smaller regrow synchronously (it takes well under a millisecond). Default 1 MiB. */
  readonly minBodyBytes?: number
}

/** See {@link RegrowthOptions.minBodyBytes}. */
export const DEFAULT_MIN_BODY_BYTES = 1 << 20
/**
 * After seeing another writer's changes, this long without starting a job: with several writers each would copy the
 * same log at once (each process its own worker, on the same cores) and all but one copy would be thrown away.
 */
const SHARED_QUIET_MS = 1000
/** How long the writer waits for a worker whose copy it needs before giving up on it and rewriting on its own. */
const WAIT_LIMIT_MS = 30_000

/** How far the writer moves the gap end between two publications to the worker. */
const PUBLISH_BYTES = 16 * 1024

/** The open log as the regrower needs it: the writer's descriptor (on inode `ino`), and where its gap ends now. */
export interface OpenLog {
  readonly fd: number
  readonly size: number
  readonly gapEnd: number
}

/** `queued`: posted to a worker thread that has not picked it up yet (it may still be starting). */
type JobStatus = 'queued' | 'running' | 'ready' | 'failed'

interface RegrowJob {
  readonly plan: Omit<RegrowPlan, 'sourceFd' | 'tempFd'>
  readonly tempPath: string
  readonly tempIno: number
  readonly sourceIno: number
  poll(): JobStatus
  /** Blocks until the job is no longer running (a queued job is not waited for). */
  wait(): Exclude<JobStatus, 'running'>
  /** Once ready: the old-log offset from which the new file holds a durable copy. */
  copiedFrom(): number
  publish(gapEnd: number): void
  /** Stops the job and closes its descriptors; the caller removes the temporary file unless it renamed it. */
  end(): void
  /** Blocks until `end` took effect (a worker closes its descriptors on its own thread). */
  settle(): void
  /** True once `end` took effect. */
  settled(): boolean
}

/** Regrowing the gap of one JSON log off the critical path (see {@link RegrowthMode}). */
export interface Regrower {
  /** True while a job runs or waits to be finished. */
  readonly busy: boolean
  /** After an append: tells the job where the gap ends now, or starts one when the gap runs low. */
  appended(log: OpenLog, ino: number): void
  /**
   * Before an append: when the job is done (or, with `needed`, after waiting for it), moves the events appended since
   * into the new file and renames it over the log. True when the log was replaced: the caller re-reads it.
   */
  finish(log: OpenLog, ino: number, needed: boolean): boolean
  /** Abandons the job in progress, if any. */
  cancel(): void
  /** The log was replaced by a synchronous rewrite: background regrowth may be tried again. */
  replaced(): void
  /** Another writer changed the log since this one last held it: regrow synchronously for a while (see SHARED_QUIET_MS). */
  shared(): void
  /** Cancels the job in progress and waits until its descriptors are closed. */
  close(): void
}

// One regrowth thread per process, started on first need and shared by every JSON sink in it (jobs queue in order):
// a thread per sink would boot again for every logger a process opens, and each boot costs tens of milliseconds of CPU.
let worker: Worker | undefined
let workerBroken = false
let warming = false
let lastJobId = 0

function ensureWorker(): Worker | undefined {
  if (worker !== undefined || workerBroken) return worker
  try {
    const compiled = new URL('./regrow-worker.js', import.meta.url)
    // Tests run this module from its TypeScript source; the worker always runs compiled (`tsc -b` comes first).
    const thread = new Worker(existsSync(compiled) ? compiled : new URL('../dist/regrow-worker.js', import.meta.url))
    // Never keeps the process alive; a job cut short by exit leaves a temporary file the next writer removes.
    thread.unref()
    thread.on('error', () => {
      workerBroken = true
    })
    worker = thread
  } catch {
    workerBroken = true
  }
  return worker
}

/** The log a {@link Regrower} works for, and how its sink writes it. */
export interface RegrowTarget {
  readonly io: FileIo
  /** The caller passed its own io (a worker thread cannot call it). */
  readonly customIo: boolean
  readonly file: string
  readonly fileMode: number
  readonly fsync: boolean
  /** True when another writer has waited for the lock during this tenure: the log is shared. */
  readonly othersWaiting: () => boolean
}

/**
 * Resolves `options` against the io in use: undefined when regrowth stays synchronous. Throws an `options` error
 * naming the field.
 */
export function createRegrower(options: RegrowthOptions | undefined, target: RegrowTarget): Regrower | undefined {
  const { io, customIo, file, fileMode, fsync, othersWaiting } = target
  validateRegrowthOptions(options)
  const mode = options?.mode ?? (customIo ? 'sync' : 'worker')
  if (mode === 'sync') return undefined
  if (mode === 'worker' && customIo) {
    throw new AuditrailError('options', 'regrowth.mode: "worker" cannot use a custom io (a worker thread calls node:fs); use "inline"', {
      component: 'sink-json',
      field: 'regrowth.mode',
    })
  }
  const minBodyBytes = options?.minBodyBytes ?? DEFAULT_MIN_BODY_BYTES
  let job: RegrowJob | undefined
  // Jobs ended whose worker may still hold descriptors: close() waits for them.
  let ending: RegrowJob[] = []
  // After a failed job, this log is not tried again in the background until it is next replaced: it regrows
  // synchronously, where a persistent failure is reported with the event it fails. (Not an inode number: a new file
  // often gets the number of the one it replaced.)
  let skip = false
  let quietUntil = 0

  /** Creates the new file (empty, our mode, never through a link) and returns its inode. */
  function createTemp(tempPath: string): number | undefined {
    try {
      const fd = io.openSync(tempPath, NOFOLLOW_FLAGS.create, fileMode)
      try {
        return io.fstatSync(fd).ino
      } finally {
        closeQuietly(io, fd)
      }
    } catch {
      unlinkQuietly(io, tempPath)
      return undefined
    }
  }

  function startWorkerJob(ino: number, plan: RegrowJob['plan'], tempPath: string, tempIno: number): RegrowJob | undefined {
    const thread = ensureWorker()
    if (thread === undefined) return undefined
    const control = new SharedArrayBuffer(CONTROL_BYTES)
    const state = new Int32Array(control, 0, 2)
    const positions = new BigInt64Array(control, 8, 2)
    Atomics.store(state, STATE, QUEUED)
    Atomics.store(positions, PUBLISHED, BigInt(plan.gapEnd))
    let published = plan.gapEnd
    const post = (message: RegrowMessage): void => thread.postMessage(message)
    const id = ++lastJobId
    post({ kind: 'start', id, files: { file, fileIno: ino, tempPath, tempIno }, plan, control })
    const status = (): JobStatus => {
      const value = Atomics.load(state, STATE)
      return value === QUEUED ? 'queued' : value === RUNNING ? 'running' : value === READY ? 'ready' : 'failed'
    }
    /** Waits while the state is `from`, up to the limit (a worker that died never changes it). */
    const waitWhile = (from: number): void => {
      const deadline = Date.now() + WAIT_LIMIT_MS
      for (let left = WAIT_LIMIT_MS; Atomics.load(state, STATE) === from && !workerBroken && left > 0; left = deadline - Date.now()) {
        Atomics.wait(state, STATE, from, Math.min(left, 1000))
      }
    }
    return {
      plan,
      tempPath,
      tempIno,
      sourceIno: ino,
      poll: status,
      wait() {
        waitWhile(RUNNING)
        const settled = status()
        return settled === 'running' ? 'failed' : settled
      },
      copiedFrom: () => Number(Atomics.load(positions, COPIED_FROM)),
      publish(gapEnd) {
        // Every 16 KiB of events, not every event (a BigInt each): the worker only needs a recent point it may copy up to,
        // and the writer copies whatever lies beyond the worker's last round at the commit.
        if (published - gapEnd < PUBLISH_BYTES) return
        published = gapEnd
        Atomics.store(positions, PUBLISHED, BigInt(gapEnd))
      },
      end() {
        Atomics.store(state, CANCEL, 1)
        post({ kind: 'end', id, control })
      },
      settle() {
        for (const from of [QUEUED, RUNNING, READY, FAILED]) waitWhile(from)
      },
      settled: () => Atomics.load(state, STATE) === IDLE,
    }
  }

  function startInlineJob(log: OpenLog, ino: number, plan: RegrowJob['plan'], tempPath: string, tempIno: number): RegrowJob {
    let copiedFrom: number | undefined
    try {
      const sourceFd = io.openSync(file, NOFOLLOW_FLAGS.read)
      try {
        const tempFd = io.openSync(tempPath, NOFOLLOW_FLAGS.update)
        try {
          if (io.fstatSync(sourceFd).ino === ino && io.fstatSync(tempFd).ino === tempIno) {
            copiedFrom = buildRegrownLog(io, { ...plan, sourceFd, tempFd }, () => log.gapEnd, () => false)
          }
        } finally {
          closeQuietly(io, tempFd)
        }
      } finally {
        closeQuietly(io, sourceFd)
      }
    } catch {
      // As for the worker: this log then regrows synchronously.
    }
    const status = (): 'ready' | 'failed' => (copiedFrom === undefined ? 'failed' : 'ready')
    return { plan, tempPath, tempIno, sourceIno: ino, poll: status, wait: status, copiedFrom: () => copiedFrom ?? plan.gapEnd, publish() {}, end() {}, settle() {}, settled: () => true }
  }

  /** Ends `current`; unless it was renamed over the log, removes its file, and with `failed` rests until the next replacement. */
  function drop(current: RegrowJob, renamed: boolean, failed: boolean): void {
    job = undefined
    current.end()
    ending = ending.filter((old) => !old.settled())
    ending.push(current)
    if (renamed) return
    if (failed) skip = true
    try {
      // Our own file only: another writer may have removed it (and a name is never trusted on its own).
      if (io.lstatSync(current.tempPath).ino === current.tempIno) io.unlinkSync(current.tempPath)
    } catch {
      // Already gone; a stray one is removed by the next writer that opens the log.
    }
  }

  /** Moves the events appended since the copy into the new file, makes it durable and renames it over the log. */
  function commit(current: RegrowJob, log: OpenLog, ino: number): boolean {
    const { plan } = current
    const shift = shiftOf(plan)
    const copiedFrom = current.copiedFrom()
    // Only the inode the copy was made from, and only if every event since fits in the new gap.
    if (ino !== current.sourceIno || log.gapEnd > copiedFrom || log.gapEnd + shift < HEADER_END) return false
    try {
      const tempFd = io.openSync(current.tempPath, NOFOLLOW_FLAGS.update)
      try {
        // Our own file still: another writer removes temporary files it finds when it opens the log.
        if (io.fstatSync(tempFd).ino !== current.tempIno) return false
        copyRange(io, log.fd, log.gapEnd, copiedFrom - log.gapEnd, tempFd, log.gapEnd + shift)
        writeFully(io, tempFd, encodeHeader({ gapEnd: log.gapEnd + shift, dirty: false }), 1)
        // Every byte of the new file is on disk before the rename, in either durability: as for a synchronous rewrite.
        io.fdatasyncSync(tempFd)
      } finally {
        closeQuietly(io, tempFd)
      }
      io.renameSync(current.tempPath, file)
    } catch {
      // The log is as it was, and valid: the event is appended to it, or the writer rewrites it synchronously.
      return false
    }
    return true
  }

  const methods: Omit<Regrower, 'busy'> = {
    appended(log, ino) {
      if (job !== undefined) {
        job.publish(log.gapEnd)
        return
      }
      const body = log.size - log.gapEnd
      const free = log.gapEnd - HEADER_END
      // The thread takes tens of milliseconds to start: start it before the first job needs it (not while sharing), on the
      // next turn of the event loop, so that no logEvent call pays the 2 ms its constructor blocks for. (A synchronous
      // burst never yields: its first job starts the thread itself.)
      if (mode === 'worker' && worker === undefined && !workerBroken && !warming && body * 2 >= minBodyBytes && Date.now() >= quietUntil) {
        warming = true
        setImmediate(ensureWorker)
      }
      // Started once about 60% of a gap the size of the body is used: the copy has the rest of the gap's time to finish.
      if (body < minBodyBytes || free * 4 >= body || skip || Date.now() < quietUntil) return
      if (othersWaiting()) {
        // Shared: each writer would copy the same log at once (see SHARED_QUIET_MS).
        regrower.shared()
        return
      }
      const tempPath = tempPathFor(file)
      const tempIno = createTemp(tempPath)
      const plan = { gapEnd: log.gapEnd, size: log.size, gapBytes: gapFor(log.size - HEADER_END, 0) }
      job = tempIno === undefined ? undefined : mode === 'worker' ? startWorkerJob(ino, plan, tempPath, tempIno) : startInlineJob(log, ino, plan, tempPath, tempIno)
      if (job === undefined) {
        skip = true
        if (tempIno !== undefined) unlinkQuietly(io, tempPath)
      }
    },
    finish(log, ino, needed) {
      const current = job
      if (current === undefined) return false
      const status = needed ? current.wait() : current.poll()
      if (status === 'running') return false
      if (status === 'queued') {
        // The gap is full and the worker thread has not even started (it takes tens of milliseconds to boot, in which a
        // burst can fill a small log's gap): rewriting now is quicker than waiting. Otherwise waiting beats redoing a copy
        // under way.
        if (needed) drop(current, false, false)
        return false
      }
      const renamed = status === 'ready' && commit(current, log, ino)
      drop(current, renamed, !renamed)
      if (renamed) skip = false
      if (renamed && fsync) fsyncDirectory(io, path.dirname(file))
      return renamed
    },
    cancel() {
      if (job !== undefined) drop(job, false, false)
    },
    replaced() {
      skip = false
    },
    shared() {
      quietUntil = Date.now() + SHARED_QUIET_MS
    },
    close() {
      regrower.cancel()
      // Closing leaves no descriptor of ours open. (The thread stays for other sinks; it never keeps the process alive.)
      for (const old of ending) old.settle()
      ending = []
    },
  }
  const regrower: Regrower = withGetters(methods, { busy: () => job !== undefined })
  return regrower
}

function validateRegrowthOptions(options: RegrowthOptions | undefined): void {
  if (options === undefined) return
  const fail = (field: string, message: string): never => {
    throw new AuditrailError('options', `${field}: ${message}`, { component: 'sink-json', field })
  }
  if (typeof options !== 'object' || options === null) fail('regrowth', 'expected an object')
  const { mode, minBodyBytes } = options
  if (mode !== undefined && mode !== 'worker' && mode !== 'inline' && mode !== 'sync') {
    fail('regrowth.mode', `expected "worker" | "inline" | "sync", got ${JSON.stringify(mode)}`)
  }
  if (minBodyBytes !== undefined && (typeof minBodyBytes !== 'number' || !Number.isSafeInteger(minBodyBytes) || minBodyBytes < 0)) {
    fail('regrowth.minBodyBytes', `expected a non-negative integer, got ${JSON.stringify(minBodyBytes)}`)
  }
}

function closeQuietly(io: FileIo, fd: number): void {
  try {
    io.closeSync(fd)
  } catch {
    // A descriptor of a finished or abandoned job: nothing was left to write through it.
  }
}

function unlinkQuietly(io: FileIo, file: string): void {
  try {
    io.unlinkSync(file)
  } catch {
    // Already gone is fine; a stray temporary file is removed by the next writer that opens the log.
  }
}
