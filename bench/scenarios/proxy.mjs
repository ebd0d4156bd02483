// The auditing gRPC proxy (`auditrail proxy`): unary calls (Store.SetValue, one small message each way) direct to a
// backend, through a bare node:http2 forwarder (the floor: what any proxy on node:http2 costs at least), through the
// proxy unaudited (nothing mapped) and through it audited (one event per call, written before the answer; the mapping
// has no before/after capture, so no extra backend call), with 1 and 16 concurrent clients. Backend, forwarder and
// proxies each run in a process of their own, as in production; the clients run here, on the same cores. Rounds
// interleave the paths so that a drifting machine shifts all of them alike; the figures are medians over rounds.
import { spawn } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as grpc from '@grpc/grpc-js'
import { median, tempDir } from '../measure.mjs'

const root = fileURLToPath(new URL('../..', import.meta.url))
const proto = join(root, 'test/fixtures/proxy-test.proto')
const identity = (value) => value
// SetValueRequest { key: "k", value: 1.0 }, encoded once: the clients send bytes, so only the path is measured.
const REQUEST = Buffer.from([0x0a, 0x01, 0x6b, 0x11, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f])

/** CPU time (user + system, µs) a process has used, from /proc; `undefined` where there is no /proc. */
function cpuOf(pid) {
  const file = `/proc/${pid}/stat`
  if (!existsSync(file)) return undefined
  const fields = readFileSync(file, 'utf8').split(') ')[1].split(' ')
  // utime and stime, in clock ticks (100 per second on Linux).
  return (Number(fields[11]) + Number(fields[12])) * 10_000
}

/** Starts a child that prints `listening on HOST:PORT,` and resolves with the address and a stopper. */
function startProcess(args, label) {
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
  let errors = ''
  child.stderr.on('data', (chunk) => (errors += chunk))
  return new Promise((resolve, reject) => {
    let out = ''
    child.stdout.on('data', (chunk) => {
      out += chunk
      const match = /listening on (\S+),/.exec(out)
      if (match)
        resolve({
          address: match[1],
          cpu: () => cpuOf(child.pid),
          stop: () =>
            new Promise((done) => {
              child.once('exit', done)
              child.kill('SIGTERM')
            }),
        })
    })
    child.once('exit', (code) => reject(new Error(`bench: ${label} exited (${code}) before listening: ${errors}`)))
  })
}

/** `clients` loops of unary calls for `total` calls in all; per-call latencies (µs) and calls per second. */
async function load(address, clients, total) {
  const channels = Array.from({ length: clients }, () => new grpc.Client(address, grpc.credentials.createInsecure()))
  const call = (client) =>
    new Promise((resolve, reject) =>
      client.makeUnaryRequest('/proxytest.Store/SetValue', identity, identity, REQUEST, new grpc.Metadata(), {}, (error) => (error ? reject(error) : resolve())),
    )
  // Warm-up: connections up, JIT warm.
  await Promise.all(channels.map(async (client) => {
    for (let i = 0; i < 50; i++) await call(client)
  }))
  const latencies = []
  const perClient = Math.ceil(total / clients)
  const start = process.hrtime.bigint()
  await Promise.all(channels.map(async (client) => {
    for (let i = 0; i < perClient; i++) {
      const t = process.hrtime.bigint()
      await call(client)
      latencies.push(Number(process.hrtime.bigint() - t) / 1000)
    }
  }))
  const seconds = Number(process.hrtime.bigint() - start) / 1e9
  for (const client of channels) client.close()
  latencies.sort((a, b) => a - b)
  const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]
  return { rate: (perClient * clients) / seconds, p50: at(0.5), p99: at(0.99), calls: perClient * clients }
}

