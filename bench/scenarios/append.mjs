// Targets 1, 2, 3 and 7: flat append cost, the floor, pino, one event per turn, and the original algorithm.
import { closeSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import pino from 'pino'
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
 * Batch runners for the burst scenarios, each writing `count` events per call to its own file: the floor
 * (JSON.stringify + fs.writeSync), auditrail's logEvent, pino with a synchronous destination.
 */
function floorRunner() {
  const fd = openSync(join(tempDir('floor'), 'floor.jsonl'), 'a')
  return {
    async batch(start, count, perTurn = false) {
      for (let i = 0; i < count; i++) {
        writeSync(fd, `${JSON.stringify(sampleEvent(start + i))}\n`)
        if (perTurn) await nextTurn()
      }
    },
    close: () => closeSync(fd),
  }
}

/** `options` are more AuditLogger options (e.g. integrity). */
function oursRunner(format, options = {}) {
  const logger = new AuditLogger(tempDir(`ours-${format}`), 'bench', { format, ...options })
  return {
    async batch(start, count, perTurn = false) {
      for (let i = 0; i < count; i++) {
        log(logger, start + i)
        if (perTurn) await nextTurn()
      }
    },
    close: () => logger.close(),
  }
}

function pinoRunner() {
  const destination = pino.destination({ dest: join(tempDir('pino'), 'pino.log'), sync: true })
  const logger = pino({ base: undefined }, destination)
  return {
    async batch(start, count) {
      for (let i = 0; i < count; i++) logger.info(sampleEvent(start + i))
    },
    close: () => destination.flushSync(),
  }
}

/**
 * Median µs per event of each runner, their batches interleaved round by round: on a shared machine whose speed drifts,
 * a baseline timed minutes apart from what it is compared with would measure the drift.
 */
async function interleaved(runners, reps, count, perTurn = false) {
  const samples = runners.map(() => [])
  for (let r = 0; r < reps; r++) {
    for (const [k, runner] of runners.entries()) {
      const start = process.hrtime.bigint()
      await runner.batch(r * count, count, perTurn)
      samples[k].push(Number(process.hrtime.bigint() - start) / 1000 / count)
    }
  }
  for (const runner of runners) runner.close()
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
      floorRunner(),
      oursRunner('json'),
      oursRunner('csv'),
      pinoRunner(),
      // Issue #6's options cost something per event: the hash chain (one SHA-256 of the canonical event) and redaction.
      oursRunner('json', { integrity: 'sha256-chain' }),
      oursRunner('json', { redact: ['token', 'password', 'api_key', 'auth.secret'] }),
    ],
    reps,
    burst,
  )
  const [floorTurn, jsonTurn] = await interleaved([floorRunner(), oursRunner('json')], reps, turns, true)
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
    { scenario: "JSON logEvent burst with integrity 'sha256-chain'", value: chainedBurst, baseline: jsonBurst, baselineName: 'without', target: 'reported', ok: true },
    { scenario: 'JSON logEvent burst with redact (4 keys, none present)', value: redactedBurst, baseline: jsonBurst, baselineName: 'without', target: 'reported', ok: true },
    { scenario: 'JSON logEvent, one event per event-loop turn', value: jsonTurn, baseline: floorTurn, baselineName: 'floor, one per turn', target: '≤ 5×', ok: jsonTurn / floorTurn <= 5 },
    { scenario: 'another process waiting for the lock meanwhile (ms, median)', value: waits.sort((a, b) => a - b)[waits.length >> 1] * 1000, baseline: undefined, baselineName: '', target: 'reported', ok: true },
    { scenario: 'JSON append at 1,000 stored vs the original algorithm', value: at1k, baseline: original1k, baselineName: 'read+insert+rewrite', target: 'reported', ok: true },
    { scenario: 'JSON append at 4,000 stored vs the original algorithm', value: jsonAt4k, baseline: original4k, baselineName: 'read+insert+rewrite', target: 'reported', ok: true },
  ]
}
