import { isFailureStatus, type AuditEvent } from '@auditrail/core'
import type { Colors } from './cli-context.js'

// Fixed widths, so that rows align as they stream: the timestamp auditrail writes, the longest of the spec's
// action types (`checkpoint_restore`), and `success`. A longer value pushes its row right rather than wait.
const TIMESTAMP = 27
const ACTION = 18
const STATUS = 7

/** Control characters (a line break in an error message) shown escaped, so that one event stays one row. */
function visible(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f]/g, (c) => JSON.stringify(c).slice(1, -1))
}

function fit(text: string, width: number | undefined): string {
  if (width === undefined || text.length <= width) return text
  return width <= 1 ? '…' : `${text.slice(0, width - 1)}…`
}

/** The last column: who did it (when the event says), the error of a failed event, then its details as compact JSON. */
function describe(event: AuditEvent): string {
  const details = Object.keys(event.details).length === 0 ? '' : JSON.stringify(event.details)
  const error = event.error === null ? '' : `error: ${visible(event.error)}`
  const actor = event.actor === undefined ? '' : `by ${visible(event.actor)}`
  return [actor, error, details].filter((part) => part !== '').join('  ')
}

/** The table's header line. */
export function formatTableHeader(colors: Colors): string {
  return `${colors.bold(`${'TIMESTAMP'.padEnd(TIMESTAMP)}  ${'ACTION'.padEnd(ACTION)}  ${'STATUS'.padEnd(STATUS)}  DETAILS`)}\n`
}

/** One event as a table row; `columns` (a terminal's width) truncates it with `…`. */
export function formatTableRow(event: AuditEvent, colors: Colors, columns?: number): string {
  const timestamp = event.timestamp.padEnd(TIMESTAMP)
  const action = visible(event.action_type).padEnd(ACTION)
  const status = event.status.padEnd(STATUS)
  const prefix = timestamp.length + action.length + status.length + 6
  const rest = fit(describe(event), columns === undefined ? undefined : Math.max(1, columns - prefix))
  const failed = isFailureStatus(event.status)
  const paint = failed ? colors.red : colors.green
  return `${colors.dim(timestamp)}  ${action}  ${paint(status)}  ${failed ? colors.red(rest) : rest}\n`
}
