// The regrowth worker: builds a regrown JSON log (see buildRegrownLog) while the writer's thread keeps appending.
import { closeSync, constants, fstatSync, openSync } from 'node:fs'
import { parentPort } from 'node:worker_threads'
import { NOFOLLOW_FLAGS, nodeFileIo } from '@auditrail/core/file-io'
import { buildRegrownLog, CANCEL, COPIED_FROM, FAILED, IDLE, PUBLISHED, READY, RUNNING, STATE, type RegrowMessage, type RegrowPlan } from './regrow-steps.js'

// The descriptors of each job (by its id), closed when its writer ends it: several sinks of one process share this
// thread, and their jobs run one after another.
const held = new Map<number, number[]>()

function settle(control: SharedArrayBuffer, value: number): void {
  const state = new Int32Array(control, 0, 2)
  Atomics.store(state, STATE, value)
  Atomics.notify(state, STATE)
}

/** Opens `file` and checks it is still the inode the writer saw (never a link planted meanwhile: O_NOFOLLOW). */
function openChecked(fds: number[], file: string, flags: number, ino: number): number {
  const fd = openSync(file, flags)
  fds.push(fd)
  if (fstatSync(fd).ino !== ino) throw new Error(`${file} was replaced`)
  return fd
}

function closeHeld(id: number): void {
  // The source descriptor last: closing the old log's last descriptor frees its page cache, here and not on the writer.
  for (const fd of (held.get(id) ?? []).reverse()) {
    try {
      closeSync(fd)
    } catch {
      // Nothing is left to write through it; the process closes it at exit.
    }
  }
  held.delete(id)
}

function start(message: Extract<RegrowMessage, { kind: 'start' }>): number {
  const state = new Int32Array(message.control, 0, 2)
  const positions = new BigInt64Array(message.control, 8, 2)
  const { files } = message
  if (Atomics.load(state, CANCEL) === 1) return FAILED
  Atomics.store(state, STATE, RUNNING)
  const fds: number[] = []
  held.set(message.id, fds)
  try {
    const sourceFd = openChecked(fds, files.file, NOFOLLOW_FLAGS.read, files.fileIno)
    const tempFd = openChecked(fds, files.tempPath, constants.O_WRONLY | constants.O_NOFOLLOW, files.tempIno)
    const plan: RegrowPlan = { ...message.plan, sourceFd, tempFd }
    const from = buildRegrownLog(nodeFileIo, plan, () => Number(Atomics.load(positions, PUBLISHED)), () => Atomics.load(state, CANCEL) === 1)
    if (from === undefined) return FAILED
    Atomics.store(positions, COPIED_FROM, BigInt(from))
    return READY
  } catch {
    // The writer then regrows on its own thread, where a persistent failure is reported with the event it fails.
    return FAILED
  }
}

parentPort?.on('message', (message: RegrowMessage) => {
  if (message.kind === 'start') settle(message.control, start(message))
  else {
    closeHeld(message.id)
    settle(message.control, IDLE)
  }
})
