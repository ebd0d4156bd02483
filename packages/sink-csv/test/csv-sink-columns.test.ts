import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { AuditEvent } from '@auditrail/core'
import { createCsvSink, CSV_LOG_FILE } from '@auditrail/sink-csv'
import { asPythonRowOf, catchAuditrailError, event, HEADER, pythonReadCsv, readText, useTempDirs, viaJson } from './support/csv-fixtures.js'

const tempDir = useTempDirs()

const SPEC = 'timestamp,action_type,status,details,error'
const H = { spec: SPEC, actor: `${SPEC},actor`, chain: `${SPEC},seq,hash`, both: `${SPEC},actor,seq,hash` }
const HASH = (c: string): string => c.repeat(64)
const ts = (i: number): string => event(i).timestamp

/** Writes `text` as the log of a fresh directory; returns the directory and the file. */
function logFile(text: string): { dir: string; file: string } {
  const dir = tempDir()
  const file = join(dir, CSV_LOG_FILE)
  writeFileSync(file, text)
  return { dir, file }
}

function readAll(dir: string): AuditEvent[] {
  const sink = createCsvSink({ rootLogDir: dir })
  try {
    return [...sink.read()]
  } finally {
    sink.close()
  }
}

/** Appends `events` with a fresh sink. */
function writeAll(dir: string, events: readonly AuditEvent[]): void {
  const sink = createCsvSink({ rootLogDir: dir })
  for (const e of events) sink.write(e)
  sink.close()
}

describe('CSV sink: columns', () => {
  it.each([
    ['no extra field', event(0), H.spec, `${ts(0)},pause,success,"{""step"":0}",`],
    ['an actor', event(0, { actor: 'ana' }), H.actor, `${ts(0)},pause,success,"{""step"":0}",,ana`],
    ['seq and hash', event(0, { seq: 1, hash: HASH('a') }), H.chain, `${ts(0)},pause,success,"{""step"":0}",,1,${HASH('a')}`],
    ['all three', event(0, { actor: 'ana', seq: 7, hash: HASH('b') }), H.both, `${ts(0)},pause,success,"{""step"":0}",,ana,7,${HASH('b')}`],
  ])('a new file gets the columns its first event needs: %s', (_, first, header, row) => {
    const dir = tempDir()
    writeAll(dir, [first])
    expect(readText(join(dir, CSV_LOG_FILE))).toBe(`${header}\r\n${row}\r\n`)
    const [back] = readAll(dir)
    expect(back).toEqual(first)
    expect(Object.keys(back ?? {})).toEqual(Object.keys(first))
  })

  it.each(['\r\n', '\n'])('reads every header variant (line break %j); an empty actor, seq or hash cell is no field', (nl) => {
    const rows = (header: string, cells: string[]): string => [header, ...cells].join(nl) + nl
    const cases: [string, AuditEvent[]][] = [
      [rows(H.spec, [`${ts(0)},pause,success,,`]), [event(0, { details: {} })]],
      [rows(H.actor, [`${ts(0)},pause,success,,,`, `${ts(1)},pause,success,,,"svc, ""bot"""`]), [event(0, { details: {} }), event(1, { details: {}, actor: 'svc, "bot"' })]],
      [rows(H.chain, [`${ts(0)},pause,success,,,,`, `${ts(1)},pause,success,,,12,${HASH('c')}`]), [event(0, { details: {} }), event(1, { details: {}, seq: 12, hash: HASH('c') })]],
      [
        rows(H.both, [`${ts(0)},pause,failed,,"",,,`, `${ts(1)},pause,success,,,'=x,3,${HASH('d')}`]),
        [event(0, { details: {}, status: 'failed', error: '' }), event(1, { details: {}, actor: '=x', seq: 3, hash: HASH('d') })],
      ],
    ]
    for (const [text, expected] of cases) {
      const { dir } = logFile(text)
      const read = readAll(dir)
      expect(read).toEqual(expected)
      // Absent, not undefined: the decoded event has exactly the fields logged.
      expect(read.map((e) => Object.keys(e))).toEqual(expected.map((e) => Object.keys(e)))
    }
  })

  it('an event that does not use a column of its file gets an empty cell there', () => {
    const dir = tempDir()
    writeAll(dir, [event(0, { actor: 'ana', seq: 1, hash: HASH('a') }), event(1, { details: {} }), event(2, { details: {}, actor: 'bo' })])
    expect(readText(join(dir, CSV_LOG_FILE)).split('\r\n').slice(2)).toEqual([`${ts(1)},pause,success,,,,,`, `${ts(2)},pause,success,,,bo,,`, ''])
    expect(readAll(dir).map((e) => Object.keys(e).length)).toEqual([8, 5, 6])
  })
})

