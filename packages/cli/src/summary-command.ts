import { isFailureStatus, parseMicros } from '@auditrail/core'
import { Command } from 'commander'
import type { CliContext } from './cli-context.js'
import { helpExamples, LOG_ARGUMENT_HELP } from './command-help.js'
import { formatDuration } from './duration.js'
import { openLogAt, DEFAULT_TARGET } from '@auditrail/verify'
import { summarizeLog, type SummaryResult } from './log-summary.js'
import { isPostgresTarget, openPostgresTarget } from './postgres-target.js'
import { addSkipInvalidOption, createInvalidRecords } from './invalid-records.js'
import { escapeBidi } from './terminal-text.js'

function table(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string[] {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => String(row[i]).length)))
  const line = (cells: readonly (string | number)[]): string =>
    cells.map((cell, i) => (typeof cell === 'number' ? String(cell).padStart(widths[i] as number) : cell.padEnd(widths[i] as number))).join('  ').trimEnd()
  return [line(header), ...rows.map(line)]
}

function report(file: string, format: string, { summary, failedByAction }: SummaryResult, context: CliContext): string {
  const { bold, red } = context.colors
  const failed = Object.entries(summary.by_status).reduce((n, [status, count]) => (isFailureStatus(status) ? n + count : n), 0)
  const events = summary.total_events === 1 ? '1 event' : `${summary.total_events} events`
  const lines = [`${bold(file)} (${format}): ${events}, ${failed === 0 ? '0 failed' : red(`${failed} failed`)}`]
  if (summary.time_span !== null) {
    const { start, end } = summary.time_span
    lines.push(`time span: ${start} → ${end} (${formatDuration((parseMicros(end) - parseMicros(start)) / 1000)})`)
  }
  if (summary.total_events > 0) {
    // Most frequent first, as `sort | uniq -c | sort -rn` would; ties keep their order of first appearance.
    const actions = Object.entries(summary.by_action_type).sort((a, b) => b[1] - a[1])
    lines.push('', ...table(['ACTION TYPE', 'EVENTS', 'FAILED'], actions.map(([action, n]) => [action, n, failedByAction.get(action) ?? 0])))
    lines.push('', ...table(['STATUS', 'EVENTS'], Object.entries(summary.by_status)))
  }
  // Action types are free text: bidi controls in one would reorder the table's line.
  return escapeBidi(`${lines.join('\n')}\n`)
}

/** `auditrail summary`: totals by action type and status, the time span and the failures. */
export function createSummaryCommand(context: CliContext): Command {
  const command = new Command('summary')
    .description('count events by action type and by status, with the time span and the number of failures')
    .argument('[log]', LOG_ARGUMENT_HELP, DEFAULT_TARGET)
    .option('--json', 'print the getLogSummary() object plus time_span {start, end}')
  return addSkipInvalidOption(command)
    .addHelpText('after', helpExamples('auditrail summary', 'auditrail summary runs/42/audit_log.csv --json', 'auditrail summary --skip-invalid'))
    .action(async (log: string, options: { json?: boolean; skipInvalid?: boolean }) => {
      const invalid = createInvalidRecords(options.skipInvalid === true)
      if (isPostgresTarget(log)) {
        await summarizePostgres(log, options, context)
        return
      }
      const reader = openLogAt(log)
      try {
        // The file's own order (JSON newest first, CSV oldest first), as getLogSummary() counts: same key order.
        const result = summarizeLog(invalid.events(reader, reader.format === 'json' ? 'newest-first' : 'oldest-first'))
        context.out.write(options.json === true ? `${escapeBidi(JSON.stringify(result.summary, null, 2))}\n` : report(reader.file, reader.format, result, context))
      } finally {
        reader.close()
      }
      invalid.report(context)
    })
}

/** `summary` of a PostgreSQL trail: the counts, the failures by action type and the span, each computed by the server. */
async function summarizePostgres(log: string, options: { json?: boolean }, context: CliContext): Promise<void> {
  const { reader, target } = openPostgresTarget(log)
  try {
    const counts = await reader.summarize()
    const failedByAction = new Map(Object.entries((await reader.summarize({ status: 'failed' })).by_action_type))
    const summary = { ...counts, time_span: await reader.timeSpan() }
    context.out.write(options.json === true ? `${JSON.stringify(summary, null, 2)}\n` : report(target.display, 'postgres', { summary, failedByAction }, context))
  } finally {
    await reader.end()
  }
}
