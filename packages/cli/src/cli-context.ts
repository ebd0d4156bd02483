import * as tty from 'node:tty'
import { createOutputWriter, type OutputWriter } from './output-writer.js'

/** ANSI styles, or identity functions when colour is off. */
export interface Colors {
  readonly red: (text: string) => string
  readonly green: (text: string) => string
  readonly yellow: (text: string) => string
  readonly dim: (text: string) => string
  readonly bold: (text: string) => string
}

/** What a command needs from its process: output, terminal facts, the clock; and where it leaves its exit code. */
export interface CliContext {
  readonly out: OutputWriter
  /** Writes text to stderr as is. */
  readonly err: (text: string) => void
  readonly stdoutIsTty: boolean
  readonly stderrIsTty: boolean
  /** Styles for stdout. */
  readonly colors: Colors
  /** Terminal width when stdout is a TTY. */
  readonly columns: number | undefined
  /** Wall clock in milliseconds, for relative times such as `2h`. */
  readonly now: () => number
  /** 0 success, 1 findings, 2 usage error or unreadable input. */
  exitCode: number
}

/** Styles that wrap text in ANSI codes when `enabled`. */
export function createColors(enabled: boolean): Colors {
  const style = (open: number, close: number) => (text: string) => (enabled ? `\u001b[${open}m${text}\u001b[${close}m` : text)
  return { red: style(31, 39), green: style(32, 39), yellow: style(33, 39), dim: style(2, 22), bold: style(1, 22) }
}

/**
 * The real process's context. Colour only when stdout is a TTY and NO_COLOR is unset or empty (no-color.org).
 * TTY checks use `tty.isatty` rather than `process.stdout`, which would switch a piped stdout to non-blocking.
 */
export function createCliContext(env: NodeJS.ProcessEnv = process.env): CliContext {
  const stdoutIsTty = tty.isatty(1)
  const noColor = env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== ''
  return {
    out: createOutputWriter(1),
    err: (text) => void process.stderr.write(text),
    stdoutIsTty,
    stderrIsTty: tty.isatty(2),
    colors: createColors(stdoutIsTty && !noColor),
    // A terminal that reports no size (0 columns) gets untruncated rows.
    columns: stdoutIsTty && process.stdout.columns > 0 ? process.stdout.columns : undefined,
    now: Date.now,
    exitCode: 0,
  }
}
