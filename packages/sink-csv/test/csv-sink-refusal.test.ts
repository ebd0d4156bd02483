import { appendFileSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createCsvSink, CSV_LOG_FILE } from '@auditrail/sink-csv'
import { catchAuditrailError, event, HEADER, useTempDirs } from './support/csv-fixtures.js'

const tempDir = useTempDirs()

const row = `${event(0).timestamp},pause,success,"{""step"":0}",\r\n`

// Files the sink must never continue. Each is refused as `corrupt` and left byte for byte as it was.
const refused: [string, string | Buffer][] = [
  ['another header', `time,action,status,details,error\r\n${row}`],
  ['the header in another column order', `action_type,timestamp,status,details,error\r\n${row}`],
  ['a header with an extra column', `timestamp,action_type,status,details,error,extra\r\n${row}`],
  ['a header with a missing column', `timestamp,action_type,status,details\r\n`],
  ['an upper-case header', `TIMESTAMP,ACTION_TYPE,STATUS,DETAILS,ERROR\r\n${row}`],
  ['garbage bytes', Buffer.from([0x00, 0xff, 0xfe, 0x13, 0x37, 0x0a, 0x80, 0x81, 0x0a])],
  ['a JSON log by mistake', '[\n  {"timestamp": "2026-05-27T14:30:00.123456Z"}\n]\n'],
  ['a last row torn before its line break', `${HEADER}${row}${event(1).timestamp},resume,success,,`],
  ['a last row torn between CR and LF', `${HEADER}${row}${event(1).timestamp},resume,success,,\r`],
  ['a header torn before its line break', 'timestamp,action_type,status,details,error'],
  // A torn row that stops right after a line break inside a quoted cell: the file ends in "\n",
  // but that line break is data, so the last row is still not ended.
  ['a last row torn inside a quoted cell, after a line break', `${HEADER}${row}${event(1).timestamp},query_execute,failed,,"line one\r\n`],
]

describe('CSV sink: files it refuses', () => {
  it.each(refused)('refuses %s at createCsvSink, naming the file and leaving it unchanged', (_, content) => {
    const dir = tempDir()
    const file = join(dir, CSV_LOG_FILE)
    writeFileSync(file, content)
    const before = readFileSync(file)
    const error = catchAuditrailError(() => createCsvSink({ rootLogDir: dir }))
    expect(error.code).toBe('corrupt')
    expect(error.component).toBe('sink-csv')
    expect(error.file).toBe(file)
    expect(error.message).toContain(file)
    expect(error.message).toContain('[auditrail] [sink-csv]')
    expect(readFileSync(file).equals(before)).toBe(true)
    expect(readdirSync(dir)).toEqual([CSV_LOG_FILE])
  })

  it.each(refused)('refuses %s on write and read from a sink made before it appeared', (_, content) => {
    const dir = tempDir()
    const file = join(dir, CSV_LOG_FILE)
    const sink = createCsvSink({ rootLogDir: dir })
    writeFileSync(file, content)
    const before = readFileSync(file)
    const onWrite = catchAuditrailError(() => sink.write(event(5)))
    expect(onWrite.code).toBe('corrupt')
    expect(onWrite.message).toContain(file)
    expect(readFileSync(file).equals(before)).toBe(true)
    const onRead = catchAuditrailError(() => [...sink.read()])
    expect(onRead.code).toBe('corrupt')
    expect(readFileSync(file).equals(before)).toBe(true)
    // The failed write released the lock: no lock directory or temp file is left behind.
    expect(readdirSync(dir)).toEqual([CSV_LOG_FILE])
    sink.close()
  })

  it('refuses a row whose details are not JSON on read, naming the record', () => {
    const dir = tempDir()
    const file = join(dir, CSV_LOG_FILE)
    writeFileSync(file, `${HEADER}${row}${event(1).timestamp},pause,success,{not json},\r\n`)
    const sink = createCsvSink({ rootLogDir: dir })
    const error = catchAuditrailError(() => [...sink.read()])
    expect(error.code).toBe('corrupt')
    expect(error.message).toContain('record 3')
    expect(error.message).toContain(file)
    sink.close()
  })

  it('accepts a file holding only the header and continues it', () => {
    const dir = tempDir()
    const file = join(dir, CSV_LOG_FILE)
    writeFileSync(file, HEADER)
    const sink = createCsvSink({ rootLogDir: dir })
    expect([...sink.read()]).toEqual([])
    sink.write(event(0))
    expect(readFileSync(file, 'utf8')).toBe(HEADER + row)
    sink.close()
  })

  it('refuses a row torn inside a quoted cell that another writer appended after this sink last wrote', () => {
    const dir = tempDir()
    const sink = createCsvSink({ rootLogDir: dir })
    sink.write(event(0))
    sink.write(event(1, { status: 'failed', error: 'a "quoted" error' }))
    appendFileSync(sink.path, `${event(2).timestamp},query_execute,failed,,"first line\nsecond`.concat('\n'))
    const before = readFileSync(sink.path)
    expect(catchAuditrailError(() => sink.write(event(3))).code).toBe('corrupt')
    expect(readFileSync(sink.path).equals(before)).toBe(true)
    sink.close()
  })

  it('rechecks the whole file when it was replaced by another one, even a longer one', () => {
    const dir = tempDir()
    const sink = createCsvSink({ rootLogDir: dir })
    sink.write(event(0))
    sink.write(event(1))
    expect([...sink.read()]).toHaveLength(2)
    const size = readFileSync(sink.path).length
    // The open quote lies before the old end of file, the rest (longer than the old file) holds no quote.
    const torn = `${HEADER}${event(5).timestamp},query_execute,failed,,"torn\n${'x'.repeat(size)}\n`
    writeFileSync(join(dir, 'replacement'), torn)
    renameSync(join(dir, 'replacement'), sink.path)
    expect(catchAuditrailError(() => sink.write(event(6))).code).toBe('corrupt')
    expect(readFileSync(sink.path, 'utf8')).toBe(torn)
    sink.close()
  })
})
