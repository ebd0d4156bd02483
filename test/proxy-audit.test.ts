import { execFile, spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import * as net from 'node:net'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createFaultyIo } from '@auditrail/testkit'
import { parseProxyMapping, startAuditProxy, type AuditProxy, type AuditProxyOptions, type ProxyMapping } from '@auditrail/grpc'
import * as grpc from '@grpc/grpc-js'
import { AuditLogger, type AuditEvent } from 'auditrail'
import { afterEach, describe, expect, it } from 'vitest'
import { asUser, PROXY_TEST_PROTO, startStoreBackend, storeClient, type StoreBackend, type StoreClient } from './support/proxy-harness.js'
import { tempDir } from './support/temp-dir.js'

const repoRoot = fileURLToPath(new URL('..', import.meta.url))

/** The audit tests' mapping: one RPC per feature of the mapping language. */
const mapping: ProxyMapping = {
  rpcs: {
    'proxytest.Store/SetValue': {
      rules: [
        {
          action: 'value_set',
          details: { key: { request: 'key' }, value: { request: 'value' }, message: { response: 'message', onlyWhen: 'success' } },
          status: { successField: 'success', errorField: 'message' },
          capture: { rpc: 'GetValues', path: 'entries', entries: { key: 'key', value: 'value' } },
        },
      ],
    },
    GetValues: { log: false },
    Command: {
      rules: [
        { when: { exists: 'set' }, action: 'value_set', details: { key: { request: 'set.key' }, value: { request: 'set.value' } } },
        { when: { present: 'remove_keys' }, action: 'value_remove', details: { keys: { request: 'remove_keys' }, count: { request: 'remove_keys', count: true }, removed: { response: 'removed' } } },
        { when: { exists: 'note' }, action: 'note_write', details: { note: { request: 'note' } } },
      ],
    },
    'proxytest.Store/Watch': { rules: [{ action: 'watch', details: { count: { request: 'count' }, last_entries: { response: 'entries', count: true } } }] },
    'proxytest.Echo/Unary': { log: false },
    'proxytest.Echo/ServerStream': { log: false },
    'proxytest.Echo/ClientStream': { log: false },
    'proxytest.Echo/Bidi': { log: false },
  },
}

interface Scene {
  readonly backend: StoreBackend
  readonly proxy: AuditProxy
  readonly client: StoreClient
  readonly logger: AuditLogger
  readonly warnings: string[]
  readonly auditErrors: string[]
  events(): AuditEvent[]
}

const open: Array<() => Promise<void>> = []
afterEach(async () => {
  while (open.length > 0) await open.pop()?.()
})

async function scene(options: Partial<AuditProxyOptions> & { readonly loggerOptions?: ConstructorParameters<typeof AuditLogger>[2]; readonly target?: string } = {}): Promise<Scene> {
  const backend = await startStoreBackend()
  const logger = new AuditLogger(tempDir('auditrail-proxy-'), 'proxy', { format: 'json', ...options.loggerOptions })
  const warnings: string[] = []
  const auditErrors: string[] = []
  const proxy = await startAuditProxy({
    target: backend.address,
    protoPath: PROXY_TEST_PROTO,
    mapping,
    logger,
    onWarning: (message) => warnings.push(message),
    onAuditError: (error) => auditErrors.push(error.code),
    ...options,
  })
  const client = await storeClient(proxy.address)
  open.push(async () => {
    client.close()
    await proxy.close()
    await backend.close()
  })
  return { backend, proxy, client, logger, warnings, auditErrors, events: () => [...logger.readEvents({ order: 'oldest-first' })] }
}

const fields = (events: readonly AuditEvent[]) => events.map(({ action_type, status, details, error, actor }) => ({ action_type, status, details, error, actor }))

