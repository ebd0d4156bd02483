import { AuditrailError, errnoCode, ioError, isAuditrailError, type AuditrailErrorCode } from '@auditrail/core'
import { describe, expect, test } from 'vitest'

/** A Node-style system error, as fs calls throw them. */
function errno(code: string, syscall = 'write'): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: simulated, ${syscall}`), { code, syscall, errno: -28 })
}

describe('AuditrailError', () => {
  test('prefixes the component and appends the file', () => {
    const cause = new Error('inner')
    const error = new AuditrailError('corrupt', 'not a JSON array', { component: 'sink-json', file: 'root_experiment/audit_log.json', cause })
    expect(error.message).toBe('[auditrail] [sink-json] not a JSON array (root_experiment/audit_log.json)')
    expect(error).toBeInstanceOf(Error)
    expect(error).toMatchObject({ name: 'AuditrailError', code: 'corrupt', component: 'sink-json', file: 'root_experiment/audit_log.json', field: undefined, issues: [] })
    expect(error.cause).toBe(cause)
  })

  test('omits the file suffix when there is no file, and keeps field and issues', () => {
    const issues = [{ path: 'status', expected: '"success" | "failed" | "error"', actual: 'ok' }]
    const error = new AuditrailError('invalid', 'status: bad', { component: 'core', field: 'status', issues })
    expect(error.message).toBe('[auditrail] [core] status: bad')
    expect(error.field).toBe('status')
    expect(error.issues).toEqual(issues)
    expect(error.cause).toBeUndefined()
  })
})

describe('ioError', () => {
  test('names the component, the action, the errno code and the file', () => {
    const cause = errno('ENOSPC')
    const error = ioError('sink-json', 'append', 'root_experiment/audit_log.json', cause)
    expect(error.message).toBe('[auditrail] [sink-json] cannot append: ENOSPC (root_experiment/audit_log.json)')
    expect(error.code).toBe('io')
    expect(error.file).toBe('root_experiment/audit_log.json')
    expect(error.cause).toBe(cause)
  })

  test('falls back to the message of an error without a code, or the text of a non-error', () => {
    expect(ioError('sink-csv', 'rename', 'a.csv', new Error('device gone')).message).toBe('[auditrail] [sink-csv] cannot rename: device gone (a.csv)')
    expect(ioError('sink-csv', 'rename', 'a.csv', 'weird').message).toBe('[auditrail] [sink-csv] cannot rename: weird (a.csv)')
  })

  test('maps ELOOP (an O_NOFOLLOW open of a symbolic link) to an unsafe error naming the link', () => {
    const loop = Object.assign(new Error('ELOOP: too many symbolic links encountered'), { code: 'ELOOP', path: '/d/x.json.tmp' })
    const mapped = ioError('sink-json', 'append', '/d/x.json', loop)
    expect([mapped.code, mapped.file, mapped.cause]).toEqual(['unsafe', '/d/x.json.tmp', loop])
    expect(mapped.message).toBe('[auditrail] [sink-json] refusing to follow a symbolic link (/d/x.json.tmp)')
    expect(ioError('sink-json', 'append', '/d/x.json', errno('ELOOP')).file).toBe('/d/x.json')
  })

  test('passes an AuditrailError through unchanged instead of wrapping it twice', () => {
    const inner = new AuditrailError('locked', 'busy', { component: 'sink-json' })
    expect(ioError('sink-json', 'append', 'x.json', inner)).toBe(inner)
  })
})

describe('isAuditrailError and errnoCode', () => {
  const error = new AuditrailError('io', 'cannot append: EIO', { component: 'sink-json' })

  test('recognizes the class, optionally of one code', () => {
    expect(isAuditrailError(error)).toBe(true)
    expect(isAuditrailError(error, 'io')).toBe(true)
    const others: AuditrailErrorCode[] = ['options', 'invalid', 'decode', 'corrupt', 'locked', 'closed', 'unsafe']
    for (const code of others) expect(isAuditrailError(error, code), code).toBe(false)
  })

  test('rejects look-alikes', () => {
    expect(isAuditrailError(new Error('[auditrail] [core] x'))).toBe(false)
    expect(isAuditrailError({ name: 'AuditrailError', code: 'io', message: 'x' }, 'io')).toBe(false)
    expect(isAuditrailError(undefined)).toBe(false)
    expect(isAuditrailError('io')).toBe(false)
  })

  test('errnoCode reads string codes only', () => {
    expect(errnoCode(errno('EACCES'))).toBe('EACCES')
    expect(errnoCode({ code: 13 })).toBeUndefined()
    expect(errnoCode(new Error('plain'))).toBeUndefined()
    expect(errnoCode(null)).toBeUndefined()
  })
})
