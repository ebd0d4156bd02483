import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { nodeFileIo, type AuditEvent, type FileIo, type JsonObject } from '@auditrail/core'
import { createJsonSink } from '../src/index.js'
import { makeEvent, parseLog, tempLogDir, viaJson } from './event-factory.js'

/** Details as callers log them: any JSON object, sometimes with a string big enough to outgrow the gap. */
const detailsArb: fc.Arbitrary<JsonObject> = fc.oneof(
  { weight: 3, arbitrary: fc.dictionary(fc.string({ unit: 'binary' }), fc.jsonValue({ maxDepth: 3, stringUnit: 'binary' }), { maxKeys: 5 }) },
  { weight: 1, arbitrary: fc.record({ blob: fc.integer({ min: 2_000, max: 40_000 }).map((n) => 'x'.repeat(n)), tag: fc.string() }) },
) as fc.Arbitrary<JsonObject>

const eventsArb = fc.array(
  fc.record({ details: detailsArb, failed: fc.boolean(), action: fc.constantFrom('hp_change', 'tag_add', 'note_write', 'custom action ✓') }),
  { minLength: 1, maxLength: 14 },
)

function toSpec(blobBytes: number) {
  return { details: { blob: 'z'.repeat(blobBytes), tag: '' }, failed: false, action: 'hp_change' as const }
}

function toEvents(specs: Array<{ details: JsonObject; failed: boolean; action: string }>): AuditEvent[] {
  return specs.map(({ details, failed, action }, i) =>
    Object.freeze({ ...makeEvent(i, details, action), status: failed ? 'failed' : 'success', error: failed ? `boom ${i}` : null }),
  )
}

/** `node:fs`, counting renames: each one is a whole-file rewrite (creation, conversion or gap growth). */
function renameCountingIo(): { io: FileIo; renames: () => number } {
  let renames = 0
  const io: FileIo = {
    ...nodeFileIo,
    renameSync(from, to) {
      nodeFileIo.renameSync(from, to)
      renames++
    },
  }
  return { io, renames: () => renames }
}

describe('every write leaves a valid newest-first JSON array of everything written so far', () => {
  it('holds for random events, including ones that force gap-growth rewrites', () => {
    let mostRewrites = 0
    fc.assert(
      fc.property(eventsArb, (specs) => {
        const dir = tempLogDir()
        const events = toEvents(specs)
        const { io, renames } = renameCountingIo()
        const sink = createJsonSink({ rootLogDir: dir, io })
        try {
          for (const [i, event] of events.entries()) {
            sink.write(event)
            const expected = viaJson(events.slice(0, i + 1).reverse())
            expect(parseLog(dir)).toEqual(expected)
            expect(viaJson([...sink.read()])).toEqual(expected)
            expect(viaJson([...sink.read({ order: 'oldest-first' })])).toEqual(viaJson(events.slice(0, i + 1)))
          }
        } finally {
          sink.close()
        }
        mostRewrites = Math.max(mostRewrites, renames())
      }),
      { numRuns: 30, examples: [[[toSpec(30_000), toSpec(40_000), toSpec(35_000), toSpec(2_000)]]] },
    )
    // The generator did reach the gap-growth path several times within one run.
    expect(mostRewrites).toBeGreaterThanOrEqual(3)
  })

  it('rewrites rarely: the gap grows geometrically, so 200 events of 3 KB take a handful of rewrites', () => {
    const dir = tempLogDir()
    const { io, renames } = renameCountingIo()
    const sink = createJsonSink({ rootLogDir: dir, io })
    const events = Array.from({ length: 200 }, (_, i) => makeEvent(i, { blob: 'y'.repeat(3_000) }))
    for (const event of events) sink.write(event)
    sink.close()
    expect(renames()).toBeLessThanOrEqual(12)
    expect(renames()).toBeGreaterThan(3)
    expect(parseLog(dir)).toEqual([...events].reverse())
  })
})
