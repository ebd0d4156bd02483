import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isAvailable, needsTag, POSTGRES } from './support/system-requirements.js'
import { startPostgres, type PostgresServer } from '@auditrail/testkit'
import { checkTrail, spawnPgWriter, type PgWriter } from './support/pg-writers.js'

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** Waits until `predicate` holds (polling), failing after `ms`. */
async function until(predicate: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(20)
  }
}

function expectSound(check: Awaited<ReturnType<typeof checkTrail>>): void {
  expect(check.findings).toEqual([])
  expect(check.lostAcknowledged).toEqual([])
  expect(check.unexplained).toEqual([])
  expect(check.seqMismatch).toEqual([])
  expect(check.fifoBroken).toEqual([])
  expect(check.orderBroken).toEqual([])
}

describe.skipIf(!isAvailable(POSTGRES))(`many writer processes, one PostgreSQL trail ${needsTag(POSTGRES)}`, () => {
  let server: PostgresServer
  beforeAll(async () => {
    server = await startPostgres()
  })
  afterAll(async () => {
    await server?.destroy()
  })

  it('6 hosts append concurrently, some SIGKILLed at random: one order, per-writer FIFO, one chain; acknowledged ⊆ table ⊆ launched', async () => {
    const writers: PgWriter[] = Array.from({ length: 6 }, (_, w) => spawnPgWriter(server.url, `host-${w}`, 250, 8, 'writers'))
    // Three of them are killed at random moments once they have started acknowledging.
    const victims = writers.slice(0, 3)
    await Promise.all(
      victims.map(async (victim) => {
        await until(() => victim.acked.size > 0, 30_000, `${victim.host}'s first acknowledgement`)
        await sleep(Math.floor(Math.random() * 400))
        victim.child.kill('SIGKILL')
      }),
    )
    const codes = await Promise.all(writers.map((w) => w.exited))
    expect(codes.slice(3)).toEqual([0, 0, 0])
    const check = await checkTrail(server.url, 'writers', writers)
    expectSound(check)
    for (const survivor of writers.slice(3)) expect(survivor.acked.size).toBeGreaterThanOrEqual(250)
    expect(check.rows.length).toBeGreaterThanOrEqual(writers.reduce((n, w) => n + w.acked.size, 0))
    expect(new Set(check.rows.map((r) => r.host)).size).toBe(6)
  })

  it('kill -9 of the server mid-load, restart: every acknowledged event is there, the chain intact, the writers resume', async () => {
    const writers: PgWriter[] = Array.from({ length: 4 }, (_, w) => spawnPgWriter(server.url, `crash-${w}`, 1500, 8, 'server_crash'))
    await until(() => writers.every((w) => w.acked.size >= 30), 30_000, 'every writer acknowledged 30 events')
    await server.kill9()
    const ackedAtCrash = writers.map((w) => w.acked.size)
    await sleep(500)
    await server.start()
    const codes = await Promise.all(writers.map((w) => w.exited))
    expect(codes).toEqual([0, 0, 0, 0])
    writers.forEach((w, i) => expect(w.acked.size).toBeGreaterThan(ackedAtCrash[i] as number))
    expect(writers.some((w) => w.errors.length > 0)).toBe(true)
    expectSound(await checkTrail(server.url, 'server_crash', writers))
  })
})
