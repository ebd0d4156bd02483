import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { AuditrailError, createEventLogger, DIRECTORY_MODE, type AuditSink } from '@auditrail/core'
import type { ProxyMapping } from '@auditrail/grpc'
import { createCsvSink, CSV_LOG_FILE } from '@auditrail/sink-csv'
import { createJsonSink, JSON_LOG_FILE } from '@auditrail/sink-json'
import { Command, InvalidArgumentError } from 'commander'
import type { CliContext } from './cli-context.js'
import { helpExamples } from './command-help.js'
import { parsePositive } from './option-parsers.js'

interface ProxyOptions {
  readonly target: string
  readonly listen: string
  readonly proto?: string
  readonly mapping?: string
  readonly dir: string
  readonly format: 'json' | 'csv'
  readonly failClosed?: boolean
  readonly integrity?: boolean
  readonly actorHeader: string
  readonly unmapped: 'pass' | 'log'
  readonly shutdownTimeout: number
}

/** How long the proxy keeps its log's lock through a quiet spell while no other writer waits (see `HoldOptions.quietMs`). */
const PROXY_QUIET_HOLD_MS = 1000

/** Where the installed `weightslab` Python package keeps its proto, as the package itself says. */
const WEIGHTSLAB_PROTO_PROBE = 'import weightslab, os; print(os.path.join(os.path.dirname(weightslab.__file__), "proto", "experiment_service.proto"))'

function cliError(message: string, field: string, file?: string, cause?: unknown): AuditrailError {
  return new AuditrailError('options', message, { component: 'cli', field, ...(file === undefined ? {} : { file }), cause })
}

/** The proto of the installed `weightslab` package, or an error saying that `--proto` is needed. */
function findWeightslabProto(): string {
  let found: string
  try {
    found = execFileSync('python3', ['-c', WEIGHTSLAB_PROTO_PROBE], { encoding: 'utf8', timeout: 15_000, stdio: ['ignore', 'pipe', 'pipe'] }).trim()
  } catch (cause) {
    const why = (cause as { stderr?: unknown }).stderr?.toString().trim().split('\n').at(-1) ?? (cause instanceof Error ? cause.message : String(cause))
    throw cliError(`--proto is needed: --mapping weightslab without --proto looks for the installed weightslab Python package's proto, and python3 could not import weightslab (${why}); pass --proto path/to/experiment_service.proto`, 'proto', undefined, cause)
  }
  if (!fs.existsSync(found)) throw cliError(`--proto is needed: the installed weightslab package has no proto at ${found}; pass --proto path/to/experiment_service.proto`, 'proto', found)
  return found
}

function choice<T extends string>(allowed: readonly T[]): (value: string) => T {
  return (value) => {
    if (!(allowed as readonly string[]).includes(value)) throw new InvalidArgumentError(`expected ${allowed.join(' | ')}`)
    return value as T
  }
}

function hostPort(value: string): string {
  if (!/^(\[[^\]]+\]|[^:\s]+):\d+$/.test(value)) throw new InvalidArgumentError('expected HOST:PORT, e.g. 127.0.0.1:50051')
  return value
}

/** Opens the log the proxy writes: `<dir>/audit_log.json` or `.csv`, created owner-only when missing. */
function openLog(options: ProxyOptions): { logger: ReturnType<typeof createEventLogger>; file: string } {
  try {
    fs.mkdirSync(options.dir, { recursive: true, mode: DIRECTORY_MODE })
  } catch (cause) {
    throw new AuditrailError('io', `--dir: cannot create the log directory: ${(cause as NodeJS.ErrnoException).code ?? String(cause)}`, { component: 'cli', file: options.dir, cause })
  }
  // The proxy writes whenever a call ends: on a busy machine its clients pause for several ms at a time, and each pause
  // would cost a release and a retake of the lock. Held through a second of quiet, yielded at once to a waiting writer.
  const lock = { hold: { quietMs: PROXY_QUIET_HOLD_MS } }
  const sink: AuditSink = options.format === 'csv' ? createCsvSink({ rootLogDir: options.dir, lock }) : createJsonSink({ rootLogDir: options.dir, lock })
  const file = path.join(options.dir, options.format === 'csv' ? CSV_LOG_FILE : JSON_LOG_FILE)
  return { logger: createEventLogger({ sinks: [sink], ...(options.integrity === true ? { integrity: 'sha256-chain' as const } : {}) }), file }
}

