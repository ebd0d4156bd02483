import * as fs from 'node:fs'
import * as os from 'node:os'
import * as nodePath from 'node:path'
import { AuditrailError, errnoCode } from './errors.js'

/** The user name of `uid` from /etc/passwd, or `undefined` where there is none (Windows, containers without it). */
function userName(uid: number): string | undefined {
  try {
    if (uid === process.getuid?.()) return os.userInfo().username
    for (const line of fs.readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const fields = line.split(':')
      if (fields[2] === String(uid)) return fields[0]
    }
  } catch {
    // Best effort: the message still names the uid.
  }
  return undefined
}

/** `uid 0 (root)`, or `uid 1234` when the name is unknown. */
function describeUid(uid: number): string {
  const name = userName(uid)
  return name === undefined ? `uid ${uid}` : `uid ${uid} (${name})`
}

/**
 * The `io` {@link AuditrailError} for a path this process may not read, write or enter (EACCES, EPERM). Besides the path,
 * it names who owns what refused us and who this process runs as, because our directories are `0700` and the usual cause
 * is another user's log. What refused us is the nearest of `path` and its parents we can `lstat` (which needs no
 * permission on the path itself): `path` when it is a file we may not open, its directory when we may not enter that.
 */
export function accessDeniedError(component: string, action: string, path: string, cause: unknown): AuditrailError {
  const code = errnoCode(cause) ?? 'EACCES'
  let owner = ''
  for (let at = nodePath.resolve(path); ; at = nodePath.dirname(at)) {
    try {
      const stat = fs.lstatSync(at)
      owner = `; ${at} is owned by ${describeUid(stat.uid)}, mode ${(stat.mode & 0o7777).toString(8).padStart(4, '0')}`
      break
    } catch {
      // Not visible either: its parent is what refused us.
      if (nodePath.dirname(at) === at) break
    }
  }
  const uid = process.getuid?.()
  const self = uid === undefined ? '' : `${owner === '' ? ';' : ','} and this process runs as ${describeUid(uid)}`
  return new AuditrailError('io', `cannot ${action}: ${code} (permission denied)${owner}${self}`, { component, file: path, cause })
}

/** True for the errno codes of a permission refusal. */
export function isAccessDenied(error: unknown): boolean {
  const code = errnoCode(error)
  return code === 'EACCES' || code === 'EPERM'
}
