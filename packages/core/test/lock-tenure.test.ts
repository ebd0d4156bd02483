import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLockTenure, sleepSync, type LockTenure, type LockTenureOptions } from '@auditrail/core'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'

let dir: string
let file: string
const tenures: LockTenure[] = []

/** A tenure on `file` that counts its begins and ends (the lock taken, the lock about to be released). */
function tenureOn(options: LockTenureOptions): { tenure: LockTenure; begins: number[]; ends: number[] } {
  const begins: number[] = []
  const ends: number[] = []
  const tenure = createLockTenure(file, 'sink-json', { begin: () => void begins.push(Date.now()), end: () => void ends.push(Date.now()) }, options)
  tenures.push(tenure)
  return { tenure, begins, ends }
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** Waits (polling each turn, up to `limitMs`) until `done()`; returns whether it happened. */
async function eventually(done: () => boolean, limitMs = 5_000): Promise<boolean> {
  const deadline = Date.now() + limitMs
  while (!done() && Date.now() < deadline) await sleep(1)
  return done()
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'auditrail-tenure-'))
  file = join(dir, 'audit_log.json')
})

afterEach(() => {
  for (const tenure of tenures.splice(0)) tenure.end()
  rmSync(dir, { recursive: true, force: true })
})

describe('createLockTenure', () => {
  test('keeps the lock across a burst and releases it after at least idleMs of quiet', async () => {
    const { tenure, begins, ends } = tenureOn({ hold: { idleMs: 40 } })
    for (let i = 0; i < 100; i++) {
      tenure.enter()
      tenure.used()
    }
    const lastUse = Date.now()
    expect(begins).toHaveLength(1)
    expect(tenure.held).toBe(true)
    expect(await eventually(() => !tenure.held)).toBe(true)
    expect(ends).toHaveLength(1)
    // The idle timer never fires early: the lock outlived the last use by idleMs (1 ms of timer rounding allowed).
    expect((ends[0] as number) - lastUse).toBeGreaterThanOrEqual(39)
  })

  test('a writer using it once per event-loop turn keeps one tenure', async () => {
    // idleMs far above any pause between two turns, even on a loaded machine.
    const { tenure, begins, ends } = tenureOn({ hold: { idleMs: 1_000 } })
    const until = Date.now() + 150
    while (Date.now() < until) {
      tenure.enter()
      tenure.used()
      await nextTurn()
    }
    expect(begins).toHaveLength(1)
    expect(ends).toHaveLength(0)
    tenure.end()
    expect(ends).toHaveLength(1)
  })

  test('idleMs 0 releases on the next turn even while writes continue each turn', async () => {
    const { tenure, begins } = tenureOn({ hold: { idleMs: 0 } })
    tenure.enter()
    tenure.used()
    expect(await eventually(() => !tenure.held)).toBe(true)
    tenure.enter()
    tenure.used()
    expect(begins).toHaveLength(2)
  })

  test('within one synchronous stretch, ends the tenure after a third of the stale time and takes the lock again', () => {
    // staleMs 2000: a tenure lasts at most about 667 ms while the thread is blocked; the clock is read every few uses.
    const { tenure, begins, ends } = tenureOn({ staleMs: 2_000, hold: { idleMs: 60_000, maxMs: 60_000 } })
    const start = Date.now()
    while (Date.now() - start < 1_200) {
      tenure.enter()
      tenure.used()
      sleepSync(5)
    }
    expect(begins.length).toBeGreaterThanOrEqual(2)
    expect((ends[0] as number) - (begins[0] as number)).toBeGreaterThanOrEqual(666)
  })

  test('quietMs keeps the lock through quiet spells while nobody waits, and yields to a waiter without a use', async () => {
    const { tenure, begins, ends } = tenureOn({ hold: { idleMs: 2, quietMs: 60_000 } })
    tenure.enter()
    tenure.used()
    // Many idle periods pass without a use: held, since nobody waits.
    await sleep(60)
    expect(tenure.held).toBe(true)
    expect(ends).toHaveLength(0)
    // A waiter touches the marker: the quiet holder yields at its next idle check, with no further use.
    writeFileSync(`${file}.lock-wanted`, '')
    expect(await eventually(() => !tenure.held)).toBe(true)
    expect(begins).toHaveLength(1)
    expect(ends).toHaveLength(1)
  })

  test('quietMs is a bound: a quiet holder releases in the end even when nobody waits', async () => {
    const { tenure, ends } = tenureOn({ hold: { idleMs: 2, quietMs: 20 } })
    tenure.enter()
    tenure.used()
    expect(await eventually(() => !tenure.held)).toBe(true)
    expect(ends).toHaveLength(1)
  })

  test('yields to a waiting writer after maxMs, and not before one signals it is waiting', () => {
    const { tenure, begins, ends } = tenureOn({ hold: { idleMs: 60_000, maxMs: 20 } })
    const start = Date.now()
    // No waiter: the tenure outlives maxMs (no marker file: the holder's checks must not fail or yield).
    while (Date.now() - start < 100) {
      tenure.enter()
      tenure.used()
      sleepSync(1)
    }
    expect(ends).toHaveLength(0)
    // A waiter touches the marker: the holder yields at one of its next uses.
    writeFileSync(`${file}.lock-wanted`, '')
    for (let i = 0; i < 200 && ends.length === 0; i++) {
      tenure.enter()
      tenure.used()
      sleepSync(1)
    }
    expect(ends).toHaveLength(1)
    expect(begins).toHaveLength(1)
  })
})
