// Guarantee 3 within one process: loggers in 12 worker_threads, started at one gate, and two loggers on the
// main thread's event loop, all on one rootLogDir. Every event is present once, each writer's in its call order,
// in one order in which timestamps strictly increase; the file stays valid for Python's json / csv modules.
import { setImmediate as nextTurn, setTimeout as delay } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import { AuditLogger, type AuditEvent } from 'auditrail'
import { afterEach, describe, expect, it } from 'vitest'
import { checkLog, crashId, removeDir, type FileFormat, type WriterRecord } from './support/crash-writers.js'
import { tempDir } from './support/temp-dir.js'

const THREAD_WRITER = fileURLToPath(new URL('./fixtures/thread-writer.mjs', import.meta.url))
const WORKERS = 12
const EVENTS_PER_WORKER = 150
const MAIN_LOGGERS = 2
const EVENTS_PER_MAIN_LOGGER = 60

const started = new Set<Worker>()
afterEach(async () => {
  // A failed test must not leave workers running into the next one.
  await Promise.all([...started].map((worker) => worker.terminate()))
  started.clear()
})

/** Starts one worker writer; resolves with the events its logEvent calls returned. */
function startWorker(dir: string, format: FileFormat, writer: number, gate: SharedArrayBuffer, integrity: boolean): { done: Promise<AuditEvent[]> } {
  const worker = new Worker(THREAD_WRITER, { workerData: { dir, format, writer, count: EVENTS_PER_WORKER, gate, integrity } })
  started.add(worker)
  const done = new Promise<AuditEvent[]>((resolve, reject) => {
    let acks: AuditEvent[] | undefined
    worker.once('message', (message: AuditEvent[]) => (acks = message))
    worker.once('error', reject)
    worker.once('exit', (code) => {
      started.delete(worker)
      if (acks !== undefined && code === 0) resolve(acks)
      else reject(new Error(`worker ${writer} exited with code ${code} without its events`))
    })
  })
  return { done }
}

/** A main-thread logger writing one event per event-loop turn, as a server handling requests would. */
async function mainThreadWriter(dir: string, format: FileFormat, writer: number, integrity: boolean): Promise<AuditEvent[]> {
  const logger = new AuditLogger(dir, `main-${writer}`, { format, lock: { staleMs: 2000 }, ...(integrity ? { integrity: 'sha256-chain' as const } : {}) })
  const acks: AuditEvent[] = []
  try {
    for (let seq = 0; seq < EVENTS_PER_MAIN_LOGGER; seq++) {
      await nextTurn()
      acks.push(logger.logEvent('note_write', seq % 5 === 0 ? 'failed' : 'success', { crash_id: { writer, seq }, note: `main ${writer} «${seq}»` }, seq % 5 === 0 ? 'a "quoted", error' : null))
    }
  } finally {
    logger.close()
  }
  return acks
}

describe('worker_threads and main-thread loggers on one directory', () => {
  it.each([
    ['json', false],
    ['csv', false],
    ['json', true],
    ['csv', true],
  ] as const)(
    `%s (hash chain: %s): ${WORKERS} workers × ${EVENTS_PER_WORKER} events and ${MAIN_LOGGERS} main-thread loggers lose, duplicate and reorder nothing`,
    async (format, integrity) => {
      const dir = tempDir('auditrail-threads-')
      try {
        // flags[0]: the gate (0 closed, 1 open); flags[1]: workers waiting at it.
        const gate = new SharedArrayBuffer(8)
        const flags = new Int32Array(gate)
        const workers = Array.from({ length: WORKERS }, (_, writer) => startWorker(dir, format, writer, gate, integrity))
        const arrived = Promise.race([
          (async () => {
            while (Atomics.load(flags, 1) < WORKERS) await delay(5)
          })(),
          // A worker that fails before the gate rejects here instead of leaving the loop waiting.
          Promise.all(workers.map((w) => w.done)).then(() => undefined),
        ])
        await arrived
        Atomics.store(flags, 0, 1)
        Atomics.notify(flags, 0)
        const main = Array.from({ length: MAIN_LOGGERS }, (_, i) => mainThreadWriter(dir, format, WORKERS + i, integrity))
        const acks = await Promise.all([...workers.map((w) => w.done), ...main])

        const records: WriterRecord[] = acks.map((events, writer) => ({ writer, acks: events, inFlight: undefined, errors: [] }))
        // With the chain on, every writer continued one chain: checkLog verifies it.
        const { events, problems } = checkLog(dir, format, records, { integrity })
        expect(problems).toEqual([])
        expect(events).toHaveLength(WORKERS * EVENTS_PER_WORKER + MAIN_LOGGERS * EVENTS_PER_MAIN_LOGGER)
        // The writers really overlapped: one after another, the log would switch writer only WORKERS + MAIN_LOGGERS - 1 times.
        const switches = events.filter((e, i) => i > 0 && crashId(e)?.writer !== crashId(events[i - 1] as AuditEvent)?.writer).length
        expect(switches).toBeGreaterThan(WORKERS + MAIN_LOGGERS - 1)
      } finally {
        removeDir(dir)
      }
    },
    60_000,
  )
})