describe('mapped calls are logged once, before they are answered', () => {
  it('logs each mapped action with its type, status, details and actor; reads are not logged', async () => {
    const { client, events, warnings } = await scene()
    await expect(client.call('SetValue', { key: 'lr', value: 0.5 }, asUser('alice'))).resolves.toEqual({ success: true, message: 'set lr' })
    // The event is on disk when the answer arrives.
    expect(events()).toHaveLength(1)
    await client.call('GetValues', {}, asUser('alice'))
    await client.call('Command', { get_values: true }, asUser('bob'))
    expect(events()).toHaveLength(1)
    // One request, three actions: three events, in the mapping's order.
    await expect(client.call('Command', { set: { key: 'bs', value: 32 }, remove_keys: ['lr', 'nope'], note: 'tuning' }, asUser('bob'))).resolves.toMatchObject({ removed: 1 })
    expect(fields(events())).toEqual([
      { action_type: 'value_set', status: 'success', details: { key: 'lr', value: 0.5, message: 'set lr', before: {}, after: { lr: 0.5 } }, error: null, actor: 'alice' },
      { action_type: 'value_set', status: 'success', details: { key: 'bs', value: 32 }, error: null, actor: 'bob' },
      { action_type: 'value_remove', status: 'success', details: { keys: ['lr', 'nope'], count: 2, removed: 1 }, error: null, actor: 'bob' },
      { action_type: 'note_write', status: 'success', details: { note: 'tuning' }, error: null, actor: 'bob' },
    ])
    // At start, one warning names the unmapped RPC that looks mutating.
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toContain('proxytest.Store/ResetStore')
  })

  it('an answer with success=false is logged as failed with its message', async () => {
    const { client, events } = await scene()
    await expect(client.call('SetValue', { key: '', value: 1 })).resolves.toEqual({ success: false, message: 'key is required' })
    expect(fields(events())).toEqual([{ action_type: 'value_set', status: 'failed', details: { key: '', value: 1, before: {}, after: {} }, error: 'key is required', actor: undefined }])
  })

  it('captures before and after through the read-only RPC', async () => {
    const { client, events, backend } = await scene()
    await client.call('SetValue', { key: 'a', value: 1 })
    await client.call('SetValue', { key: 'a', value: 2 })
    expect(events()[1]?.details).toMatchObject({ before: { a: 1 }, after: { a: 2 } })
    // The captures reached the backend; they are reads, so nothing else was logged.
    expect(backend.received['GetValues']).toBe(4)
    expect(events()).toHaveLength(2)
  })

  it('a server stream is logged once at its end, with its last message; a cancelled one as failed', async () => {
    const { client, events } = await scene()
    await client.call('SetValue', { key: 'x', value: 1 })
    const chunks: unknown[] = []
    await new Promise<void>((resolve, reject) => {
      const stream = client.watch({ count: 3 })
      stream.on('data', (chunk) => chunks.push(chunk))
      stream.on('error', reject)
      stream.on('end', resolve)
    })
    expect(chunks).toHaveLength(3)
    expect(fields(events().slice(1))).toEqual([{ action_type: 'watch', status: 'success', details: { count: 3, last_entries: 1 }, error: null, actor: undefined }])

    const stream = client.watch({ count: 1000 })
    stream.on('error', () => undefined)
    await new Promise((resolve) => stream.once('data', resolve))
    stream.cancel()
    await expect.poll(() => events().length, { timeout: 5000 }).toBe(3)
    expect(events()[2]).toMatchObject({ action_type: 'watch', status: 'failed', error: 'cancelled by the client' })
  })

  it('unmapped RPCs are logged as rpc:<Method> with unmapped: log', async () => {
    const { client, events } = await scene({ unmapped: 'log' })
    await client.call('ResetStore', {}, asUser('carol'))
    expect(fields(events())).toEqual([{ action_type: 'rpc:ResetStore', status: 'success', details: { rpc: 'proxytest.Store/ResetStore' }, error: null, actor: 'carol' }])
  })

  it('a backend that is down: the client gets UNAVAILABLE and the mutating call a failed event', async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = probe.address() as net.AddressInfo
        probe.close(() => resolve(free))
      })
    })
    const { client, events } = await scene({ target: `127.0.0.1:${port}` })
    await expect(client.call('SetValue', { key: 'k', value: 1 })).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE })
    expect(events()).toHaveLength(1)
    expect(events()[0]).toMatchObject({ action_type: 'value_set', status: 'failed', details: { key: 'k', value: 1 } })
    expect(events()[0]?.error).toContain('ECONNREFUSED')
  })

  it('10 clients × 100 calls: each call logged exactly once', async () => {
    const { proxy, events } = await scene()
    const clients = await Promise.all(Array.from({ length: 10 }, () => storeClient(proxy.address)))
    try {
      await Promise.all(clients.map(async (client, c) => {
        for (let i = 0; i < 100; i++) await client.call('Command', { set: { key: `c${c}-${i}`, value: i } }, asUser(`user-${c}`))
      }))
    } finally {
      for (const client of clients) client.close()
    }
    const logged = events()
    expect(logged).toHaveLength(1000)
    expect(new Set(logged.map((event) => event.details['key'])).size).toBe(1000)
    expect(logged.every((event) => event.actor === `user-${String(event.details['key']).split('-')[0]?.slice(1)}`)).toBe(true)
  })

  it('close() lets an in-flight call finish and its event is in the file when close resolves', async () => {
    const current = await scene({ closeLogger: false })
    const { client, proxy, logger, events, backend } = current
    const slow = client.call('SetValue', { key: 'slow', value: 7 })
    await expect.poll(() => backend.received['SetValue'], { timeout: 10_000, interval: 5 }).toBe(1)
    await proxy.close()
    await expect(slow).resolves.toEqual({ success: true, message: 'set slow' })
    expect(events().map((event) => event.details['key'])).toEqual(['slow'])
    logger.close()
  })
})

