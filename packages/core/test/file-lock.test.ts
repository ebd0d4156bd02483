import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createFileLock, isAuditrailError, type FileLock } from '@auditrail/core'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'

let dir: string
let file: string
const opened: FileLock[] = []

function lockOn(target: string, timeoutMs?: number): FileLock {
  const lock = createFileLock(target, 'sink-json', timeoutMs === undefined ? {} : { timeoutMs })
  opened.push(lock)
  return lock
}

function thrownBy(fn: () => unknown): unknown {
  try {
    fn()
  } catch (error) {
    return error
  }
  throw new Error('expected a throw')
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'auditrail-core-'))
  file = join(dir, 'audit_log.json')
})

afterEach(() => {
  // Release anything a failed test left held, so proper-lockfile's refresh timers stop.
  for (const lock of opened.splice(0)) lock.release()
  rmSync(dir, { recursive: true, force: true })
})

describe('createFileLock', () => {
  test('acquire holds a <file>.lock directory, release removes it; the file itself need not exist', () => {
    const lock = lockOn(file)
    expect(lock.held).toBe(false)
    lock.acquire()
    expect(lock.held).toBe(true)
    expect(statSync(`${file}.lock`).isDirectory()).toBe(true)
    expect(existsSync(file)).toBe(false)
    lock.release()
    expect(lock.held).toBe(false)
    expect(existsSync(`${file}.lock`)).toBe(false)
  })

  test('a second lock on the same file times out with a locked error while the first holds it, and gets it after release', () => {
    const first = lockOn(file)
    const second = lockOn(file, 300)
    first.acquire()

    const error = thrownBy(() => second.acquire())
    expect(isAuditrailError(error, 'locked')).toBe(true)
    expect(error).toMatchObject({ component: 'sink-json', file: `${file}.lock` })
    expect((error as Error).message).toContain('300 ms')
    expect(second.held).toBe(false)
    expect(first.held).toBe(true)

    first.release()
    second.acquire()
    expect(second.held).toBe(true)
    expect(existsSync(`${file}.lock`)).toBe(true)
    second.release()
    expect(existsSync(`${file}.lock`)).toBe(false)
  })

  test('locks on different files do not contend', () => {
    const a = lockOn(file, 300)
    const b = lockOn(join(dir, 'audit_log.csv'), 300)
    a.acquire()
    b.acquire()
    expect([a.held, b.held]).toEqual([true, true])
  })

  test('acquire while already held is a no-op', () => {
    const lock = lockOn(file, 300)
    lock.acquire()
    lock.acquire()
    expect(lock.held).toBe(true)
    lock.release()
    expect(existsSync(`${file}.lock`)).toBe(false)
  })

  test('release when not held is a no-op, before any acquire and after a release', () => {
    const lock = lockOn(file)
    expect(() => lock.release()).not.toThrow()
    lock.acquire()
    lock.release()
    expect(() => lock.release()).not.toThrow()
    expect(lock.held).toBe(false)
  })

  test('the lock can be taken again and again', () => {
    const lock = lockOn(file, 300)
    for (let i = 0; i < 5; i++) {
      lock.acquire()
      expect(existsSync(`${file}.lock`)).toBe(true)
      lock.release()
      expect(existsSync(`${file}.lock`)).toBe(false)
    }
  })

  test('a lock in a missing directory fails with an io error naming the lock path, not a timeout', () => {
    const missing = join(dir, 'no-such-dir', 'audit_log.json')
    const error = thrownBy(() => lockOn(missing, 300).acquire())
    expect(isAuditrailError(error, 'io')).toBe(true)
    expect((error as Error).message).toBe(`[auditrail] [sink-json] cannot take the lock: ENOENT (${missing}.lock)`)
  })
})
