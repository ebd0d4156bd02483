import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { AuditLogger, AuditrailError, type AuditEvent, type AuditSink } from 'auditrail'
import { afterEach, describe, expect, it } from 'vitest'
import { createFakeMlflowClient } from '../examples/src/fake-mlflow-client.js'
import { auditTagKey, createMlflowBatchSink, type MlflowBatch } from '../examples/src/mlflow-batch-sink.js'
import { tempDir } from './support/temp-dir.js'

// The custom-sink example of examples/README.md: an MLflow batch mirror on `events$`, and what a caller sees.

const loggers: AuditLogger[] = []
afterEach(() => {
  for (const logger of loggers.splice(0)) logger.close()
})
function openLogger(sinks: AuditSink[] = []): AuditLogger {
  const logger = new AuditLogger(tempDir('auditrail-mlflow-'), 'mlflow-test', { format: 'json', sinks })
  loggers.push(logger)
  return logger
}
const logNotes = (logger: AuditLogger, count: number): AuditEvent[] =>
  Array.from({ length: count }, (_, i) => logger.logEvent('note_write', 'success', { plot_name: 'loss', point_id: i, note: `n${i}` }))

describe('the MLflow batch sink', () => {
  it('sends full batches by count, the rest when the logger closes, in log order', async () => {
    const logger = openLogger()
    const mlflow = createFakeMlflowClient()
    const mirror = createMlflowBatchSink({ events$: logger.events$, client: mlflow, runId: 'run-1', maxBatchSize: 3, maxWaitMs: 600_000 })
    const events = logNotes(logger, 7)
    logger.close()
    await mirror.done
    expect(mlflow.batches.map((b) => [b.run_id, b.tags.length])).toEqual([['run-1', 3], ['run-1', 3], ['run-1', 1]])
    expect(mlflow.tags.map((t) => t.key)).toEqual(events.map(auditTagKey))
    expect(JSON.parse(mlflow.tags[0]?.value ?? '')).toEqual({ status: 'success', details: { plot_name: 'loss', point_id: 0, note: 'n0' }, error: null })
    expect([mirror.delivered, mirror.lastDelivered]).toEqual([7, events[6]?.timestamp])
  })

  it('sends a partial batch once maxWaitMs has passed, without waiting for close', async () => {
    const logger = openLogger()
    const mlflow = createFakeMlflowClient()
    const first = new Promise<MlflowBatch>((resolve) => {
      mlflow.onBatch = resolve
    })
    const mirror = createMlflowBatchSink({ events$: logger.events$, client: mlflow, runId: 'run-1', maxBatchSize: 100, maxWaitMs: 5 })
    logNotes(logger, 2)
    await expect(first).resolves.toMatchObject({ tags: [expect.anything(), expect.anything()] })
    logger.close()
    await mirror.done
  })

  it('retries a refused batch with backoff and never sends a later batch first', async () => {
    const logger = openLogger()
    const mlflow = createFakeMlflowClient()
    mlflow.failNext(3)
    const mirror = createMlflowBatchSink({ events$: logger.events$, client: mlflow, runId: 'run-1', maxBatchSize: 2, maxWaitMs: 600_000, backoffMs: 1 })
    const events = logNotes(logger, 5)
    logger.logEvent('hp_change', 'success', { changed_params: { learning_rate: 0.001, optimizer: 'adam' }, step: 1200 })
    logger.close()
    await mirror.done
    expect(mlflow.tags.map((t) => t.key).slice(0, 5)).toEqual(events.map(auditTagKey))
    expect(mlflow.tags).toHaveLength(6)
    expect(mlflow.attempts).toBe(mlflow.batches.length + 3)
    // Only numbers become metrics; the optimizer's name stays in the event's tag.
    expect(mlflow.metrics).toEqual([{ key: 'hp/learning_rate', value: 0.001, timestamp: expect.any(Number), step: 1200 }])
  })

  it('gives up after its retries: done rejects, onGiveUp gets the batch, and logEvent never noticed', async () => {
    const logger = openLogger()
    const mlflow = createFakeMlflowClient()
    mlflow.failNext()
    const givenUp: Array<[string, number]> = []
    const mirror = createMlflowBatchSink({
      events$: logger.events$,
      client: mlflow,
      runId: 'run-1',
      maxBatchSize: 2,
      maxWaitMs: 600_000,
      retries: 2,
      backoffMs: 1,
      onGiveUp: (error, batch) => givenUp.push([(error as Error).message, batch.length]),
    })
    // Every call returns normally: the mirror runs after the file write and apart from the caller.
    const events = logNotes(logger, 4)
    expect(events).toHaveLength(4)
    logger.close()
    await expect(mirror.done).rejects.toThrow('503 Service Unavailable')
    expect(givenUp).toEqual([['503 Service Unavailable: TEMPORARILY_UNAVAILABLE', 2]])
    // It stopped at the first batch it gave up on (1 try + 2 retries): the second batch was never sent ahead of it.
    expect([mlflow.attempts, mirror.delivered, mirror.lastDelivered]).toEqual([3, 0, undefined])
    const reader = new AuditLogger(logger.rootLogDir, 'reader', { format: 'json' })
    expect([...reader.readEvents()]).toHaveLength(4)
    reader.close()
  })

  it('refuses options outside MLflow\'s limits', () => {
    const logger = openLogger()
    const client = createFakeMlflowClient()
    expect(() => createMlflowBatchSink({ events$: logger.events$, client, runId: 'r', maxBatchSize: 101 })).toThrow(
      expect.objectContaining({ code: 'options', message: '[auditrail] [mlflow-batch-sink] maxBatchSize: expected an integer in 1..100, got 101' }),
    )
    expect(() => createMlflowBatchSink({ events$: logger.events$, client, runId: 'r', retries: -1 })).toThrow('retries: expected an integer')
  })
})

describe('a synchronous sink in `sinks:`, by contrast', () => {
  it('makes logEvent throw its error, after the file has the event, and events$ does not publish it', () => {
    const failing: AuditSink = {
      name: 'remote-sync',
      write() {
        throw new AuditrailError('io', 'cannot reach the tracking server', { component: 'remote-sync' })
      },
      close() {},
    }
    const logger = openLogger([failing])
    const published: AuditEvent[] = []
    logger.events$.subscribe((event) => published.push(event))
    expect(() => logger.logEvent('pause', 'success', { step: 1 })).toThrow('[auditrail] [remote-sync] cannot reach the tracking server')
    expect([...logger.readEvents()].map((e) => e.action_type)).toEqual(['pause'])
    expect(published).toEqual([])
  })
})

it('the runnable example prints what the fake MLflow server received', () => {
  const script = join(fileURLToPath(new URL('..', import.meta.url)), 'examples/dist/mlflow-demo.js')
  if (!existsSync(script)) throw new Error(`${script} is missing: build first (npx tsc -b), as \`pnpm test\` does`)
  const result = spawnSync(process.execPath, [script], { env: { ...process.env, AUDITRAIL_DIR: tempDir('auditrail-mlflow-demo-') }, encoding: 'utf8', timeout: 30_000 })
  expect(result.stderr).toBe('')
  expect(result.status).toBe(0)
  expect(result.stdout).toContain('MLflow run run-42 received 2 batches (4 calls, 2 refused and retried):')
  expect(result.stdout.match(/^ {2}tag {4}auditrail\//gm)).toHaveLength(5)
})
