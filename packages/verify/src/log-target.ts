import * as fs from 'node:fs'
import * as path from 'node:path'
import { accessDeniedError, AuditrailError, errnoCode, ioError, isAccessDenied } from '@auditrail/core'
import { CSV_LOG_FILE } from '@auditrail/sink-csv'
import { JSON_LOG_FILE } from '@auditrail/sink-json'

/** The two log formats that have a file. */
export type LogFormat = 'json' | 'csv'

/** A log file and its format. */
export interface LogTarget {
  readonly file: string
  readonly format: LogFormat
}

/** The directory every command reads when given none: the spec's default `root_log_dir`. */
export const DEFAULT_TARGET = './root_experiment'

/** The format a file name says (`.json`, `.csv`, any case), or `undefined`. */
export function formatOfName(file: string): LogFormat | undefined {
  const ext = path.extname(file).toLowerCase()
  return ext === '.json' ? 'json' : ext === '.csv' ? 'csv' : undefined
}

function sniff(file: string): LogFormat | undefined {
  const fd = fs.openSync(file, 'r')
  try {
    const head = Buffer.alloc(64)
    const text = head.subarray(0, fs.readSync(fd, head, 0, 64, 0)).toString('utf8').replace(/^\uFEFF/, '')
    return text.trimStart().startsWith('[') ? 'json' : text.startsWith('timestamp,') ? 'csv' : undefined
  } finally {
    fs.closeSync(fd)
  }
}

/**
 * Finds the log a command was pointed at: a file (format from its extension, else from its first bytes), or a
 * directory holding `audit_log.json` or `audit_log.csv` (JSON first: the spec's default format).
 * Throws an `io` AuditrailError naming the path when there is no log there.
 */
export function resolveLogTarget(target: string): LogTarget {
  let stat: fs.Stats
  try {
    stat = fs.statSync(target)
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') throw new AuditrailError('io', `no such file or directory${resolvedAs(target)}`, { component: 'cli', file: target, cause: error })
    if (isAccessDenied(error)) throw accessDeniedError('cli', 'read the log', target, error)
    throw ioError('cli', 'read the log', target, error)
  }
  if (stat.isDirectory()) {
    for (const [name, format] of [[JSON_LOG_FILE, 'json'], [CSV_LOG_FILE, 'csv']] as const) {
      const file = path.join(target, name)
      // existsSync says "no" for a directory we may not enter (another user's 0700 log directory): that must not read as "no log here".
      try {
        fs.statSync(file)
      } catch (error) {
        if (isAccessDenied(error)) throw accessDeniedError('cli', 'read the log directory', target, error)
        continue
      }
      return { file, format }
    }
    throw new AuditrailError('io', `no ${JSON_LOG_FILE} or ${CSV_LOG_FILE} in this directory${resolvedAs(target)}`, { component: 'cli', file: target })
  }
  let format: LogFormat | undefined
  try {
    format = formatOfName(target) ?? sniff(target)
  } catch (error) {
    if (isAccessDenied(error)) throw accessDeniedError('cli', 'read the log', target, error)
    throw ioError('cli', 'read the log', target, error)
  }
  if (format === undefined) {
    throw new AuditrailError('options', 'cannot tell the format: name the file .json or .csv', { component: 'cli', file: target })
  }
  return { file: target, format }
}

/** `: /abs/path` for a relative `target`: which directory it was resolved from is the first doubt when it is not found. */
function resolvedAs(target: string): string {
  return path.isAbsolute(target) ? '' : `: ${path.resolve(target)}`
}
