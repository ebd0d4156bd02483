import { formatMicros } from '@auditrail/core'
import { createReplay } from '@auditrail/replay'
import { Command } from 'commander'
import type { CliContext } from './cli-context.js'
import { helpExamples, LOG_ARGUMENT_HELP } from './command-help.js'
import { openLogAt, DEFAULT_TARGET } from '@auditrail/verify'
import { isPostgresTarget, openPostgresTarget } from './postgres-target.js'
import { addSkipInvalidOption, createInvalidRecords } from './invalid-records.js'
import { escapeBidi } from './terminal-text.js'
import { timeParser } from './option-parsers.js'
import { formatStateReport } from './state-report.js'

/** `auditrail state`: the experiment's state replayed from its log, now or at `--at`. */
export function createStateCommand(context: CliContext): Command {
  const command = new Command('state')
    .description('replay the log: hyperparameters, training, tags and discarded samples, checkpoints, evaluations, notes, queries, failures')
    .argument('[log]', LOG_ARGUMENT_HELP, DEFAULT_TARGET)
    .option('--at <time>', 'the state at this moment: an ISO 8601 time, or a duration ago (30s, 15m, 2h, 3d); default: after the last event', timeParser(context.now))
    .option('--json', 'print the replayed state object')
  return addSkipInvalidOption(command)
    .addHelpText('after', helpExamples('auditrail state', 'auditrail state runs/42 --at 2026-05-27T14:30:05Z --json'))
    .action(async (log: string, options: { at?: number; json?: boolean; skipInvalid?: boolean }) => {
      const invalid = createInvalidRecords(options.skipInvalid === true)
      const at = options.at === undefined ? undefined : formatMicros(options.at)
      const run = createReplay(at === undefined ? {} : { at })
      if (isPostgresTarget(log)) {
        const { reader, target } = openPostgresTarget(log)
        try {
          // Events after --at cannot change the state at --at: the server leaves them out.
          const until = options.at === undefined ? {} : { until: formatMicros(options.at + 1) }
          for await (const event of reader.events({ order: 'oldest-first', ...until })) run.apply(event)
        } finally {
          await reader.end()
        }
        const state = run.state()
        context.out.write(options.json === true ? `${JSON.stringify(state, null, 2)}\n` : formatStateReport(state, target.display, at, context.colors))
        return
      }
      const reader = openLogAt(log)
      try {
        for (const event of invalid.events(reader, 'oldest-first')) run.apply(event)
      } finally {
        reader.close()
      }
      const state = run.state()
      // Bidi controls in any log string (a tag, a note) escaped: the report's own text has none.
      context.out.write(escapeBidi(options.json === true ? `${JSON.stringify(state, null, 2)}\n` : formatStateReport(state, reader.file, at, context.colors)))
      invalid.report(context)
    })
}
