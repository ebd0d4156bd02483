import { parseMicros } from '@auditrail/core'
import { Command } from 'commander'
import type { CliContext } from './cli-context.js'
import { helpExamples, LOG_ARGUMENT_HELP } from './command-help.js'
import { openLogAt } from './log-reader.js'
import { DEFAULT_TARGET } from './log-target.js'

/** One problem `verify` found, where it is. */
export interface Finding {
  readonly file: string
  readonly severity: 'error' | 'warning'
  readonly line: number
  readonly byte: number
  readonly message: string
}

/** `auditrail verify`: is the file well-formed, and does every event decode? Each problem with its position. */
export function createVerifyCommand(context: CliContext): Command {
  return new Command('verify')
    .description('check that the log is well-formed and that every event decodes; exit 1 when an error is found')
    .argument('[log]', LOG_ARGUMENT_HELP, DEFAULT_TARGET)
    .option('--json', 'print the findings as a JSON array [{file, severity, line, byte, message}]')
    .addHelpText('after', helpExamples('auditrail verify', 'auditrail verify runs/42/audit_log.csv --json'))
    .action((log: string, options: { json?: boolean }) => {
      const { out, colors } = context
      const reader = openLogAt(log)
      const counts = { events: 0, error: 0, warning: 0 }
      const report = (severity: Finding['severity'], byte: number, message: string): void => {
        const finding: Finding = { file: reader.file, severity, line: reader.lineOf(byte), byte, message }
        if (options.json === true) out.write(`${counts.error + counts.warning === 0 ? '[\n' : ',\n'}${JSON.stringify(finding)}`)
        else out.write(`${reader.file}:${finding.line}: ${(severity === 'error' ? colors.red : colors.yellow)(severity)}: ${message} (byte ${byte})\n`)
        counts[severity]++
      }
      try {
        // The file's own order, front to back: JSON newest first, CSV oldest first.
        const newestFirst = reader.format === 'json'
        let previous: { timestamp: string; micros: number } | undefined
        for (const entry of reader.entries(newestFirst ? 'newest-first' : 'oldest-first')) {
          if (entry.kind === 'problem') {
            report(entry.severity, entry.at, entry.message)
            continue
          }
          counts.events++
          const micros = parseMicros(entry.event.timestamp)
          if (previous !== undefined && (newestFirst ? micros >= previous.micros : micros <= previous.micros)) {
            const relation = newestFirst ? 'before' : 'after'
            report('warning', entry.start, `${entry.event.timestamp} is not strictly ${relation} the event above it (${previous.timestamp}): out of time order`)
          }
          previous = { timestamp: entry.event.timestamp, micros }
        }
      } finally {
        reader.close()
      }
      if (options.json === true) out.write(counts.error + counts.warning === 0 ? '[]\n' : '\n]\n')
      else {
        const tally = `${counts.events} events, ${counts.error} error${counts.error === 1 ? '' : 's'}, ${counts.warning} warning${counts.warning === 1 ? '' : 's'}`
        out.write(counts.error === 0 ? `${colors.green('ok')}: ${reader.file} is well-formed (${tally})\n` : `${colors.red('failed')}: ${reader.file} (${tally})\n`)
      }
      if (counts.error > 0) context.exitCode = 1
    })
}
