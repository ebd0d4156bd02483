import * as fs from 'node:fs'
import { Command } from 'commander'
import type { CliContext } from './cli-context.js'
import { helpExamples } from './command-help.js'
import { createConvertCommand } from './convert-command.js'
import { createProxyCommand } from './proxy-command.js'
import { createQueryCommand } from './query-command.js'
import { createReportCommand } from './report-command.js'
import { createServeCommand } from './serve-command.js'
import { createShipCommand } from './ship-command.js'
import { createStateCommand } from './state-command.js'
import { createSummaryCommand } from './summary-command.js'
import { createTailCommand } from './tail-command.js'
import { createVerifyCommand } from './verify-command.js'

function version(): string {
  const manifest = JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
  return manifest.version
}

/**
 * The `auditrail` program and its six commands. Commander never exits the process: usage errors reach the
 * caller as a CommanderError (exit code 2), and every message goes through `context`.
 */
export function createProgram(context: CliContext): Command {
  const program = new Command('auditrail')
    .description('Answer questions about an experiment\'s audit log (audit_log.json or audit_log.csv) directly; every command streams.')
    .version(version(), '-V, --version')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => context.out.write(text),
      writeErr: (text) => context.err(text),
      outputError: (text, write) => write(`[auditrail] [cli] ${text.replace(/^error: /, '').trim().replaceAll('\n', ' ')} (see --help)\n`),
    })
    .showSuggestionAfterError()
    .addHelpText(
      'after',
      `${helpExamples('auditrail summary', 'auditrail query --status failed', 'auditrail state --at 2h', 'auditrail tail -f')}
Each command reads ./root_experiment by default. Exit codes: 0 success, 1 findings, 2 usage error or unreadable input.
`,
    )
  for (const create of [createSummaryCommand, createQueryCommand, createTailCommand, createConvertCommand, createStateCommand, createVerifyCommand, createReportCommand, createServeCommand, createShipCommand, createProxyCommand]) {
    const command = create(context)
    command.copyInheritedSettings(program)
    program.addCommand(command)
  }
  return program
}