describe('shutdown', () => {
  it('close() cancels a call still running after its timeout, and logs it failed before closing the logger', async () => {
    const { client, proxy, logger, events, backend } = await scene({ closeLogger: false })
    // Settled at once: the rejection arrives while close() runs.
    const slow = client.call('SetValue', { key: 'slow', value: 1 }).then(() => undefined, (error: unknown) => error)
    // The backend holds key "slow" for 300 ms: close while it does.
    await expect.poll(() => backend.received['SetValue'], { timeout: 10_000, interval: 5 }).toBe(1)
    await proxy.close({ timeoutMs: 20 })
    expect(await slow).toMatchObject({ code: expect.any(Number) })
    expect(fields(events())).toEqual([{ action_type: 'value_set', status: 'failed', details: { key: 'slow', value: 1, before: {}, after: {} }, error: 'cancelled: the proxy shut down', actor: undefined }])
    logger.close()
  })

  it('auditrail proxy stops on SIGTERM: the in-flight call is answered, its event is in the file, the exit is clean', async () => {
    const backend = await startStoreBackend()
    const dir = tempDir('auditrail-proxy-term-')
    const mappingFile = join(dir, 'mapping.json')
    writeFileSync(mappingFile, JSON.stringify(mapping))
    const child = spawn(process.execPath, ['packages/cli/dist/cli.js', 'proxy', '--target', backend.address, '--listen', '127.0.0.1:0', '--proto', PROXY_TEST_PROTO, '--mapping', mappingFile, '--dir', join(dir, 'log')], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] })
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
    let out = ''
    const address = await new Promise<string>((resolve) =>
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString()
        const match = /listening on (\S+),/.exec(out)
        if (match?.[1] !== undefined) resolve(match[1])
      }),
    )
    expect(out).toContain(`audit log: ${join(dir, 'log', 'audit_log.json')}`)
    const client = await storeClient(address)
    try {
      const slow = client.call('SetValue', { key: 'slow', value: 3 }, asUser('dana'))
      await expect.poll(() => backend.received['SetValue'], { timeout: 10_000, interval: 5 }).toBe(1)
      child.kill('SIGTERM')
      await expect(slow).resolves.toEqual({ success: true, message: 'set slow' })
      expect(await exited).toBe(0)
    } finally {
      client.close()
      await backend.close()
    }
    const logger = new AuditLogger(join(dir, 'log'), 'term', { format: 'json' })
    expect([...logger.readEvents()].map((event) => [event.action_type, event.details['key'], event.actor])).toEqual([['value_set', 'slow', 'dana']])
    logger.close()
  })
})