/** Rows for the results table. */
export async function proxyScenarios({ quick }) {
  const rounds = quick ? 1 : 5
  const single = quick ? 300 : 3000
  const many = quick ? 1600 : 16_000
  const dir = tempDir('proxy')
  const mapping = join(dir, 'mapping.json')
  writeFileSync(mapping, JSON.stringify({ rpcs: { 'proxytest.Store/SetValue': { rules: [{ action: 'value_set', details: { key: { request: 'key' }, value: { request: 'value' } }, status: { successField: 'success', errorField: 'message' } }] } } }))
  const backend = await startProcess(['bench/children/grpc-backend.mjs', proto], 'backend')
  const floor = await startProcess(['bench/children/h2-forwarder.mjs', backend.address], 'bare forwarder')
  const cli = ['packages/cli/dist/cli.js', 'proxy', '--target', backend.address, '--listen', '127.0.0.1:0', '--proto', proto]
  const plain = await startProcess([...cli, '--dir', join(dir, 'plain')], 'unaudited proxy')
  const audited = await startProcess([...cli, '--mapping', mapping, '--dir', join(dir, 'audited')], 'audited proxy')
  const names = ['direct', 'floor', 'plain', 'audited']
  const paths = { direct: backend.address, floor: floor.address, plain: plain.address, audited: audited.address }
  const proxies = { direct: undefined, floor, plain, audited }
  const samples = { 1: { direct: [], floor: [], plain: [], audited: [] }, 16: { direct: [], floor: [], plain: [], audited: [] } }
  // CPU µs per call of each process on the 16-client runs: far less sensitive than wall time to how busy the machine is.
  const cpu = { direct: { backend: [] }, floor: { backend: [], proxy: [] }, plain: { backend: [], proxy: [] }, audited: { backend: [], proxy: [] } }
  try {
    for (let r = 0; r < rounds; r++) {
      for (const clients of [1, 16]) {
        for (const name of names) {
          const before = { backend: backend.cpu(), proxy: proxies[name]?.cpu() }
          const sample = await load(paths[name], clients, clients === 1 ? single : many)
          samples[clients][name].push(sample)
          if (clients !== 16 || before.backend === undefined) continue
          cpu[name].backend.push((backend.cpu() - before.backend) / sample.calls)
          if (proxies[name] !== undefined) cpu[name].proxy.push((proxies[name].cpu() - before.proxy) / sample.calls)
        }
      }
    }
  } finally {
    await Promise.all([floor.stop(), plain.stop(), audited.stop()])
    await backend.stop()
  }
  const med = (clients, name, key) => median(samples[clients][name].map((s) => s[key]))
  const perCall = (clients, name) => 1e6 / med(clients, name, 'rate')
  const added = (name, key) => med(1, name, key) - med(1, 'direct', key)
  const rate16 = (name) => med(16, name, 'rate') / med(16, 'direct', 'rate')
  const figures = {
    ratio16: rate16('audited'),
    plainRatio16: rate16('plain'),
    floorRatio16: rate16('floor'),
    ratio1: med(1, 'audited', 'rate') / med(1, 'direct', 'rate'),
    p50Added: added('audited', 'p50'),
    p99Added: added('audited', 'p99'),
    plainP50Added: added('plain', 'p50'),
    floorP50Added: added('floor', 'p50'),
  }
  process.stderr.write(`proxy: ${JSON.stringify(Object.fromEntries(Object.entries(figures).map(([k, v]) => [k, Number(v.toFixed(3))])))}\n`)
  // The warm-up calls count in the CPU figures too (50 per client, against thousands measured): a slight overestimate.
  const cpuRow = (label, name, baseline, baselineName) => ({ scenario: `gRPC proxy: ${label} process, CPU per call (16 clients)`, value: median(cpu[name].proxy), baseline, baselineName, target: 'reported', ok: true })
  const cpuRows =
    cpu.direct.backend.length === 0
      ? []
      : [
          cpuRow('bare node:http2 forwarder (floor)', 'floor', median(cpu.direct.backend), 'backend process'),
          cpuRow('proxy unaudited', 'plain', median(cpu.floor.proxy), 'floor'),
          cpuRow('proxy audited (1 event/call)', 'audited', median(cpu.plain.proxy), 'unaudited'),
        ]
  // Per-call times (the inverse of the rate): a ratio of 1.25 is a rate of 0.8×.
  const perCall16 = (label, name, baselineName, target, ok) => ({ scenario: `gRPC proxy: ${label}, 16 clients, time per call (all together)`, value: perCall(16, name), baseline: perCall(16, baselineName), baselineName, target, ok })
  const p50 = (label, name, target, ok) => ({ scenario: `gRPC proxy: ${label}, 1 client, p50 latency added to direct`, value: Math.max(0, added(name, 'p50')), target, ok })
  return [
    ...cpuRows,
    perCall16('bare node:http2 forwarder (floor)', 'floor', 'direct', 'reported', true),
    perCall16('proxy unaudited', 'plain', 'direct', 'reported', true),
    perCall16('proxy audited (1 event/call)', 'audited', 'direct', '≥ 0.8× direct rate (ratio ≤ 1.25)', figures.ratio16 >= 0.8),
    perCall16('proxy audited against the floor', 'audited', 'floor', 'reported', true),
    { scenario: 'gRPC proxy: proxy audited, 1 client, time per call', value: perCall(1, 'audited'), baseline: perCall(1, 'direct'), baselineName: 'direct', target: 'reported', ok: true },
    p50('bare node:http2 forwarder (floor)', 'floor', 'reported', true),
    p50('proxy unaudited', 'plain', 'reported', true),
    p50('proxy audited', 'audited', '≤ 0.3 ms', figures.p50Added <= 300),
    { scenario: 'gRPC proxy: proxy audited, 1 client, p99 latency added to direct', value: Math.max(0, figures.p99Added), target: 'reported', ok: true },
  ]
}
