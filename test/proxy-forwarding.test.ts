import { randomBytes } from 'node:crypto'
import * as net from 'node:net'
import { createEventLogger, createMemorySink } from '@auditrail/core'
import { startAuditProxy, type AuditProxy } from '@auditrail/grpc'
import * as grpc from '@grpc/grpc-js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { callEcho, PROXY_TEST_PROTO, rawClient, requestMetadata, startRawEchoBackend, type RawEchoBackend } from './support/proxy-harness.js'

// Forwarding only: no RPC is mapped, so nothing is decoded or logged; every byte must cross unchanged.
let backend: RawEchoBackend
let proxy: AuditProxy
let direct: grpc.Client
let proxied: grpc.Client
const sink = createMemorySink()

beforeAll(async () => {
  backend = await startRawEchoBackend()
  proxy = await startAuditProxy({ target: backend.address, protoPath: PROXY_TEST_PROTO, logger: createEventLogger({ sinks: [sink] }), onWarning: () => {} })
  direct = rawClient(backend.address)
  proxied = rawClient(proxy.address)
})

afterAll(async () => {
  direct.close()
  proxied.close()
  await proxy.close()
  await backend.close()
})

const KINDS = ['Unary', 'ServerStream', 'ClientStream', 'Bidi'] as const

/** Runs the same call direct and through the proxy; returns both observations and what the backend saw of each. */
async function both(kind: (typeof KINDS)[number], messages: readonly Buffer[], entries: Record<string, string> = {}, deadlineMs?: number) {
  const first = backend.calls.length
  // Each call gets its own deadline, counted from its start.
  const options = (): grpc.CallOptions => (deadlineMs === undefined ? {} : { deadline: Date.now() + deadlineMs })
  const viaDirect = await callEcho(direct, kind, messages, requestMetadata(entries), options()).done
  const viaProxy = await callEcho(proxied, kind, messages, requestMetadata(entries), options()).done
  const [seenDirect, seenProxy] = backend.calls.slice(first)
  return { viaDirect, viaProxy, seenDirect, seenProxy }
}

describe('every kind of RPC crosses the proxy byte for byte', () => {
  for (const kind of KINDS) {
    it(`${kind}: messages, metadata both ways, trailers and status are those of a direct call`, async () => {
      // Random bytes are not valid protobuf as a rule: the proxy must not parse what it forwards.
      const messages = kind === 'Unary' || kind === 'ServerStream' ? [randomBytes(333)] : [randomBytes(10), Buffer.alloc(0), randomBytes(70_000)]
      const { viaDirect, viaProxy, seenDirect, seenProxy } = await both(kind, messages)
      expect(viaProxy).toEqual(viaDirect)
      expect(viaProxy.status.code).toBe(grpc.status.OK)
      expect(viaProxy.initial).toEqual({ 'x-initial': ['hello'], 'initial-bin': [Buffer.from([9, 8, 7])] })
      expect(viaProxy.status.trailers).toEqual({ 'x-trailer': ['bye'], 'trailer-bin': [Buffer.from([255, 0, 128])] })
      expect(seenProxy?.metadata).toEqual(seenDirect?.metadata)
      // (grpc-js joins repeated text entries into one, `one, two`, for both.)
      expect(seenProxy?.metadata).toMatchObject({ 'x-request': ['value'], 'request-bin': [Buffer.from([0, 255, 10, 13])] })
      expect(seenProxy?.messages).toEqual(messages)
      expect(sink.events).toHaveLength(0)
    })

    it(`${kind}: an error status keeps its code, details and trailers`, async () => {
      for (const code of [grpc.status.NOT_FOUND, grpc.status.CANCELLED, grpc.status.RESOURCE_EXHAUSTED]) {
        const { viaDirect, viaProxy } = await both(kind, [randomBytes(20)], { 'x-fail': String(code) })
        expect(viaProxy).toEqual(viaDirect)
        expect(viaProxy.status).toMatchObject({ code, details: `told to fail: ünïcode details ${code}`, trailers: { 'x-trailer': ['failing'], 'trailer-bin': [Buffer.from([0, 1, 2, 255])] } })
      }
    })
  }

  it('a 10 MB message crosses both ways (unary and bidi)', async () => {
    const big = randomBytes(10 * 1024 * 1024)
    for (const kind of ['Unary', 'Bidi'] as const) {
      const { viaProxy } = await both(kind, [big])
      expect(viaProxy.status.code).toBe(grpc.status.OK)
      expect(viaProxy.messages).toHaveLength(1)
      expect(viaProxy.messages[0]?.equals(big)).toBe(true)
    }
  })
})

