import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createPostgresReader } from '@auditrail/sink-postgres'
import { AuditLogger } from 'auditrail'
import { isAvailable, needsTag, POSTGRES } from './support/system-requirements.js'
import { startReplicatedPair, type ReplicatedPair } from '@auditrail/testkit'
import { checkTrail, spawnPgWriter, type PgWriter } from './support/pg-writers.js'
import { tempDir } from './support/temp-dir.js'

const CLI = fileURLToPath(new URL('../packages/cli/dist/cli.js', import.meta.url))
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

describe.skipIf(!isAvailable(POSTGRES))(`failover to a synchronous standby ${needsTag(POSTGRES)}`, () => {
  let pair: ReplicatedPair
  beforeAll(async () => {
    pair = await startReplicatedPair()
  })
  afterAll(async () => {
    await pair?.destroy()
  })

  it('kill -9 of the primary mid-load, promote the standby: writers and the shipper reconnect through the multi-host string; nothing acknowledged lost, no duplicate, chain intact', async () => {
    const url = pair.multiHostUrl
    const dir = tempDir('auditrail-failover-')
    const logger = new AuditLogger(dir, 'failover', { integrity: 'sha256-chain' })
    for (let i = 0; i < 1500; i++) logger.logEvent('tag_add', 'success', { i })
    const writers: PgWriter[] = Array.from({ length: 3 }, (_, w) => spawnPgWriter(url, `fo-${w}`, 300, 4, 'failover'))
    const shipper = spawn(process.execPath, [CLI, 'ship', dir, '--to', url, '--host', 'shipper', '--log-id', 'fo-log', '--table', 'failover', '--batch', '100', '--follow', '--interval', '50'], {
      stdio: 'ignore',
      env: { ...process.env },
    })
    const shipperExit = new Promise((resolve) => shipper.on('exit', resolve))
    const deadline = Date.now() + 30_000
    while (!writers.every((w) => w.acked.size >= 40) && Date.now() < deadline) await sleep(20)
    expect(writers.every((w) => w.acked.size >= 40)).toBe(true)
    await pair.primary.kill9()
    const ackedAtFailover = writers.map((w) => w.acked.size)
    await sleep(300)
    await pair.promote()
    // Appended after the failover: the following shipper must cross it to get these across.
    for (let i = 1500; i < 2000; i++) logger.logEvent('tag_add', 'success', { i })
    logger.close()
    const codes = await Promise.all(writers.map((w) => w.exited))
    expect(codes).toEqual([0, 0, 0])
    writers.forEach((w, i) => expect(w.acked.size).toBeGreaterThan(ackedAtFailover[i] as number))
    // The standby, now the primary, holds every acknowledged event once, in one chain.
    const promoted = pair.standby.url
    const check = await checkTrail(promoted, 'failover', writers, ['shipper'])
    expect(check.lostAcknowledged).toEqual([])
    expect(check.unexplained).toEqual([])
    expect(check.seqMismatch).toEqual([])
    expect(check.fifoBroken).toEqual([])
    expect(check.findings).toEqual([])
    // The shipper got the whole local log across, once each, in order.
    const reader = createPostgresReader({ connection: promoted, table: 'failover' })
    let ordinals: (number | null)[] = []
    const until = Date.now() + 30_000
    while (Date.now() < until) {
      ordinals = []
      for await (const row of reader.rows({ host: 'shipper' })) ordinals.push(row.sourceOrdinal)
      if (ordinals.length >= 2000) break
      await sleep(100)
    }
    await reader.end()
    shipper.kill('SIGTERM')
    await shipperExit
    expect(ordinals).toEqual(Array.from({ length: 2000 }, (_, i) => i + 1))
  })
})
