import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { nodeFileIo, removeStaleTemps, replaceFile, writeFully, type FileIo } from '@auditrail/core'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'

let dir: string
let file: string

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'auditrail-core-'))
  file = join(dir, 'audit_log.json')
})

afterEach(() => {
  rmSync(dir, { recursive: true, force: true })
})

/** node:fs with a log of the calls that matter for durability, and an optional failing rename. */
function tracedIo(options: { failRename?: boolean } = {}): FileIo & { calls: string[] } {
  const calls: string[] = []
  return {
    ...nodeFileIo,
    calls,
    fsyncSync(fd) {
      calls.push('fsync')
      nodeFileIo.fsyncSync(fd)
    },
    renameSync(from, to) {
      calls.push('rename')
      if (options.failRename === true) throw Object.assign(new Error('EXDEV: simulated'), { code: 'EXDEV' })
      nodeFileIo.renameSync(from, to)
    },
  }
}

const fill = (text: string) => (fd: number) => writeFully(nodeFileIo, fd, Buffer.from(text), null)

describe('replaceFile', () => {
  test('replaces the content and leaves no temporary file', () => {
    writeFileSync(file, '[old]')
    replaceFile(nodeFileIo, file, false, fill('[new]'))
    expect(readFileSync(file, 'utf8')).toBe('[new]')
    expect(readdirSync(dir)).toEqual(['audit_log.json'])
  })

  test('creates the file when it does not exist', () => {
    replaceFile(nodeFileIo, file, false, fill('[]'))
    expect(readFileSync(file, 'utf8')).toBe('[]')
  })

  test('with fsync, syncs the temporary file before the rename and the directory after it', () => {
    const io = tracedIo()
    replaceFile(io, file, true, fill('[1]'))
    expect(io.calls).toEqual(['fsync', 'rename', 'fsync'])
  })

  test('without fsync, only renames', () => {
    const io = tracedIo()
    replaceFile(io, file, false, fill('[1]'))
    expect(io.calls).toEqual(['rename'])
  })

  test('a failing fill leaves the original untouched, removes the temporary file, and rethrows', () => {
    writeFileSync(file, '[old]')
    const failure = new Error('fill failed')
    expect(() =>
      replaceFile(nodeFileIo, file, true, (fd) => {
        fill('[partial')(fd)
        throw failure
      }),
    ).toThrow(failure)
    expect(readFileSync(file, 'utf8')).toBe('[old]')
    expect(readdirSync(dir)).toEqual(['audit_log.json'])
  })

  test('a failing rename leaves the original untouched and removes the temporary file', () => {
    writeFileSync(file, '[old]')
    expect(() => replaceFile(tracedIo({ failRename: true }), file, true, fill('[new]'))).toThrow(expect.objectContaining({ code: 'EXDEV' }))
    expect(readFileSync(file, 'utf8')).toBe('[old]')
    expect(readdirSync(dir)).toEqual(['audit_log.json'])
  })
})

describe('removeStaleTemps', () => {
  test("removes only this file's leftover temporary files", () => {
    const names = [
      'audit_log.json',
      'audit_log.json.4242.0badc0de.tmp',
      'audit_log.json.1.ffffffff.tmp',
      'audit_log.json.bak',
      'audit_log.json.4242.0badc0de.tmp.keep',
      'audit_log.json.x.0badc0de.tmp',
      'audit_log.csv.4242.0badc0de.tmp',
    ]
    for (const name of names) writeFileSync(join(dir, name), 'x')
    removeStaleTemps(nodeFileIo, file)
    expect(readdirSync(dir).sort()).toEqual(
      ['audit_log.json', 'audit_log.json.bak', 'audit_log.json.4242.0badc0de.tmp.keep', 'audit_log.json.x.0badc0de.tmp', 'audit_log.csv.4242.0badc0de.tmp'].sort(),
    )
  })
})
