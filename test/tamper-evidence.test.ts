import { readFileSync, writeFileSync } from 'node:fs'
import { AuditLogger, verifyLog, type VerifyLogResult } from 'auditrail'
import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { runPython } from './support/python.js'
import { tempDir } from './support/temp-dir.js'

/**
 * The tampering property of issue #6: an attacker without the key edits, deletes, inserts or swaps rows of a
 * hash-chained log in a text editor; `verifyLog` must fail and name, as the first bad seq, the position (oldest first)
 * of the first row touched. Dropping the newest rows is only visible against a head kept elsewhere.
 */

type Format = 'json' | 'csv'

/** A log file as rows of text, oldest first (our writers put one event per line when no value holds a line break). */
interface RawLog {
  readonly format: Format
  readonly rows: readonly string[]
}

function readRaw(file: string, format: Format): RawLog {
  const text = readFileSync(file, 'utf8')
  if (format === 'json') {
    const rows = text
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => (line.endsWith(',') ? line.slice(0, -1) : line))
    return { format, rows: rows.reverse() }
  }
  const lines = text.split('\r\n').filter((line) => line !== '')
  return { format, rows: lines.slice(1) }
}

function writeRaw(file: string, raw: RawLog, header: string): void {
  if (raw.format === 'json') writeFileSync(file, `[\n${[...raw.rows].reverse().join(',\n')}\n]\n`)
  else writeFileSync(file, `${header}\r\n${raw.rows.map((row) => `${row}\r\n`).join('')}`)
}

/** An event row a forger writes by hand, without seq or hash (CSV: empty cells for the columns the file has). */
function forgedRow(format: Format, columns: number): string {
  const timestamp = '2026-05-27T14:30:00.500000Z'
  if (format === 'json') return `{"timestamp":"${timestamp}","action_type":"checkpoint_restore","status":"success","details":{"checkpoint_id":"ckpt_000"},"error":null}`
  return [timestamp, 'checkpoint_restore', 'success', '"{""checkpoint_id"":""ckpt_000""}"', ...Array<string>(columns - 4).fill('')].join(',')
}

type Tamper =
  | { readonly kind: 'edit'; readonly at: number; readonly what: 'details' | 'status' | 'timestamp' }
  | { readonly kind: 'delete'; readonly at: number }
  | { readonly kind: 'insert-copy'; readonly at: number; readonly of: number }
  | { readonly kind: 'insert-forged'; readonly at: number }
  | { readonly kind: 'swap'; readonly at: number; readonly with: number }

function tamperArbitrary(count: number): fc.Arbitrary<Tamper> {
  const index = fc.integer({ min: 0, max: count - 1 })
  return fc.oneof(
    fc.record({ kind: fc.constant('edit' as const), at: index, what: fc.constantFrom('details' as const, 'status' as const, 'timestamp' as const) }),
    // Deleting the newest row leaves a valid chain: that case is the pinned-head test below.
    fc.record({ kind: fc.constant('delete' as const), at: fc.integer({ min: 0, max: count - 2 }) }),
    fc.record({ kind: fc.constant('insert-copy' as const), at: fc.integer({ min: 0, max: count }), of: index }),
    fc.record({ kind: fc.constant('insert-forged' as const), at: fc.integer({ min: 0, max: count }) }),
    fc
      .tuple(index, index)
      .filter(([a, b]) => a !== b)
      .map(([a, b]) => ({ kind: 'swap' as const, at: Math.min(a, b), with: Math.max(a, b) })),
  )
}

