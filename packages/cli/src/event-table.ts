import { isFailureStatus, type AuditEvent } from '@auditrail/core'
import type { Colors } from './cli-context.js'
import { escapeBidi, visible } from './terminal-text.js'

// Fixed widths, so that rows align as they stream: the timestamp auditrail writes, the longest of the spec's
// action types (`checkpoint_restore`), and `success`. A longer value pushes its row right rather than wait.
const TIMESTAMP = 27
const ACTION = 18
const STATUS = 7

/** Below this many columns for the last column, a failure's reason wraps under the whole row instead. */
const NARROW = 24

function fit(text: string, width: number | undefined): string {
  if (width === undefined || text.length <= width) return text
  return width <= 1 ? '…' : `${text.slice(0, width - 1)}…`
}

/** `text` cut into lines of at most `width` characters, at a space where there is one; nothing is dropped. */
export function wrapText(text: string, width: number): string[] {
  const lines: string[] = []
  let rest = text
  while (rest.length > width) {
    const space = rest.lastIndexOf(' ', width)
    const cut = space > width / 2 ? space : width
    lines.push(rest.slice(0, cut))
    rest = rest.slice(cut).replace(/^ /, '')
  }
  lines.push(rest)
  return lines
}

/** Who did it (when the event says) and its details as compact JSON: what may be cut with `…`. */
function context(event: AuditEvent): string {
  const details = Object.keys(event.details).length === 0 ? '' : escapeBidi(JSON.stringify(event.details))
  const actor = event.actor === undefined ? '' : `by ${visible(event.actor)}`
  return [actor, details].filter((part) => part !== '').join('  ')
}

/** The table's header line. */
export function formatTableHeader(colors: Colors): string {
  return `${colors.bold(`${'TIMESTAMP'.padEnd(TIMESTAMP)}  ${'ACTION'.padEnd(ACTION)}  ${'STATUS'.padEnd(STATUS)}  DETAILS`)}\n`
}

/**
 * One event as a table row. `columns` (a terminal's width) cuts who and details with `…`, but never the error of a
 * failed event, the one thing a reader of `query --status failed` came for: it wraps onto lines of its own, under the
 * last column (or under the whole row when that column is narrow), and the details follow on a line of their own.
 */
export function formatTableRow(event: AuditEvent, colors: Colors, columns?: number): string {
  const timestamp = event.timestamp.padEnd(TIMESTAMP)
  const action = visible(event.action_type).padEnd(ACTION)
  const status = event.status.padEnd(STATUS)
  const prefix = timestamp.length + action.length + status.length + 6
  const failed = isFailureStatus(event.status)
  const paint = failed ? colors.red : colors.green
  const start = `${colors.dim(timestamp)}  ${action}  ${paint(status)}  `
  const paintRest = (text: string): string => (failed ? colors.red(text) : text)
  const rest = context(event)
  const error = event.error === null ? '' : `error: ${visible(event.error)}`
  const whole = [event.actor === undefined ? '' : `by ${visible(event.actor)}`, error, Object.keys(event.details).length === 0 ? '' : escapeBidi(JSON.stringify(event.details))]
    .filter((part) => part !== '')
    .join('  ')
  if (columns === undefined || prefix + whole.length <= columns) return `${start}${paintRest(whole)}\n`
  const available = columns - prefix
  if (error === '') return `${start}${paintRest(fit(rest, Math.max(1, available)))}\n`
  // The reason wraps, whole, under the last column, or under the whole row when that column is too narrow to read;
  // who and the details get one line after it, cut if need be.
  const wide = available >= NARROW
  const indent = wide ? prefix : 2
  const width = Math.max(1, columns - indent)
  const reason = wrapText(error, width)
  const lines = wide ? [`${start}${paintRest(reason.shift() ?? '')}`] : [start.trimEnd()]
  const pad = ' '.repeat(indent)
  for (const line of reason) lines.push(`${pad}${paintRest(line)}`)
  if (rest !== '') lines.push(`${pad}${paintRest(fit(rest, width))}`)
  return `${lines.join('\n')}\n`
}
