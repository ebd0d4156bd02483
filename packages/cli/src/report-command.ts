import * as fs from 'node:fs'
import { ioError, type AuditEvent } from '@auditrail/core'
import { collectReport, renderReport, type ReportOptions } from '@auditrail/report'
import { Command } from 'commander'
import type { CliContext } from './cli-context.js'
import { helpExamples, LOG_ARGUMENT_HELP } from './command-help.js'
import { openLogAt, type LogReader, DEFAULT_TARGET, verifyLog } from '@auditrail/verify'
import { isPostgresTarget, openPostgresTarget, verifyPostgres } from './postgres-target.js'
import { parsePositive } from './option-parsers.js'

/** Every event that decodes, oldest first: a damaged line is the verification's finding, shown at the page's top, not a reason to show nothing. */
function* decodedEvents(reader: LogReader): Generator<AuditEvent> {
  for (const entry of reader.entries('oldest-first')) if (entry.kind === 'event') yield entry.event
}

/** The report page of the log at `log`, verified and read now. */
export async function buildReportPage(log: string, options: Omit<ReportOptions, 'log' | 'format'> = {}, connect: "'none'" | "'self'" = "'none'"): Promise<{ html: string; events: number; newestUs: number }> {
  if (isPostgresTarget(log)) {
    const integrity = await verifyPostgres(log)
    const { reader, target } = openPostgresTarget(log)
    try {
      const data = await collectReport(reader.events({ order: 'oldest-first' }), integrity, { ...options, log: target.display, format: 'postgres' })
      return { html: renderReport(data, { connect }), events: data.summary.total, newestUs: data.summary.span?.endUs ?? Number.NEGATIVE_INFINITY }
    } finally {
      await reader.end()
    }
  }
  const integrity = verifyLog(log)
  const reader = openLogAt(log)
  try {
    const data = await collectReport(decodedEvents(reader), integrity, { ...options, log, format: reader.format })
    return { html: renderReport(data, { connect }), events: data.summary.total, newestUs: data.summary.span?.endUs ?? Number.NEGATIVE_INFINITY }
  } finally {
    reader.close()
  }
}

/** `auditrail report`: one self-contained HTML page of the log, verified. */
export function createReportCommand(context: CliContext): Command {
  return new Command('report')
    .description('write one self-contained HTML page of the log: integrity, timeline, filters, hyperparameters over time, state at a moment')
    .argument('[log]', LOG_ARGUMENT_HELP, DEFAULT_TARGET)
    .option('-o, --output <file>', 'the HTML file to write', 'report.html')
    .option('--max-events <n>', 'embed every event up to this many; beyond, the state-changing and failed ones and the newest', parsePositive, 20_000)
    .addHelpText('after', helpExamples('auditrail report -o report.html', 'auditrail report runs/42 -o run-42.html'))
    .action(async (log: string, options: { output: string; maxEvents: number }) => {
      const page = await buildReportPage(log, { maxEvents: options.maxEvents })
      try {
        fs.writeFileSync(options.output, page.html)
      } catch (error) {
        throw ioError('cli', 'write the report', options.output, error)
      }
      context.out.write(`${options.output}: ${page.events === 1 ? '1 event' : `${page.events} events`}, ${(Buffer.byteLength(page.html) / 1e6).toFixed(1)} MB\n`)
    })
}