function editRow(row: string, what: 'details' | 'status' | 'timestamp'): string {
  if (what === 'details') return row.replace(/step("+):(\d+)/, (_, quotes: string, n: string) => `step${quotes}:${Number(n) + 100}`)
  if (what === 'status') return row.includes('success') ? row.replace('success', 'failed') : row.replace('failed', 'success')
  return row.replace(/(\.\d{5})(\d)Z/, (_, head: string, digit: string) => `${head}${(Number(digit) + 5) % 10}Z`)
}

function apply(raw: RawLog, tamper: Tamper, columns: number): RawLog {
  const rows = [...raw.rows]
  switch (tamper.kind) {
    case 'edit':
      rows[tamper.at] = editRow(rows[tamper.at] as string, tamper.what)
      break
    case 'delete':
      rows.splice(tamper.at, 1)
      break
    case 'insert-copy':
      rows.splice(tamper.at, 0, raw.rows[tamper.of] as string)
      break
    case 'insert-forged':
      rows.splice(tamper.at, 0, forgedRow(raw.format, columns))
      break
    case 'swap':
      rows[tamper.at] = raw.rows[tamper.with] as string
      rows[tamper.with] = raw.rows[tamper.at] as string
      break
  }
  return { format: raw.format, rows }
}

interface Written {
  readonly file: string
  readonly raw: RawLog
  readonly header: string
  readonly columns: number
  readonly result: VerifyLogResult
}

/** Writes `count` chained events (two writers, one after the other, so the chain continues across a restart). */
function writeChained(format: Format, count: number, options: { hmacKey?: string; actors: boolean }): Written {
  const dir = tempDir()
  const open = (): AuditLogger =>
    new AuditLogger(dir, 'tamper', { format, integrity: 'sha256-chain', ...(options.hmacKey === undefined ? {} : { hmacKey: options.hmacKey }) })
  let logger = open()
  for (let i = 0; i < count; i++) {
    if (i === Math.floor(count / 2)) {
      logger.close()
      logger = open()
    }
    logger.logEvent(i % 3 === 0 ? 'hp_change' : 'pause', 'success', { step: i, note: `event ${i}` }, null, options.actors && i % 2 === 0 ? { actor: `user-${i}` } : {})
  }
  logger.close()
  const file = format === 'json' ? logger.jsonPath : logger.csvPath
  const header = readFileSync(file, 'utf8').split('\r\n')[0] as string
  return { file, raw: readRaw(file, format), header, columns: header.split(',').length, result: verifyLog(file, options.hmacKey === undefined ? {} : { hmacKey: options.hmacKey }) }
}

const RUNS = Number(process.env['AUDITRAIL_TORTURE_RUNS'] ?? 0) > 0 ? Number(process.env['AUDITRAIL_TORTURE_RUNS']) * 10 : 40

describe.each(['json', 'csv'] as const)('tamper evidence (%s)', (format) => {
  test('an untouched chained log verifies, and prints its head', () => {
    const written = writeChained(format, 7, { actors: true })
    expect(written.result.ok).toBe(true)
    expect(written.result.findings).toEqual([])
    expect(written.result.chain?.chained).toBe(7)
    expect(written.result.chain?.head?.seq).toBe(7)
    expect(written.raw.rows).toHaveLength(7)
  })

  test('every edit, deletion, insertion and swap is found, at the first seq it touches', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 9 }).chain((count) => fc.tuple(fc.constant(count), tamperArbitrary(count), fc.option(fc.constant('k3y'), { nil: undefined }), fc.boolean())),
        ([count, tamper, hmacKey, actors]) => {
          const written = writeChained(format, count, { ...(hmacKey === undefined ? {} : { hmacKey }), actors })
          expect(written.result.ok).toBe(true)
          writeRaw(written.file, apply(written.raw, tamper, written.columns), written.header)
          const result = verifyLog(written.file, hmacKey === undefined ? {} : { hmacKey })
          expect(result.ok).toBe(false)
          // A copy inserted next to its original makes two identical rows: the first bad one is the second of them.
          const adjacentCopy = tamper.kind === 'insert-copy' && (tamper.at === tamper.of || tamper.at === tamper.of + 1)
          const firstBad = adjacentCopy ? tamper.of + 2 : tamper.at + 1
          expect(result.chain?.firstBadSeq).toBe(firstBad)
          const first = result.findings.find((f) => f.seq !== undefined)
          expect(first?.seq).toBe(firstBad)
          expect(first?.file).toBe(written.file)
        },
      ),
      { seed: 4242, numRuns: RUNS },
    )
  })

  test('dropping the newest events verifies on its own, and fails against the head kept before', () => {
    const written = writeChained(format, 6, { actors: false })
    const head = written.result.chain?.head
    expect(head?.seq).toBe(6)
    writeRaw(written.file, { format, rows: written.raw.rows.slice(0, 4) }, written.header)
    expect(verifyLog(written.file).ok).toBe(true)
    const pinned = verifyLog(written.file, { expectHead: `${head?.seq}:${head?.hash}` })
    expect(pinned.ok).toBe(false)
    expect(pinned.chain?.firstBadSeq).toBe(5)
    expect(pinned.findings.map((f) => f.problem)).toEqual(['head-mismatch'])
  })

  test('a chain started on an existing log counts its older events: deleting one of them is found at seq 1', () => {
    const dir = tempDir()
    const plain = new AuditLogger(dir, 'before', { format })
    for (let i = 0; i < 3; i++) plain.logEvent('pause', 'success', { step: i })
    plain.close()
    const chained = new AuditLogger(dir, 'after', { format, integrity: 'sha256-chain' })
    chained.logEvent('resume', 'success', { step: 3 })
    chained.logEvent('resume', 'success', { step: 4 })
    chained.close()
    const file = format === 'json' ? chained.jsonPath : chained.csvPath
    const result = verifyLog(file)
    expect(result.ok).toBe(true)
    expect(result.chain).toMatchObject({ chained: 2, unchainedBefore: 3, head: { seq: 2 } })
    const header = readFileSync(file, 'utf8').split('\r\n')[0] as string
    const raw = readRaw(file, format)
    writeRaw(file, { format, rows: raw.rows.slice(1) }, header)
    expect(verifyLog(file).chain?.firstBadSeq).toBe(1)
  })

  test('an HMAC chain does not verify with another key', () => {
    const written = writeChained(format, 4, { hmacKey: 'secret', actors: false })
    expect(written.result.ok).toBe(true)
    const wrong = verifyLog(written.file, { hmacKey: 'guess' })
    expect(wrong.ok).toBe(false)
    expect(wrong.chain?.firstBadSeq).toBe(1)
  })
})

describe('the hash is recomputable without auditrail', () => {
  // The README's Python line, applied to every event of a chained log in both formats.
  const script = `
import csv, hashlib, json, sys
path, fmt = sys.argv[1], sys.argv[2]
if fmt == 'json':
    events = json.load(open(path, encoding='utf-8'))[::-1]
else:
    with open(path, newline='', encoding='utf-8') as f:
        events = [dict(r, details=json.loads(r['details']) if r['details'] else {}, error=r['error'] or None, seq=int(r['seq'])) for r in csv.DictReader(f)]
prev, ok = '0' * 64, []
for e in events:
    fields = {k: e[k] for k in ('timestamp', 'action_type', 'status', 'details', 'error', 'seq')}
    if e.get('actor'): fields['actor'] = e['actor']
    h = hashlib.sha256(json.dumps({**fields, "prev": prev}, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()).hexdigest()
    ok.append(h == e['hash'])
    prev = e['hash']
print(json.dumps(ok))
`

  test.each(['json', 'csv'] as const)('Python recomputes every hash of a %s log', (format) => {
    const written = writeChained(format, 6, { actors: true })
    expect(runPython<boolean[]>(script, written.file, format)).toEqual([true, true, true, true, true, true])
  })
})
