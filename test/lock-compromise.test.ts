import { rmSync } from 'node:fs'
import { createJsonSink } from '@auditrail/sink-json'
import { formatMicros } from '@auditrail/core'
import { afterEach, expect, it } from 'vitest'
import { tempDir } from './support/temp-dir.js'

const warnings: Error[] = []
const onWarning = (warning: Error): void => {
  warnings.push(warning)
}
// Node's own listener prints each warning to stderr; this one is expected, so it is collected, not printed: a green run
// shows no "lock was compromised" line. Node's listeners are put back after the test.
let nodeListeners: ((warning: Error) => void)[] = []
afterEach(() => {
  process.off('warning', onWarning)
  for (const listener of nodeListeners) process.on('warning', listener)
  nodeListeners = []
})

const event = (i: number) => Object.freeze({ timestamp: formatMicros(1_780_000_000_000_000 + i), action_type: 'pause', status: 'success' as const, details: {}, error: null })

// A lock taken from a live holder (here: its directory removed, as a stale takeover by another process would) is
// detected by proper-lockfile's refresh timer and reported as a warning, never thrown from a timer; the next
// tenure re-reads the file and writing goes on.
it('reports a compromised lock as a process warning and keeps working', async () => {
  nodeListeners = process.listeners('warning')
  process.removeAllListeners('warning')
  process.on('warning', onWarning)
  const sink = createJsonSink({ rootLogDir: tempDir(), lock: { staleMs: 2000, hold: { idleMs: 60_000, maxMs: 60_000 } } })
  sink.write(event(0))
  rmSync(`${sink.path}.lock`, { recursive: true })
  // proper-lockfile refreshes the lock every staleMs / 2; its next refresh finds the directory gone.
  await new Promise((resolve) => setTimeout(resolve, 1600))
  sink.flush()
  await new Promise((resolve) => setImmediate(resolve))
  expect(warnings.some((w) => w.name === 'AuditrailWarning' && (w as NodeJS.ErrnoException).code === 'AUDITRAIL_LOCK_COMPROMISED' && /compromised/.test(w.message))).toBe(true)
  sink.write(event(1))
  expect([...sink.read({ order: 'oldest-first' })].map((e) => e.timestamp)).toEqual([event(0).timestamp, event(1).timestamp])
  sink.close()
})
