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
  ['a header torn before its line break', 'timestamp,action_type,status,details,error'],
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
    // Newest first too: the record counted from the header, not from where the read began.
    expect(catchAuditrailError(() => [...sink.read({ order: 'newest-first' })]).message).toBe(error.message)
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
})
