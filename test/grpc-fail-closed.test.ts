import { createFaultyIo } from '@auditrail/testkit'
import * as grpc from '@grpc/grpc-js'
import { expect, it } from 'vitest'
import { openExperimentSession } from './support/experiment-session.js'

it('fail-closed: once the log cannot be written, RPCs are refused with UNAVAILABLE and the trainer is left unchanged', async () => {
  const io = createFaultyIo()
  const reported: string[] = []
  const session = await openExperimentSession({ logger: { io }, failClosed: true, onAuditError: (error) => reported.push(error.code) })
  const { client, trainer } = session
  try {
    await client.experimentCommand({ hyperparameter_change: { changes: { learning_rate: 0.001 } } })
    io.fail('writeSync', 'ENOSPC')

    // The write follows the handler: the call that meets the full disk has run, and is told it is unaudited.
    await expect(client.experimentCommand({ pause: {} })).rejects.toMatchObject({
      code: grpc.status.UNAVAILABLE,
      details: 'audit log unavailable (io): ExperimentCommand ran but could not be audited',
    })
    const frozen = trainer.snapshot()
    const refusals = [
      client.experimentCommand({ hyperparameter_change: { changes: { learning_rate: 0.5 } } }),
      client.experimentCommand({ resume: {} }),
      client.editDataSample({ type: 'SAMPLE_DISCARD', sample_ids: ['s1', 's2'] }),
      client.applyDataQuery({ query_type: 'filter', query_text: 'loss > 1' }),
      client.restoreCheckpoint({ checkpoint_id: 'ckpt_010' }),
      client.triggerEvaluation({ split_name: 'val' }),
    ]
    for (const refusal of refusals) await expect(refusal).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE, details: expect.stringContaining('was not performed') })
    expect(trainer.snapshot()).toEqual(frozen)
    // Reads are not audited, so they keep working while the log is down.
    await expect(client.getExperimentState()).resolves.toMatchObject({ paused: true, hyperparameters: { learning_rate: 0.001 } })

    // The disk has room again: the next call is refused but recorded as refused, and the one after runs.
    io.clear()
    await expect(client.experimentCommand({ resume: {} })).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE })
    await expect(client.experimentCommand({ resume: {} })).resolves.toMatchObject({ message: 'training resumed' })
    expect(session.events().map((e) => [e.action_type, e.status, e.error])).toEqual([
      ['hp_change', 'success', null],
      ['resume', 'failed', 'refused: the audit log could not be written (fail-closed)'],
      ['resume', 'success', null],
    ])
    expect(reported.every((code) => code === 'io')).toBe(true)
  } finally {
    await session.close()
  }
})