// Rows a hand-written (or older) file may hold: quoted cells with commas, quotes, CRLF, LF and a CR at the end.
const oldRows = [
  `${ts(0)},pause,success,"{""step"":0}",`,
  `${ts(1)},query_execute,failed,"{""q"":""a,b""}","line one\r\nline two, ""quoted"""`,
  `${ts(2)},pause,failed,,""`,
  `${ts(3)},note_write,failed,,"ends with CR\r"`,
  `${ts(4)},pause,failed,,'=cmd`,
  `${ts(5)},resume,failed,,"a\nb"`,
]
const oldEvents = [
  event(0),
  event(1, { action_type: 'query_execute', status: 'failed', details: { q: 'a,b' }, error: 'line one\r\nline two, "quoted"' }),
  event(2, { status: 'failed', details: {}, error: '' }),
  event(3, { action_type: 'note_write', status: 'failed', details: {}, error: 'ends with CR\r' }),
  event(4, { status: 'failed', details: {}, error: '=cmd' }),
  event(5, { action_type: 'resume', status: 'failed', details: {}, error: 'a\nb' }),
]

describe('CSV sink: upgrading a file to more columns', () => {
  it.each([
    ['+actor', event(9, { action_type: 'resume', details: {}, actor: 'ana' }), H.actor, ',', `${ts(9)},resume,success,,,ana`],
    ['+seq,hash', event(9, { action_type: 'resume', details: {}, seq: 1, hash: HASH('e') }), H.chain, ',,', `${ts(9)},resume,success,,,1,${HASH('e')}`],
    ['+actor,seq,hash', event(9, { action_type: 'resume', details: {}, actor: '-x', seq: 1, hash: HASH('e') }), H.both, ',,,', `${ts(9)},resume,success,,,'-x,1,${HASH('e')}`],
  ])('5 columns → %s: one rewrite, every row byte for byte with empty cells added, then the new row', (_, next, header, cells, newRow) => {
    const { dir, file } = logFile(`${SPEC}\r\n${oldRows.map((r) => `${r}\r\n`).join('')}`)
    expect(readAll(dir)).toEqual(oldEvents)
    writeAll(dir, [next])
    expect(readText(file)).toBe(`${header}\r\n${oldRows.map((r) => `${r}${cells}\r\n`).join('')}${newRow}\r\n`)
    expect(readdirSync(dir)).toEqual([CSV_LOG_FILE])
    const read = readAll(dir)
    expect(read).toEqual([...oldEvents, next])
    expect(read.map((e) => Object.keys(e))).toEqual([...oldEvents, next].map((e) => Object.keys(e)))
    const python = pythonReadCsv([file])[0]
    expect(python?.header).toEqual(header.split(','))
    expect(python?.events).toEqual([...oldEvents, next].map(asPythonRowOf({ actor: header.includes('actor'), chain: header.includes('seq') })))
  })

  it('+actor → +actor,seq,hash: empty seq,hash cells at the end of every row', () => {
    const dir = tempDir()
    const before = [event(0, { actor: 'ana' }), event(1, { status: 'failed', error: 'x,\r\ny' })]
    writeAll(dir, before)
    const file = join(dir, CSV_LOG_FILE)
    const rows = [`${ts(0)},pause,success,"{""step"":0}",,ana`, `${ts(1)},pause,failed,"{""step"":1}","x,\r\ny",`]
    expect(readText(file)).toBe(`${H.actor}\r\n${rows.map((r) => `${r}\r\n`).join('')}`)
    const chained = event(2, { seq: 1, hash: HASH('f') })
    writeAll(dir, [chained])
    expect(readText(file)).toBe(`${H.both}\r\n${rows.map((r) => `${r},,\r\n`).join('')}${ts(2)},pause,success,"{""step"":2}",,,1,${HASH('f')}\r\n`)
    expect(readAll(dir)).toEqual([...before, chained])
  })

  it('+seq,hash → +actor,seq,hash: the empty actor cell goes between error and seq, quoted cells kept whole', () => {
    const old = [
      `${ts(0)},pause,failed,"{""a"":1}","an, error\r\nover ""two"" lines",1,${HASH('1')}`,
      `${ts(1)},pause,success,,,2,${HASH('2')}`,
      `${ts(2)},pause,failed,,"",,`,
    ]
    const { dir, file } = logFile(`${H.chain}\r\n${old.map((r) => `${r}\r\n`).join('')}`)
    const before = readAll(dir)
    writeAll(dir, [event(3, { details: {}, actor: 'ana' })])
    const widened = [
      `${ts(0)},pause,failed,"{""a"":1}","an, error\r\nover ""two"" lines",,1,${HASH('1')}`,
      `${ts(1)},pause,success,,,,2,${HASH('2')}`,
      `${ts(2)},pause,failed,,"",,,`,
    ]
    expect(readText(file)).toBe(`${H.both}\r\n${widened.map((r) => `${r}\r\n`).join('')}${ts(3)},pause,success,,,ana,,\r\n`)
    expect(readAll(dir)).toEqual([...before, event(3, { details: {}, actor: 'ana' })])
  })

  it('upgrades a file of over a megabyte, a CRLF and quoted cells split across the blocks it is copied in', () => {
    // 17 rows of 61,681 bytes after the 44-byte header: 17 × 61,681 = 2^20 + 1, so the first megabyte read ends
    // between the CR and LF of the last row.
    const rowBytes = 61_681
    const rows = Array.from({ length: 17 }, (_, i) => {
      const head = `${ts(i)},pause,failed,,`
      const pad = rowBytes - head.length - 2
      // Odd rows: a quoted error full of commas and doubled quotes; even rows: a plain one.
      return i % 2 === 0 ? head + 'x'.repeat(pad) : `${head}"${'a,""'.repeat((pad - 2) / 4)}${'b'.repeat((pad - 2) % 4)}"`
    })
    expect(rows.every((r) => r.length + 2 === rowBytes)).toBe(true)
    const { dir, file } = logFile(`${HEADER}${rows.map((r) => `${r}\r\n`).join('')}`)
    expect(readFileSync(file)[44 + 2 ** 20 - 1]).toBe(0x0d)
    writeAll(dir, [event(99, { details: {}, actor: 'ana' })])
    expect(readText(file)).toBe(`${H.actor}\r\n${rows.map((r) => `${r},\r\n`).join('')}${ts(99)},pause,success,,,ana\r\n`)
    expect(readAll(dir)).toHaveLength(18)
  })

  it('a file with LF line breaks stays LF', () => {
    const { dir, file } = logFile(`${SPEC}\n${oldRows.map((r) => `${r}\n`).join('')}`)
    writeAll(dir, [event(9, { details: {}, actor: 'ana' }), event(10, { details: {} })])
    const text = readText(file)
    expect(text).toBe(`${H.actor}\n${oldRows.map((r) => `${r},\n`).join('')}${ts(9)},pause,success,,,ana\n${ts(10)},pause,success,,,\n`)
    expect(text.replace(/"(?:[^"]|"")*"/g, '')).not.toContain('\r')
    expect(readAll(dir)).toEqual([...oldEvents, event(9, { details: {}, actor: 'ana' }), event(10, { details: {} })])
  })

  it('another sink that had the file open continues the upgraded file', () => {
    const dir = tempDir()
    const a = createCsvSink({ rootLogDir: dir })
    const b = createCsvSink({ rootLogDir: dir })
    const events = [event(0), event(1, { actor: 'bo' }), event(2), event(3, { seq: 1, hash: HASH('9') }), event(4)]
    a.write(events[0] as AuditEvent)
    a.flush()
    b.write(events[1] as AuditEvent)
    b.flush()
    a.write(events[2] as AuditEvent)
    a.flush()
    b.write(events[3] as AuditEvent)
    b.flush()
    a.write(events[4] as AuditEvent)
    expect([...a.read()]).toEqual(events)
    a.close()
    b.close()
    expect(readText(join(dir, CSV_LOG_FILE)).startsWith(`${H.both}\r\n`)).toBe(true)
    expect(viaJson(readAll(dir))).toEqual(viaJson(events))
  })

  it('a row with another number of cells is refused by the upgrade; the file is left untouched', () => {
    const { dir, file } = logFile(`${HEADER}${oldRows[0] as string}\r\n${ts(1)},pause,success,\r\n${oldRows[2] as string}\r\n`)
    const before = readFileSync(file)
    const sink = createCsvSink({ rootLogDir: dir })
    const error = catchAuditrailError(() => sink.write(event(9, { actor: 'ana' })))
    sink.close()
    expect(error.code).toBe('corrupt')
    expect(error.message).toContain('record 3: expected 5 cells, got 4')
    expect(error.message).toContain(file)
    expect(readFileSync(file).equals(before)).toBe(true)
    expect(readdirSync(dir)).toEqual([CSV_LOG_FILE])
  })
})