describe('fail-closed', () => {
  it('writes intent before forwarding; with a broken log the call is refused and the backend is untouched', async () => {
    const io = createFaultyIo()
    const { client, backend, events, auditErrors } = await scene({ failClosed: true, loggerOptions: { io } })
    await client.call('SetValue', { key: 'a', value: 1 }, asUser('alice'))
    expect(fields(events())).toEqual([
      { action_type: 'proxy_intent', status: 'success', details: { rpc: 'proxytest.Store/SetValue', actions: ['value_set'] }, error: null, actor: 'alice' },
      { action_type: 'value_set', status: 'success', details: { key: 'a', value: 1, message: 'set a', before: {}, after: { a: 1 } }, error: null, actor: 'alice' },
    ])

    io.fail('writeSync', 'ENOSPC')
    const before = { ...backend.received }
    await expect(client.call('SetValue', { key: 'b', value: 2 })).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE, details: 'audit log unavailable (io): proxytest.Store/SetValue was not performed' })
    await expect(client.call('Command', { set: { key: 'c', value: 3 } })).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE })
    // Not one call (not even a capture) reached the backend.
    expect(backend.received).toEqual(before)
    expect([...backend.values.keys()]).toEqual(['a'])
    // Reads are not logged, so they keep working.
    await expect(client.call('GetValues', {})).resolves.toEqual({ entries: [{ key: 'a', value: 1 }] })
    expect(auditErrors.every((code) => code === 'io')).toBe(true)

    io.clear()
    await client.call('SetValue', { key: 'b', value: 2 })
    expect(events().map((event) => event.action_type)).toEqual(['proxy_intent', 'value_set', 'proxy_intent', 'value_set'])
  })
})

describe('fail-closed, the outcome', () => {
  it('an outcome that cannot be written answers UNAVAILABLE saying the call ran; the intent is in the log', async () => {
    const io = createFaultyIo()
    const { client, backend, events, logger } = await scene({ failClosed: true, loggerOptions: { io } })
    await client.call('Command', { note: 'warm' })
    // The disk fills up right after the next intent is persisted: its outcome cannot be written.
    const subscription = logger.events$.subscribe((event) => {
      if (event.action_type === 'proxy_intent' && JSON.stringify(event.details['actions']) === '["value_set"]') io.fail('writeSync', 'ENOSPC')
    })
    await expect(client.call('Command', { set: { key: 'ran', value: 1 } })).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE, details: 'audit log unavailable (io): proxytest.Store/Command ran but could not be audited' })
    expect(backend.values.get('ran')).toBe(1)
    subscription.unsubscribe()
    io.clear()
    expect(events().map((event) => [event.action_type, event.details['actions'] ?? event.details['note'] ?? null])).toEqual([
      ['proxy_intent', ['note_write']],
      ['note_write', 'warm'],
      ['proxy_intent', ['value_set']],
    ])
  })
})

