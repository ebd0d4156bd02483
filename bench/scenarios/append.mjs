// Targets 1, 2, 3 and 7: flat append cost, the floor, pino, one event per turn, and the original algorithm.
import { fork } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { AuditLogger } from '../../packages/auditrail/dist/index.js'
import { gapFor } from '../../packages/sink-json/dist/json-layout.js'
import { runChild } from '../children/run-child.mjs'
import { makeJsonLog, sampleEvent } from '../make-log.mjs'
import { median, nextTurn, perOp, tempDir } from '../measure.mjs'

const log = (logger, i) => {
  const e = sampleEvent(i)
  logger.logEvent(e.action_type, e.status, e.details, e.error)
}

/**
 * A batch runner of the burst scenarios in a process of its own (see children/burst.mjs): the floor (JSON.stringify +
 * fs.writeSync), pino with a synchronous destination, or auditrail's logEvent with a format and more AuditLogger options.
 */
function runner(kind, options = {}) {
  const script = fileURLToPath(new URL('../children/burst.mjs', import.meta.url))
  const child = fork(script, [kind, tempDir(`burst-${kind}`), JSON.stringify(options)])
  const exited = new Promise((resolve) => child.once('exit', resolve))
  return {
    /** Median-ready µs per event of one batch, timed in the child. */
    batch: (start, count, perTurn = false) =>
      new Promise((resolve, reject) => {
        const died = (code) => reject(new Error(`bench: the ${kind} runner exited (code ${code}) during a batch`))
        child.once('exit', died)
        child.once('message', ({ us }) => {
          child.off('exit', died)
          resolve(us)
        })
        child.send({ start, count, perTurn })
      }),
    close: async () => {
      child.disconnect()
      await exited
    },
  }
}

/**
 * Median µs per event of each runner, their batches interleaved round by round: on a shared machine whose speed drifts,
 * a baseline timed minutes apart from what it is compared with would measure the drift. A first round warms every
 * runner up and is not counted.
 */
async function interleaved(runners, reps, count, perTurn = false) {
  const samples = runners.map(() => [])
  for (let r = -1; r < reps; r++) {
    for (const [k, run] of runners.entries()) {
      const us = await run.batch((r + 1) * count, count, perTurn)
      if (r >= 0) samples[k].push(us)
    }
  }
  await Promise.all(runners.map((run) => run.close()))
  return samples.map(median)
}

/** Appending to a JSON log that already holds `existing` events, in the gap state our growth policy leaves. */
async function appendAt(existing, reps, count) {
  const dir = tempDir(`append-${existing}`)
  makeJsonLog(join(dir, 'audit_log.json'), existing, (body) => gapFor(body, 0))
  const logger = new AuditLogger(dir, 'bench', { format: 'json' })
  const append = await perOp(reps, count, async (r) => {
    for (let i = 0; i < count; i++) log(logger, existing + r * count + i)
  })
  logger.close()
  // The rewrite that regrows the gap, timed on its own and spread over the events the new gap then holds.
  const full = tempDir(`rewrite-${existing}`)
  const bodyBytes = makeJsonLog(join(full, 'audit_log.json'), existing, () => 200)
  const rewriter = new AuditLogger(full, 'bench', { format: 'json' })
  const start = process.hrtime.bigint()
  log(rewriter, existing)
  const rewriteUs = Number(process.hrtime.bigint() - start) / 1000
  rewriter.close()
  const eventsPerGap = gapFor(bodyBytes, 0) / (Buffer.byteLength(JSON.stringify(sampleEvent(existing))) + 2)
  return append + rewriteUs / eventsPerGap
}

/** What the Python original does per event: read the whole array, insert at the front, write it all back (indent 2). */
function originalAt(existing, count) {
  const file = join(tempDir(`original-${existing}`), 'audit_log.json')
  writeFileSync(file, JSON.stringify(Array.from({ length: existing }, (_, i) => sampleEvent(existing - 1 - i)), null, 2))
  const start = process.hrtime.bigint()
  for (let i = 0; i < count; i++) {
    const events = JSON.parse(readFileSync(file, 'utf8'))
    events.unshift(sampleEvent(existing + i))
    writeFileSync(file, JSON.stringify(events, null, 2))
  }
  return Number(process.hrtime.bigint() - start) / 1000 / count
}

