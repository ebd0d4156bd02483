import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createEventLogger, isAuditrailError } from '@auditrail/core'
import { createPostgresReader, createPostgresSink, printMigration, printWriterGrants } from '@auditrail/sink-postgres'
import { isAvailable, needsTag, POSTGRES } from '../../../test/support/system-requirements.js'
import { startPostgres, type PostgresServer } from '@auditrail/testkit'

async function sql(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    await client.query(text)
  } finally {
    await client.end()
  }
}

describe.skipIf(!isAvailable(POSTGRES))(`sink-postgres permissions and tampering ${needsTag(POSTGRES)}`, () => {
  let server: PostgresServer
  let writerUrl: string
  beforeAll(async () => {
    server = await startPostgres()
    await sql(server.url, printMigration('perm'))
    await sql(server.url, `CREATE ROLE auditrail_writer LOGIN PASSWORD 'writer-pw-77'; ${printWriterGrants('auditrail_writer', 'perm')}`)
    writerUrl = server.url.replace(/\/\/postgres:[^@]+@/, '//auditrail_writer:writer-pw-77@')
  })
  afterAll(async () => {
    await server?.destroy()
  })

  it('the writer role appends, and cannot UPDATE, DELETE or TRUNCATE; not even the owner can without disabling the trigger', async () => {
    const logger = createEventLogger({ sinks: [createPostgresSink({ connection: writerUrl, table: 'perm', migrate: false, host: 'w' })], integrity: 'sha256-chain' })
    for (let i = 0; i < 5; i++) await logger.logEventAsync('tag_add', 'success', { i })
    logger.close()
    for (const statement of ['UPDATE perm SET status = $$failed$$', 'DELETE FROM perm', 'TRUNCATE perm']) {
      await expect(sql(writerUrl, statement)).rejects.toMatchObject({ code: '42501' })
      await expect(sql(server.url, statement)).rejects.toThrow(/append-only/)
    }
  })

  it('a permission refusal reaches the caller as an io AuditrailError naming the SQLSTATE', async () => {
    await sql(server.url, 'REVOKE INSERT ON perm FROM auditrail_writer')
    const logger = createEventLogger({ sinks: [createPostgresSink({ connection: writerUrl, table: 'perm', migrate: false })] })
    const failure = await logger.logEventAsync('tag_add', 'success').catch((e: unknown) => e)
    logger.close()
    await sql(server.url, 'GRANT INSERT ON perm TO auditrail_writer')
    expect(isAuditrailError(failure, 'io')).toBe(true)
    expect((failure as Error).message).toMatch(/42501/)
  })

  it('a row tampered with by a superuser (trigger bypassed) is found by verify, at its seq', async () => {
    const reader = createPostgresReader({ connection: server.url, table: 'perm' })
    expect((await reader.verify()).findings).toEqual([])
    await sql(server.url, `SET session_replication_role = replica; UPDATE perm SET details = '{"i": 99}' WHERE seq = 3`)
    const result = await reader.verify()
    await reader.end()
    expect(result.findings.map((f) => [f.problem, f.seq])).toEqual([['hash-mismatch', 3]])
  })
})
