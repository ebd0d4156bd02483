// Guarantee 4: a writer killed while holding the lock blocks the others only until the lock is stale.
// (a) A child logs, then is SIGKILLed holding the lock (blocked with it held, or mid-burst): a writer of this
//     process then succeeds (within its 15 s lock timeout; no timing is asserted) and the file holds every
//     acknowledged event, valid.
// (b) 8 contender processes, all started at once while a killed holder's lock is not yet stale, poll until it
//     is and race to take it over (proper-lockfile issue #121: two contenders can both "take over" one stale
//     lock; the implementation confirms a takeover after a pause). All their events land, once, in order.
//
// Rounds per format: `AUDITRAIL_TORTURE_RUNS` (default 1) for (b).
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import { AuditLogger, type AuditEvent } from 'auditrail'
import { afterEach, describe, expect, it } from 'vitest'
import { checkLog, readSideFile, reapCrashWriters, removeDir, spawnCrashWriter, tortureRuns, type FileFormat, type WriterRecord } from './support/crash-writers.js'
import { tempDir } from './support/temp-dir.js'

const STALE_MS = 2000
const CONTENDERS = 8
const CONTENDER_EVENTS = 25
const ROUNDS = tortureRuns(1)

afterEach(reapCrashWriters)

/** A fresh directory with room for the log and the children's side files. */
function workspace(): { root: string; dir: string; lock: (format: FileFormat) => string } {
  const root = tempDir('auditrail-stale-')
  const dir = join(root, 'log')
  return { root, dir, lock: (format) => join(dir, `audit_log.${format}.lock`) }
}

/** Starts a child that logs `count` events and then blocks holding the lock; SIGKILLs it there. Returns its record. */
async function killHolder(dir: string, root: string, format: FileFormat, writer: number, count: number): Promise<WriterRecord> {
  const holder = spawnCrashWriter({ dir, format, writer, count, seed: 1000 + writer, sideDir: root, staleMs: STALE_MS, mode: 'hold' })
  await holder.printed('holding')
  // It is blocked inside its tenure: the lock is there, and nobody will refresh or release it.
  expect(existsSync(join(dir, `audit_log.${format}.lock`))).toBe(true)
  holder.kill()
  expect((await holder.exited).signal).toBe('SIGKILL')
  return readSideFile(holder.sideFile, writer)
}

/** Logs `count` events from this process, each with its crash_id. */
function logHere(dir: string, format: FileFormat, writer: number, count: number): AuditEvent[] {
  const logger = new AuditLogger(dir, 'successor', { format, lock: { staleMs: STALE_MS } })
  try {
    return Array.from({ length: count }, (_, seq) => logger.logEvent('resume', 'success', { crash_id: { writer, seq }, reason: 'after «the crash»' }))
  } finally {
    logger.close()
  }
}

describe('a writer killed while holding the lock', () => {
  it.each(['json', 'csv'] as const)('%s: blocked holding the lock and killed, it delays the next writer only until the lock is stale', async (format) => {
    const { root, dir, lock } = workspace()
    try {
      const dead = await killHolder(dir, root, format, 0, 5)
      expect(dead.acks).toHaveLength(5)
      const mine = logHere(dir, format, 1, 3)
      const { events, problems } = checkLog(dir, format, [dead, { writer: 1, acks: mine, inFlight: undefined, errors: [] }])
      expect(problems).toEqual([])
      expect(events).toHaveLength(8)
      // Taken over and then released: no lock is left behind.
      expect(existsSync(lock(format))).toBe(false)
    } finally {
      await reapCrashWriters()
      removeDir(root)
    }
  })

  it.each(['json', 'csv'] as const)('%s: killed mid-burst (logging as fast as it can), it leaves a log the next writer continues', async (format) => {
    const { root, dir, lock } = workspace()
    try {
      const looping = spawnCrashWriter({ dir, format, writer: 0, count: 0, seed: 7, sideDir: root, staleMs: STALE_MS, mode: 'loop', announceAt: 40 })
      await looping.printed('at')
      await delay(3)
      looping.kill()
      expect((await looping.exited).signal).toBe('SIGKILL')
      const dead = readSideFile(looping.sideFile, 0)
      expect(dead.acks.length).toBeGreaterThanOrEqual(40)
      const mine = logHere(dir, format, 1, 3)
      const { problems } = checkLog(dir, format, [dead, { writer: 1, acks: mine, inFlight: undefined, errors: [] }])
      expect(problems).toEqual([])
      expect(existsSync(lock(format))).toBe(false)
    } finally {
      await reapCrashWriters()
      removeDir(root)
    }
  })
})

describe(`${CONTENDERS} contenders for one stale lock`, () => {
  it.each(['json', 'csv'] as const)(
    `%s: ${CONTENDERS} processes started at once against a killed holder's lock all get in, and lose or duplicate nothing`,
    async (format) => {
      for (let round = 0; round < ROUNDS; round++) {
        const { root, dir, lock } = workspace()
        try {
          const dead = await killHolder(dir, root, format, 0, 5)
          // Started while the dead holder's lock is still fresh: they all poll, then race when it turns stale.
          const contenders = Array.from({ length: CONTENDERS }, (_, i) =>
            spawnCrashWriter({ dir, format, writer: i + 1, count: CONTENDER_EVENTS, seed: round * 100 + i, sideDir: root, staleMs: STALE_MS }),
          )
          const exits = await Promise.all(contenders.map((c) => c.exited))
          const records = [dead, ...contenders.map((c) => readSideFile(c.sideFile, c.writer))]
          expect(records.flatMap((r) => r.errors)).toEqual([])
          expect(exits.map((e) => e.code)).toEqual(contenders.map(() => 0))
          // A compromised lock would mean two writers held it at once, whatever the file says afterwards.
          expect(contenders.map((c) => c.stderr()).filter((text) => /compromised/i.test(text))).toEqual([])
          const { events, problems } = checkLog(dir, format, records)
          expect(problems).toEqual([])
          expect(events).toHaveLength(5 + CONTENDERS * CONTENDER_EVENTS)
          expect(existsSync(lock(format))).toBe(false)
        } finally {
          await reapCrashWriters()
          removeDir(root)
        }
      }
    },
    ROUNDS * 30_000,
  )
})
