import { readFileSync } from 'node:fs'
import { expect, it } from 'vitest'
import { createExperimentClient } from '../examples/src/experiment-client.js'
import { openExperimentSession } from './support/experiment-session.js'

const CLIENTS = 10
const CALLS_PER_CLIENT = 10

it('logs 100 calls from 10 concurrent clients, each exactly once', async () => {
  const session = await openExperimentSession()
  // A local subchannel pool gives each client a connection of its own, as separate UIs would have.
  const clients = Array.from({ length: CLIENTS }, () => createExperimentClient(session.server.address, { 'grpc.use_local_subchannel_pool': 1 }))
  try {
    await Promise.all(
      clients.flatMap((client, c) =>
        Array.from({ length: CALLS_PER_CLIENT }, (_, i) =>
          i % 2 === 0
            ? client.experimentCommand({ plot_note: { plot_name: `client-${c}`, point_id: i, note: `note ${c}/${i}` } })
            : client.editDataSample({ type: 'TAG_ADD', sample_ids: [`s${c * CALLS_PER_CLIENT + i}`], tag_name: `tag ${c}/${i}` }),
        ),
      ),
    )
    // Read the file itself, not through the logger: what a later `jq` or Python would see.
    const stored = (JSON.parse(readFileSync(session.logger.jsonPath, 'utf8')) as Array<{ action_type: string; status: string; timestamp: string; details: Record<string, unknown> }>).reverse()
    expect(stored).toHaveLength(CLIENTS * CALLS_PER_CLIENT)
    expect(stored.every((e) => e.status === 'success')).toBe(true)
    const marks = stored.map((e) => (e.action_type === 'note_write' ? e.details['note'] : e.details['tag_name']) as string)
    const expected = clients.flatMap((_, c) => Array.from({ length: CALLS_PER_CLIENT }, (_, i) => (i % 2 === 0 ? `note ${c}/${i}` : `tag ${c}/${i}`)))
    expect([...marks].sort()).toEqual([...expected].sort())
    // Timestamps strictly increase in file order: no event was written twice or interleaved.
    expect(stored.every((e, k) => k === 0 || (stored[k - 1] as { timestamp: string }).timestamp < e.timestamp)).toBe(true)
    expect(session.trainer.snapshot().notes).toHaveLength((CLIENTS * CALLS_PER_CLIENT) / 2)
  } finally {
    for (const client of clients) client.close()
    await session.close()
  }
})
