/** The help text of every command's `[log]` argument. */
export const LOG_ARGUMENT_HELP = 'a log file (.json or .csv), a directory holding audit_log.json or audit_log.csv, or a shared trail postgres://user@host/db[#table]'

/** An `Examples:` block for `--help`. */
export function helpExamples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((line) => `  $ ${line}`).join('\n')}\n`
}
