import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chainHash, checkInvariants, GENESIS_HASH, type AuditEvent, type AuditSink, type FileIo } from '@auditrail/core'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { auditEventsArbitrary } from './arbitraries.js'
import { createFaultyIo } from './faulty-io.js'

/** What a sink can do, so the suite runs only the tests that apply. */
export interface SinkCapabilities {
  /** It implements `read()`. */
  readonly read: boolean
  /** A second instance on the same `dir` sees the first one's events. */
  readonly persistent: boolean
  /** It does its I/O through the `io` it is given, so injected faults reach it. */
  readonly ioFaults: boolean
}

/** A sink under test. */
export interface SinkConformanceTarget {
  /** Shown in test names. */
  readonly name: string
  /** Creates a sink storing under `dir` (fresh per test, shared by the instances of one test), using `io` if it does I/O. */
  create(context: { readonly dir: string; readonly io: FileIo }): AuditSink
  readonly capabilities: SinkCapabilities
}

/** Options of {@link describeSinkConformance}. */
export interface SinkConformanceOptions {
  /** fast-check runs per property. Default 25. */
  readonly numRuns?: number
  /** fast-check seed, for reproducible CI runs. Default: random. */
  readonly seed?: number
}

const sameJson = (events: Iterable<AuditEvent>): unknown => JSON.parse(JSON.stringify([...events]))

function readAll(sink: AuditSink): AuditEvent[] {
  if (sink.read === undefined) throw new Error(`${sink.name} declares read but has no read()`)
  return [...sink.read({ order: 'oldest-first' })]
}

/** `events` with an actor on every other one and a valid hash chain, as a logger with `integrity` and `actor` writes them. */
function withActorsAndChain(events: readonly AuditEvent[]): AuditEvent[] {
  let previous = GENESIS_HASH
  return events.map((event, i) => {
    const fields = { ...event, ...(i % 2 === 0 ? { actor: `user ${i}` } : {}), seq: i + 1 }
    const hash = chainHash(fields, previous)
    previous = hash
    return { ...fields, hash }
  })
}

/**
 * Registers the conformance suite for one sink with vitest: it keeps order, loses nothing acknowledged,
 * reports failures by throwing while keeping earlier events, and honours close(). One call, e.g.
 * `describeSinkConformance({ name: 'mlflow', create: ({ dir }) => createMlflowSink(...), capabilities: {...} })`.
 */
export function describeSinkConformance(target: SinkConformanceTarget, options: SinkConformanceOptions = {}): void {
  const params = { numRuns: options.numRuns ?? 25, ...(options.seed === undefined ? {} : { seed: options.seed }) }
  const fresh = (): string => mkdtempSync(join(tmpdir(), 'auditrail-conformance-'))
  const { read, persistent, ioFaults } = target.capabilities

  describe(`sink conformance: ${target.name}`, () => {
    it('accepts events in order and returns from write only when done', () => {
      fc.assert(
        fc.property(auditEventsArbitrary({ maxLength: 15 }), (events) => {
          const sink = target.create({ dir: fresh(), io: createFaultyIo() })
          for (const event of events) sink.write(event)
          if (read) {
            expect(sameJson(readAll(sink))).toEqual(sameJson(events))
            expect(sameJson(sink.read!({ order: 'newest-first' }))).toEqual(sameJson([...events].reverse()))
            expect(checkInvariants(readAll(sink), { order: 'oldest-first', acknowledged: [events] })).toEqual([])
          }
          sink.close()
        }),
        params,
      )
    })

    it('keeps the optional actor, seq and hash fields; head(), when implemented, is the newest event written', () => {
      fc.assert(
        fc.property(auditEventsArbitrary({ minLength: 1, maxLength: 8 }), (plain) => {
          const events = withActorsAndChain(plain)
          const dir = fresh()
          const sink = target.create({ dir, io: createFaultyIo() })
          sink.prepare?.()
          expect(sink.head?.()).toBeUndefined()
          for (const event of events) {
            sink.prepare?.()
            sink.write(event)
            if (sink.head !== undefined) expect(sameJson([sink.head() as AuditEvent])).toEqual(sameJson([event]))
          }
          if (read) expect(sameJson(readAll(sink))).toEqual(sameJson(events))
          sink.close()
          if (persistent && sink.head !== undefined) {
            const again = target.create({ dir, io: createFaultyIo() })
            again.prepare?.()
            expect(sameJson([again.head?.() as AuditEvent])).toEqual(sameJson([events[events.length - 1] as AuditEvent]))
            again.close()
          }
        }),
        params,
      )
    })

    if (read && persistent) {
      it('loses nothing acknowledged across instances on the same store', () => {
        fc.assert(
          fc.property(auditEventsArbitrary({ minLength: 2, maxLength: 12 }), fc.nat(), (events, cut) => {
            const dir = fresh()
            const split = cut % events.length
            const first = target.create({ dir, io: createFaultyIo() })
            for (const event of events.slice(0, split)) first.write(event)
            first.close()
            const second = target.create({ dir, io: createFaultyIo() })
            for (const event of events.slice(split)) second.write(event)
            expect(sameJson(readAll(second))).toEqual(sameJson(events))
            second.close()
          }),
          params,
        )
      })
    }

    if (ioFaults) {
      it.each(['ENOSPC', 'EIO', 'EACCES'])('throws on %s, keeps what was written, and recovers once the fault is gone', (code) => {
        const io = createFaultyIo()
        const sink = target.create({ dir: fresh(), io })
        const [a, b, c] = fc.sample(auditEventsArbitrary({ minLength: 3, maxLength: 3 }), { numRuns: 1, seed: 7 })[0] as [AuditEvent, AuditEvent, AuditEvent]
        sink.write(a)
        io.fail('writeSync', code, { times: 1 })
        expect(() => sink.write(b)).toThrow(code)
        if (read) expect(sameJson(readAll(sink))).toEqual(sameJson([a]))
        sink.write(c)
        if (read) expect(sameJson(readAll(sink))).toEqual(sameJson([a, c]))
        sink.close()
      })
    }

    it('close is idempotent and write after close throws', () => {
      const sink = target.create({ dir: fresh(), io: createFaultyIo() })
      const [event] = fc.sample(auditEventsArbitrary({ minLength: 1, maxLength: 1 }), { numRuns: 1, seed: 1 })[0] as [AuditEvent]
      sink.write(event)
      sink.close()
      sink.close()
      expect(() => sink.write(event)).toThrow(/close/)
    })
  })
}