describe('paths the proto does not define', () => {
  it('are answered UNIMPLEMENTED by the proxy, as a grpc-js server would, without reaching the backend', async () => {
    const first = backend.calls.length
    const observed = await new Promise<grpc.ServiceError | null>((resolve) =>
      proxied.makeUnaryRequest('/proxytest.Echo/Nope', (b: Buffer) => b, (b: Buffer) => b, randomBytes(4), requestMetadata(), {}, (error) => resolve(error)),
    )
    expect(observed).toMatchObject({ code: grpc.status.UNIMPLEMENTED, details: 'The server does not implement the method /proxytest.Echo/Nope' })
    expect(backend.calls.length).toBe(first)
  })
})

describe('deadlines and cancellation', () => {
  it('the backend sees the remaining deadline, and an expired one ends both calls with DEADLINE_EXCEEDED', async () => {
    const { seenProxy } = await both('Unary', [randomBytes(8)], {}, 2000)
    expect(seenProxy?.deadlineLeftMs).toBeGreaterThan(500)
    expect(seenProxy?.deadlineLeftMs).toBeLessThanOrEqual(2000)

    const { viaDirect, viaProxy, seenProxy: slow } = await both('Unary', [randomBytes(8)], { 'x-delay-ms': '1500' }, 300)
    expect(viaDirect.status.code).toBe(grpc.status.DEADLINE_EXCEEDED)
    expect(viaProxy.status.code).toBe(grpc.status.DEADLINE_EXCEEDED)
    expect(slow?.deadlineLeftMs).toBeLessThanOrEqual(300)
    // The proxy's own call to the backend expired with the client's.
    await expect.poll(() => slow?.cancelled, { timeout: 5000 }).toBe(true)
  })

  it('a client that cancels a stream cancels the backend call', async () => {
    const first = backend.calls.length
    const { call, done } = callEcho(proxied, 'ServerStream', [randomBytes(4)], requestMetadata({ 'x-count': '100000', 'x-delay-ms': '5' }))
    let seen = 0
    ;(call as grpc.ClientReadableStream<Buffer>).on('data', () => {
      if (++seen === 3) call.cancel()
    })
    const observed = await done
    expect(observed.status.code).toBe(grpc.status.CANCELLED)
    await expect.poll(() => backend.calls[first]?.cancelled, { timeout: 5000 }).toBe(true)
  })

  it('a bidi stream cancelled mid-way cancels the backend call', async () => {
    const first = backend.calls.length
    const call = proxied.makeBidiStreamRequest('/proxytest.Echo/Bidi', (b: Buffer) => b, (b: Buffer) => b, requestMetadata())
    call.on('error', () => undefined)
    call.write(randomBytes(5))
    await new Promise((resolve) => call.once('data', resolve))
    call.cancel()
    await expect.poll(() => backend.calls[first]?.cancelled, { timeout: 5000 }).toBe(true)
  })
})

describe('a backend that is down', () => {
  it('gives the client the UNAVAILABLE a direct client sees', async () => {
    // A port that was free a moment ago: nothing listens there.
    const port = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, '127.0.0.1', () => {
        const address = probe.address() as net.AddressInfo
        probe.close(() => resolve(address.port))
      })
    })
    const downProxy = await startAuditProxy({ target: `127.0.0.1:${port}`, protoPath: PROXY_TEST_PROTO, logger: createEventLogger({ sinks: [createMemorySink()] }), onWarning: () => {} })
    const toDown = rawClient(`127.0.0.1:${port}`)
    const viaDown = rawClient(downProxy.address)
    try {
      for (const kind of KINDS) {
        const viaDirect = await callEcho(toDown, kind, [randomBytes(3)], requestMetadata()).done
        const viaProxy = await callEcho(viaDown, kind, [randomBytes(3)], requestMetadata()).done
        expect(viaDirect.status.code).toBe(grpc.status.UNAVAILABLE)
        expect(viaProxy.status.code).toBe(grpc.status.UNAVAILABLE)
        expect(viaProxy.status.details).toContain('ECONNREFUSED')
      }
    } finally {
      toDown.close()
      viaDown.close()
      await downProxy.close()
    }
  })
})