describe("CSV sink: rows of the spec's five cells under a wider header (the Python original appends them)", () => {
  it.each([
    ['+actor', H.actor, `${ts(0)},pause,success,"{""step"":0}",,ana`, [event(0, { actor: 'ana' })]],
    ['+seq,hash', H.chain, `${ts(0)},pause,success,"{""step"":0}",,1,${HASH('a')}`, [event(0, { seq: 1, hash: HASH('a') })]],
    ['+actor,seq,hash', H.both, `${ts(0)},pause,success,"{""step"":0}",,ana,1,${HASH('a')}`, [event(0, { actor: 'ana', seq: 1, hash: HASH('a') })]],
  ])('under %s: read with the other cells empty, as csv.DictReader does; summarized, and widened with them', (_, header, ours, oursEvents) => {
    const python = [`${ts(1)},tag_add,failed,"{""tag_name"":""x""}",no disk`, `${ts(2)},pause,success,,""`]
    const { dir, file } = logFile(`${header}\r\n${ours}\r\n${python.map((r) => `${r}\r\n`).join('')}`)
    const expected = [...oursEvents, event(1, { action_type: 'tag_add', status: 'failed', details: { tag_name: 'x' }, error: 'no disk' }), event(2, { details: {}, error: '' })]
    expect(readAll(dir)).toEqual(expected)
    const sink = createCsvSink({ rootLogDir: dir })
    expect(sink.summarize?.()).toEqual({ total_events: 3, by_action_type: { pause: 2, tag_add: 1 }, by_status: { failed: 1, success: 2 } })
    expect(sink.head?.()).toEqual(expected[2])
    sink.close()
    // Python's csv.DictReader reads the same rows, the missing columns as None (our reader: no field).
    const script = 'import csv, json, sys\nwith open(sys.argv[1], newline="", encoding="utf-8") as f:\n    print(json.dumps(list(csv.DictReader(f))))'
    const dicts = JSON.parse(execFileSync('python3', ['-c', script, file], { encoding: 'utf8' })) as Record<string, string | null>[]
    expect(dicts.map((row) => [row['timestamp'], row['action_type'], row['error']])).toEqual(expected.map((e) => [e.timestamp, e.action_type, e.error ?? '']))
    expect(dicts.slice(1).map((row) => header.split(',').slice(5).map((column) => row[column]))).toEqual([1, 2].map(() => header.split(',').slice(5).map(() => null)))
    if (header === H.both) return
    // A writer that needs every column widens the file: the Python rows get all the missing cells.
    const next = event(3, { actor: 'bo', seq: 9, hash: HASH('d') })
    writeAll(dir, [next])
    const rows = readText(file).split('\r\n')
    expect(rows[0]).toBe(H.both)
    expect(rows.slice(2, 4)).toEqual(python.map((row) => `${row},,,`))
    expect(readAll(dir)).toEqual([...expected, next])
  })
})

