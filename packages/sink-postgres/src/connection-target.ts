import { AuditrailError } from '@auditrail/core'

/** A parsed connection string: one URL per host to try in order, and how to show it without its password. */
export interface ConnectionTarget {
  /** One single-host `postgres://` URL per host, in the order libpq tries them. */
  readonly urls: readonly string[]
  /** `target_session_attrs=read-write`: a host in recovery (a standby) is skipped. */
  readonly readWrite: boolean
  /** The target as it may appear in messages and logs: user, hosts, ports, database, never the password. */
  readonly display: string
}

const COMPONENT = 'sink-postgres'

function refuse(message: string): never {
  throw new AuditrailError('options', `connection: ${message}`, { component: COMPONENT, field: 'connection' })
}

/** `key=value key='quoted value'` (libpq's keyword/value form) as a map. */
function parseKeywords(text: string): Map<string, string> {
  const entries = new Map<string, string>()
  const pattern = /\s*([a-z_]+)\s*=\s*(?:'((?:[^'\\]|\\.)*)'|(\S*))/gy
  let match: RegExpExecArray | null
  let at = 0
  while ((match = pattern.exec(text)) !== null) {
    entries.set(match[1] as string, match[2] === undefined ? (match[3] as string) : (match[2] as string).replace(/\\(.)/g, '$1'))
    at = pattern.lastIndex
  }
  if (text.slice(at).trim() !== '') refuse('expected key=value pairs after the last one parsed (the value itself is not shown)')
  return entries
}

/** The keyword form as one multi-host URL, so that both forms go through the same splitting below. */
function keywordsToUrl(text: string): string {
  const keys = parseKeywords(text)
  const take = (key: string): string | undefined => {
    const value = keys.get(key)
    keys.delete(key)
    return value
  }
  const hosts = (take('host') ?? take('hostaddr') ?? 'localhost').split(',')
  const ports = (take('port') ?? '').split(',')
  const user = take('user')
  const password = take('password')
  const database = take('dbname')
  const auth = user === undefined ? '' : `${encodeURIComponent(user)}${password === undefined ? '' : `:${encodeURIComponent(password)}`}@`
  const hostList = hosts.map((host, i) => `${host}${(ports[i] ?? ports[0]) ? `:${ports[i] ?? ports[0]}` : ''}`).join(',')
  const query = [...keys].map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(value)}`).join('&')
  return `postgres://${auth}${hostList}/${database === undefined ? '' : encodeURIComponent(database)}${query === '' ? '' : `?${query}`}`
}

/**
 * Parses a connection string as libpq reads it — `postgres://user:pw@h1:5432,h2:5433/db?target_session_attrs=read-write`
 * or `host=h1,h2 port=5432,5433 user=u password=pw dbname=db target_session_attrs=read-write` — into one URL per host
 * (node-postgres connects to one host only). Other parameters (`sslmode`, `sslrootcert`, `application_name`…) pass on.
 */
export function parseConnectionTarget(connection: string): ConnectionTarget {
  if (typeof connection !== 'string' || connection.trim() === '') refuse('expected a postgres:// URL or key=value pairs')
  const url = /^postgres(ql)?:\/\//.test(connection) ? connection : keywordsToUrl(connection)
  const match = /^postgres(?:ql)?:\/\/(?:([^@/?#]*)@)?([^/?#]*)(\/[^?#]*)?(?:\?([^#]*))?$/.exec(url)
  if (match === null) refuse('not a postgres:// URL')
  const [, userinfo, hostList, path, query] = match
  const params = new URLSearchParams(query ?? '')
  const attrs = params.get('target_session_attrs') ?? 'any'
  if (attrs !== 'any' && attrs !== 'read-write' && attrs !== 'primary') refuse(`target_session_attrs: expected "any" | "read-write" | "primary", got ${JSON.stringify(attrs)}`)
  params.delete('target_session_attrs')
  const rest = params.toString()
  const hosts = (hostList ?? '').split(',').map((host) => (host === '' ? 'localhost' : host))
  const prefix = userinfo === undefined ? '' : `${userinfo}@`
  const tail = `${path ?? ''}${rest === '' ? '' : `?${rest}`}`
  const user = userinfo === undefined ? '' : `${decodeURIComponent(userinfo.split(':')[0] as string)}@`
  return {
    urls: hosts.map((host) => `postgres://${prefix}${host}${tail}`),
    readWrite: attrs !== 'any',
    display: `postgres://${user}${hosts.join(',')}${path ?? ''}`,
  }
}

/** `text` with every occurrence of `secret` (and its URL-encoded form) replaced, for messages built from others' errors. */
export function withoutSecret(text: string, secret: string | undefined): string {
  if (secret === undefined || secret === '') return text
  return text.split(secret).join('***').split(encodeURIComponent(secret)).join('***')
}

/** The password of a connection string, if it carries one (to scrub it from any text shown). */
export function passwordOf(connection: string): string | undefined {
  const url = /^postgres(ql)?:\/\//.test(connection) ? connection : keywordsToUrl(connection)
  const userinfo = /^postgres(?:ql)?:\/\/([^@/?#]*)@/.exec(url)?.[1]
  const colon = userinfo?.indexOf(':') ?? -1
  return userinfo === undefined || colon < 0 ? undefined : decodeURIComponent(userinfo.slice(colon + 1))
}