/** `auditrail proxy`: an auditing gRPC proxy in front of a running backend (WeightsLab's, or any). */
export function createProxyCommand(context: CliContext): Command {
  return new Command('proxy')
    .description('forward every RPC of a proto to a backend, byte for byte, and write one audit event per mapped call before answering it; stop with Ctrl-C')
    .requiredOption('--target <host:port>', 'the backend, e.g. 127.0.0.1:50051', hostPort)
    .option('--listen <host:port>', 'where the proxy listens (port 0: any free one)', hostPort, '127.0.0.1:50052')
    .option('--proto <file>', 'the backend\'s .proto (optional with --mapping weightslab when the weightslab Python package is installed)')
    .option('--mapping <file|weightslab>', 'which RPCs are logged and how: a JSON mapping file, or "weightslab" for the built-in WeightsLab mapping (default: none mapped)')
    .option('--dir <dir>', 'the log directory', 'root_experiment')
    .option('--format <format>', 'json | csv', choice(['json', 'csv'] as const), 'json')
    .option('--fail-closed', 'refuse, with UNAVAILABLE and without reaching the backend, a logged call whose intent event cannot be written')
    .option('--integrity', 'hash-chain the events (sha256-chain), as the library\'s integrity option')
    .option('--actor-header <name>', 'request metadata entry recorded as the event\'s actor (what the client claims)', 'x-user')
    .option('--unmapped <mode>', 'RPCs the mapping does not name: pass (forward, not logged) | log (one rpc:<Method> event each)', choice(['pass', 'log'] as const), 'pass')
    .option('--shutdown-timeout <ms>', 'on SIGINT/SIGTERM, how long in-flight calls may finish before they are cancelled', parsePositive, 10_000)
    .addHelpText(
      'after',
      helpExamples(
        'auditrail proxy --target 127.0.0.1:50051 --listen 127.0.0.1:50052 --mapping weightslab --dir runs/42',
        'auditrail proxy --target backend:9000 --listen 0.0.0.0:9001 --proto api.proto --mapping audit-mapping.json --fail-closed',
      ),
    )
    .action(async (options: ProxyOptions) => {
      // Loaded here, not at the CLI's start: grpc-js costs every other command megabytes of heap and time to import.
      const { loadProxyMapping, startAuditProxy, weightslabMapping } = await import('@auditrail/grpc')
      const mapping: ProxyMapping | undefined = options.mapping === undefined ? undefined : options.mapping === 'weightslab' ? weightslabMapping : loadProxyMapping(options.mapping)
      const proto = options.proto ?? (options.mapping === 'weightslab' ? findWeightslabProto() : undefined)
      if (proto === undefined) throw cliError('--proto is required (the .proto file of the backend\'s services)', 'proto')
      if (!fs.existsSync(proto)) throw cliError('--proto: no such file', 'proto', proto)
      const { logger, file } = openLog(options)
      let proxy
      try {
        proxy = await startAuditProxy({
          target: options.target,
          listen: options.listen,
          protoPath: proto,
          ...(mapping === undefined ? {} : { mapping }),
          logger,
          failClosed: options.failClosed === true,
          actorHeader: options.actorHeader,
          unmapped: options.unmapped,
          shutdownTimeoutMs: options.shutdownTimeout,
          onWarning: (message) => context.err(`${message}\n`),
          onAuditError: (error) => context.err(`${error.message}\n`),
        })
      } catch (error) {
        logger.close()
        throw error
      }
      context.out.write(`auditrail proxy listening on ${proxy.address}, forwarding to ${options.target}\n`)
      context.out.write(`audit log: ${file}${options.failClosed === true ? ' (fail-closed)' : ''}\n`)
      context.out.flush()
      const started = proxy
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          process.off('SIGINT', stop)
          process.off('SIGTERM', stop)
          context.err('[auditrail] [cli] stopping: letting in-flight calls finish\n')
          void started.close().then(resolve, (error: unknown) => {
            context.err(`[auditrail] [cli] ${error instanceof Error ? error.message : String(error)}\n`)
            resolve()
          })
        }
        process.once('SIGINT', stop)
        process.once('SIGTERM', stop)
      })
    })
}
