import { AuditLogger, verifyLog } from 'auditrail'
import { afterEach, describe, expect, it } from 'vitest'
import { createExperimentClient, type ExperimentClient } from '../examples/src/experiment-client.js'
import { startExperimentServer, type ExperimentServer } from '../examples/src/experiment-server.js'
import { tempDir } from './support/temp-dir.js'

// Who did it, over real loopback gRPC: the server names each call's actor (the example: `x-user` metadata), the
// event carries it, and a hash-chained log of several clients verifies.

const open: { server: ExperimentServer; clients: ExperimentClient[]; logger: AuditLogger }[] = []
afterEach(async () => {
  for (const { server, clients, logger } of open.splice(0)) {
    for (const client of clients) client.close()
    await server.close()
    logger.close()
  }
})

async function start(options: Partial<Parameters<typeof startExperimentServer>[0]> = {}) {
  const logger = new AuditLogger(tempDir(), 'grpc-actor', { integrity: 'sha256-chain' })
  const server = await startExperimentServer({ logger, ...options })
  const entry = { server, clients: [] as ExperimentClient[], logger }
  open.push(entry)
  const client = (user?: string): ExperimentClient => {
    const made = createExperimentClient(server.address, {}, user === undefined ? {} : { user })
    entry.clients.push(made)
    return made
  }
  return { logger, client }
}

describe('the actor of each audited call', () => {
  it('comes from the x-user metadata; none sent, or a blank one, means no actor field', async () => {
    const { logger, client } = await start()
    await client('ana@lab').experimentCommand({ pause: { reason: 'look' } })
    await client('bob').experimentCommand({ resume: {} })
    await client().experimentCommand({ mode_switch: { mode: 'audit' } })
    // grpc-js itself refuses control characters in metadata; a blank value is what can arrive.
    await client('   ').experimentCommand({ mode_switch: { mode: 'train' } })
    const events = [...logger.readEvents({ order: 'oldest-first' })]
    expect(events.map((e) => [e.action_type, e.actor])).toEqual([
      ['pause', 'ana@lab'],
      ['resume', 'bob'],
      ['mode_switch', undefined],
      ['mode_switch', undefined],
    ])
    expect('actor' in (events[2] ?? {})).toBe(false)
    const verified = verifyLog(logger.logPath as string)
    expect(verified.ok).toBe(true)
    expect(verified.chain?.head?.seq).toBe(4)
  })

  it('a server can name the actor itself, e.g. from the peer; a throwing actor function is reported and the call still answered', async () => {
    const errors: string[] = []
    const { logger, client } = await start({
      actor: ({ peer, rpc }) => {
        if (rpc === 'EditDataSample') throw new Error('no identity')
        return `peer ${peer.replace(/:\d+$/, '')}`
      },
      onAuditError: (error) => errors.push(error.message),
    })
    await client('ignored').experimentCommand({ pause: {} })
    await expect(client().editDataSample({ type: 'TAG_ADD', sample_ids: ['s1'], tag_name: 'x' })).resolves.toBeDefined()
    const events = [...logger.readEvents({ order: 'oldest-first' })]
    expect(events.map((e) => e.actor)).toEqual(['peer 127.0.0.1'])
    expect(errors).toEqual([expect.stringContaining("EditDataSample: the audit mapping's actor threw: no identity")])
  })
})