describe('CSV sink: rows and headers it refuses', () => {
  it.each([
    ['a missing cell', H.actor, `${ts(0)},pause,success,`, 'expected 6 cells, got 4'],
    ['an extra cell', H.actor, `${ts(0)},pause,success,,,ana,x`, 'expected 6 cells, got 7'],
    ['a missing cell', H.both, `${ts(0)},pause,success,,,ana,1`, 'expected 8 cells, got 7'],
    ['an extra cell', H.spec, `${ts(0)},pause,success,,,ana`, 'expected 5 cells, got 6'],
  ])('a row with %s under %s, naming the file and record', (_, header, bad, message) => {
    const { dir, file } = logFile(`${header}\r\n${ts(0)},pause,success,,${','.repeat(header.split(',').length - 5)}\r\n${bad}\r\n`)
    const sink = createCsvSink({ rootLogDir: dir })
    const error = catchAuditrailError(() => [...sink.read()])
    sink.close()
    expect(error.code).toBe('corrupt')
    expect(error.message).toContain(`record 3: ${message}`)
    expect(error.message).toContain(file)
  })

  it.each([
    ['seq without hash', `${SPEC},seq`],
    ['seq,hash before actor', `${SPEC},seq,hash,actor`],
    ['hash before seq', `${SPEC},hash,seq`],
    ['actor twice', `${SPEC},actor,actor`],
    ['actor then seq only', `${SPEC},actor,seq`],
    ['an unknown extra column', `${SPEC},actor,seq,hash,note`],
  ])('refuses a header with %s, leaving the file untouched', (_, header) => {
    const { dir, file } = logFile(`${header}\r\n`)
    const error = catchAuditrailError(() => createCsvSink({ rootLogDir: dir }))
    expect(error.code).toBe('corrupt')
    expect(error.message).toContain('line 1: expected the header timestamp,action_type,status,details,error (optionally followed by ,actor')
    expect(readText(file)).toBe(`${header}\r\n`)
  })

  it.each([
    ['seq 0', '0', HASH('a')],
    ['seq with a leading zero', '01', HASH('a')],
    ['seq not a number', 'x', HASH('a')],
    ['an upper-case hash', '1', HASH('A')],
    ['a short hash', '1', 'abc'],
  ])('refuses %s on read, naming the field', (_, seq, hash) => {
    const { dir } = logFile(`${H.chain}\r\n${ts(0)},pause,success,,,${seq},${hash}\r\n`)
    const sink = createCsvSink({ rootLogDir: dir })
    const error = catchAuditrailError(() => [...sink.read()])
    sink.close()
    expect(error.code).toBe('decode')
    expect(error.message).toMatch(/seq|hash/)
  })
})

