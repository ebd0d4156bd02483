import { AuditrailError } from './errors.js'

/** The output formats of the spec's `AUDIT_LOG_FORMAT`. */
export type AuditLogFormat = 'json' | 'csv' | 'none'

/** The valid formats, default first. */
export const AUDIT_LOG_FORMATS: readonly AuditLogFormat[] = ['json', 'csv', 'none']

function parse(value: string): AuditLogFormat | undefined {
  const normalized = value.trim().toLowerCase()
  return (AUDIT_LOG_FORMATS as readonly string[]).includes(normalized) ? (normalized as AuditLogFormat) : undefined
}

/**
 * Resolves the format: explicit option > `AUDIT_LOG_FORMAT` (trimmed, case-insensitive) > `json`.
 * An invalid explicit option throws an `options` error; an invalid environment value emits a
 * process warning naming the valid values and falls back to `json`.
 */
export function resolveFormat(explicit?: string, env: NodeJS.ProcessEnv = process.env): AuditLogFormat {
  if (explicit !== undefined) {
    const format = parse(explicit)
    if (format === undefined) {
      throw new AuditrailError('options', `format: expected one of ${AUDIT_LOG_FORMATS.join(', ')}, got ${JSON.stringify(explicit)}`, {
        component: 'core',
        field: 'format',
      })
    }
    return format
  }
  const fromEnv = env['AUDIT_LOG_FORMAT']
  if (fromEnv === undefined || fromEnv.trim() === '') return 'json'
  const format = parse(fromEnv)
  if (format !== undefined) return format
  process.emitWarning(`AUDIT_LOG_FORMAT=${JSON.stringify(fromEnv)} is not one of ${AUDIT_LOG_FORMATS.join(', ')}; using json`, {
    type: 'AuditrailWarning',
    code: 'AUDITRAIL_INVALID_FORMAT',
  })
  return 'json'
}
