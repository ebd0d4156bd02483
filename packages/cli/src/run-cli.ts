import { errnoCode, isAuditrailError } from '@auditrail/core'
import { CommanderError } from 'commander'
import { createCliContext, type CliContext } from './cli-context.js'
import { escapeBidi } from './terminal-text.js'
import { createProgram } from './program.js'

/** Output that failed because its reader went away (`auditrail query | head`): a normal end, not an error. */
function isClosedOutput(error: unknown): boolean {
  return isAuditrailError(error, 'io') && errnoCode(error.cause) === 'EPIPE'
}

function exitCodeFor(error: unknown, context: CliContext): number {
  if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2
  if (isClosedOutput(error)) return context.exitCode
  const message = error instanceof Error ? error.message : String(error)
  const line = isAuditrailError(error) ? message : `[auditrail] [cli] unexpected error: ${message}`
  // Messages quote log values (`got "…"`): bidi controls in one would reorder the line.
  context.err(`${escapeBidi(line.replaceAll('\n', ' '))}\n`)
  return 2
}

/**
 * Runs the command line `args` (without `node` and the script) and resolves to the exit code:
 * 0 success, 1 findings (verify failed; nothing matched with `--fail-empty`), 2 usage error or unreadable input.
 */
export async function runCli(args: readonly string[], context: CliContext = createCliContext()): Promise<number> {
  try {
    await createProgram(context).parseAsync([...args], { from: 'user' })
  } catch (error) {
    context.exitCode = exitCodeFor(error, context)
  }
  try {
    context.out.flush()
  } catch (error) {
    if (!isClosedOutput(error)) throw error
  }
  return context.exitCode
}