describe('bad mappings and options are refused before anything listens', () => {
  it('names the JSON path, the RPC, or the option', async () => {
    expect(() => parseProxyMapping({ rpcs: { 'Store/SetValue': { rules: [{ action: 'x', when: { field: 3, equals: 1 } }] } } }, 'm.json')).toThrow(
      '[auditrail] [grpc] m.json: $.rpcs["Store/SetValue"].rules[0].when.field: expected a string, got 3',
    )
    expect(() => parseProxyMapping({ rpcs: { A: { rules: [{ action: 'x', details: { k: { request: 'a', truncate: -1 } } }] } } })).toThrow('$.rpcs["A"].rules[0].details.k.truncate: expected a whole number ≥ 0, got -1')
    expect(() => parseProxyMapping({ rpcs: { A: { log: true } } })).toThrow('$.rpcs["A"].log: expected false')
    const logger = new AuditLogger(tempDir('auditrail-proxy-bad-'), 'bad', { format: 'none' })
    const base = { target: '127.0.0.1:1', protoPath: PROXY_TEST_PROTO, logger, onWarning: () => {} }
    await expect(startAuditProxy({ ...base, mapping: { rpcs: { Nope: { log: false } } } })).rejects.toThrow('rpcs["Nope"]: the proto has no RPC named Nope')
    await expect(startAuditProxy({ ...base, mapping: { rpcs: { Bidi: { rules: [{ action: 'x' }] } } } })).rejects.toThrow('only unary and server-streaming RPCs can have rules')
    await expect(startAuditProxy({ ...base, listen: 'nowhere' })).rejects.toMatchObject({ code: 'options', field: 'listen' })
    await expect(startAuditProxy({ ...base, protoPath: '/nonexistent.proto' })).rejects.toMatchObject({ code: 'options', field: 'protoPath' })
  })

  it('auditrail proxy --mapping weightslab without --proto says that --proto is needed when python3 cannot find weightslab', async () => {
    const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = execFile(process.execPath, ['packages/cli/dist/cli.js', 'proxy', '--target', '127.0.0.1:1', '--mapping', 'weightslab'], { cwd: repoRoot, env: { ...process.env, PATH: tempDir('auditrail-nopath-') } }, (_error, _stdout, stderr) =>
        resolve({ code: child.exitCode, stderr }),
      )
    })
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('--proto is needed')
  })
})

describe('the auditrail proxy command', () => {
  it('SIGKILL mid-load loses no acknowledged event', async () => {
    const backend = await startStoreBackend()
    const dir = tempDir('auditrail-proxy-kill-')
    const mappingFile = join(dir, 'mapping.json')
    writeFileSync(mappingFile, JSON.stringify(mapping))
    const child = spawn(process.execPath, ['packages/cli/dist/cli.js', 'proxy', '--target', backend.address, '--listen', '127.0.0.1:0', '--proto', PROXY_TEST_PROTO, '--mapping', mappingFile, '--dir', join(dir, 'log')], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const exited = new Promise((resolve) => child.once('exit', resolve))
    try {
      const address = await new Promise<string>((resolve, reject) => {
        let out = ''
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString()
          const match = /listening on (\S+),/.exec(out)
          if (match?.[1] !== undefined) resolve(match[1])
        })
        child.once('exit', (code) => reject(new Error(`proxy exited (${String(code)}) before listening: ${out}`)))
      })
      const clients = await Promise.all(Array.from({ length: 8 }, () => storeClient(address)))
      const acknowledged: string[] = []
      let stop = false
      const load = clients.map(async (client, c) => {
        for (let i = 0; !stop; i++) {
          const key = `k${c}-${i}`
          try {
            await client.call('SetValue', { key, value: i })
            acknowledged.push(key)
          } catch {
            return
          }
        }
      })
      await expect.poll(() => acknowledged.length, { timeout: 20_000 }).toBeGreaterThan(200)
      child.kill('SIGKILL')
      await exited
      stop = true
      await Promise.all(load)
      for (const client of clients) client.close()
      const logger = new AuditLogger(join(dir, 'log'), 'kill', { format: 'json' })
      const logged = new Set([...logger.readEvents()].map((event) => event.details['key']))
      logger.close()
      expect(acknowledged.length).toBeGreaterThan(200)
      expect(acknowledged.filter((key) => !logged.has(key))).toEqual([])
    } finally {
      child.kill('SIGKILL')
      await backend.close()
    }
  })
})
