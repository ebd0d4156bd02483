/** The help text of every command's `[log]` argument. */
export const LOG_ARGUMENT_HELP = 'a log file (.json or .csv), or a directory holding audit_log.json or audit_log.csv'

/** An `Examples:` block for `--help`. */
export function helpExamples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((line) => `  $ ${line}`).join('\n')}\n`
}