/** Rows for the results table. */
export async function appendScenarios({ quick }) {
  const reps = quick ? 3 : 7
  const burst = quick ? 2_000 : 20_000
  const big = quick ? 20_000 : 1_000_000
  const turns = quick ? 300 : 3_000
  const [floorBurst, jsonBurst, csvBurst, pinoBurst, chainedBurst, redactedBurst] = await interleaved(
    [
      runner('floor'),
      runner('json'),
      runner('csv'),
      runner('pino'),
      // Issue #6's options cost something per event: the hash chain (one SHA-256 of the canonical event) and redaction.
      runner('json', { integrity: 'sha256-chain' }),
      runner('json', { redact: ['token', 'password', 'api_key', 'auth.secret'] }),
    ],
    reps,
    burst,
  )
  const [floorTurn, jsonTurn] = await interleaved([runner('floor'), runner('json')], reps, turns, true)
  const at1k = await appendAt(1_000, reps, burst)
  const atBig = await appendAt(big, reps, burst)
  const original1k = originalAt(1_000, quick ? 5 : 50)
  const original4k = originalAt(4_000, quick ? 3 : 20)
  const jsonAt4k = await appendAt(4_000, reps, quick ? 500 : 2_000)

  // How long another process waits for the lock while this one logs once per turn.
  const dir = tempDir('waiter')
  const holder = new AuditLogger(dir, 'holder', { format: 'json' })
  let stop = false
  const logging = (async () => {
    for (let i = 0; !stop; i++) {
      log(holder, i)
      await nextTurn()
    }
  })()
  const waits = []
  for (let r = 0; r < (quick ? 2 : 5); r++) waits.push((await runChild('lock-waiter', dir, 'json')).ms)
  stop = true
  await logging
  holder.close()

  return [
    { scenario: `JSON append, ${big.toLocaleString('en')} events stored (amortized rewrite incl.)`, value: atBig, baseline: at1k, baselineName: '1,000 stored', target: '≤ 1.5×', ok: atBig / at1k <= 1.5 },
    { scenario: 'JSON logEvent burst (validate, stamp, lock, write)', value: jsonBurst, baseline: floorBurst, baselineName: 'stringify+writeSync', target: '≤ 2×', ok: jsonBurst / floorBurst <= 2 },
    { scenario: 'CSV logEvent burst', value: csvBurst, baseline: floorBurst, baselineName: 'stringify+writeSync', target: '≤ 2×', ok: csvBurst / floorBurst <= 2 },
    { scenario: 'JSON logEvent burst vs pino sync destination', value: jsonBurst, baseline: pinoBurst, baselineName: 'pino sync', target: '≤ 1.0×', ok: jsonBurst / pinoBurst <= 1 },
    { scenario: "JSON logEvent burst with integrity 'sha256-chain'", value: chainedBurst, baseline: jsonBurst, baselineName: 'without', target: '≤ 1.5×', ok: chainedBurst <= jsonBurst * 1.5 },
    { scenario: 'JSON logEvent burst with redact (4 keys, none present)', value: redactedBurst, baseline: jsonBurst, baselineName: 'without', target: 'reported', ok: true },
    { scenario: 'JSON logEvent, one event per event-loop turn', value: jsonTurn, baseline: floorTurn, baselineName: 'floor, one per turn', target: '≤ 5×', ok: jsonTurn / floorTurn <= 5 },
    { scenario: 'another process waiting for the lock meanwhile (ms, median)', value: waits.sort((a, b) => a - b)[waits.length >> 1] * 1000, baseline: undefined, baselineName: '', target: 'reported', ok: true },
    { scenario: 'JSON append at 1,000 stored vs the original algorithm', value: at1k, baseline: original1k, baselineName: 'read+insert+rewrite', target: 'reported', ok: true },
    { scenario: 'JSON append at 4,000 stored vs the original algorithm', value: jsonAt4k, baseline: original4k, baselineName: 'read+insert+rewrite', target: 'reported', ok: true },
  ]
}