describe('CSV sink: repairing a torn last row, under every header', () => {
  const extra = { [H.spec]: '', [H.actor]: ',ana', [H.chain]: `,1,${HASH('a')}`, [H.both]: `,ana,1,${HASH('a')}` }
  it.each(Object.entries(extra))('%s', (header, cells) => {
    const whole = `${ts(1)},resume,success,,${cells}`
    for (const [tail, kept] of [
      [whole, false],
      [`${whole}\r`, true],
      [whole.slice(0, -3), false],
      [`${ts(1)},query_execute,failed,,"line one\r\n`, false],
    ] as const) {
      const { dir, file } = logFile(`${header}\r\n${ts(0)},pause,success,,${cells}\r\n${tail}`)
      writeAll(dir, [event(9, { details: {}, actor: 'ana', seq: 2, hash: HASH('b') })])
      expect(readAll(dir).map((e) => e.timestamp), `${header} + ${JSON.stringify(tail)}`).toEqual([ts(0), ...(kept ? [ts(1)] : []), ts(9)])
      expect(readText(file).startsWith(`${H.both}\r\n`)).toBe(true)
    }
  })
})

describe('CSV sink: head()', () => {
  it('is the newest stored event with its seq and hash, after a restart too, and undefined for no file', () => {
    const dir = tempDir()
    const first = createCsvSink({ rootLogDir: dir })
    expect(first.head()).toBeUndefined()
    const chained = [event(0, { seq: 1, hash: HASH('1') }), event(1, { actor: 'ana', seq: 2, hash: HASH('2') })]
    for (const e of chained) first.write(e)
    expect(first.head()).toEqual(chained[1])
    first.close()
    const second = createCsvSink({ rootLogDir: dir })
    second.prepare()
    expect(second.head()).toEqual(chained[1])
    second.close()
  })

  it('throws when the newest row does not decode, rather than restart a chain from nothing', () => {
    const { dir } = logFile(`${H.chain}\r\n${ts(0)},pause,success,,,1,${HASH('a')}\r\n${ts(1)},pause,success,,,x,${HASH('b')}\r\n`)
    const sink = createCsvSink({ rootLogDir: dir })
    sink.prepare()
    expect(catchAuditrailError(() => sink.head()).message).toContain('seq')
    sink.close()
  })
})
