import * as http from 'node:http'
import { parseMicros, START_POSITION, type AuditEvent } from '@auditrail/core'
import { Command } from 'commander'
import type { CliContext } from './cli-context.js'
import { helpExamples, LOG_ARGUMENT_HELP } from './command-help.js'
import { openLogAt, DEFAULT_TARGET, resolveLogTarget } from '@auditrail/verify'
import { followLog, readLogTail, type TailCursor } from './log-tail.js'
import { parseCount, parsePositive } from './option-parsers.js'
import { followPostgres, isPostgresTarget, parsePostgresTarget } from './postgres-target.js'
import { buildReportPage } from './report-command.js'

/** Appended events kept for pages that connect later (each asks for those after its own newest). */
const MAX_APPENDED = 100_000

interface ServeOptions {
  readonly port: number
  readonly host: string
  readonly interval: number
}

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]'])

/**
 * Whether a request's Host header names this server. Bound to loopback, only loopback names with our port are
 * served (DNS rebinding); bound to another address, the user chose to expose the page, and any Host is served.
 */
export function hostAllowed(header: string | undefined, boundHost: string, port: number): boolean {
  const loopback = LOOPBACK_NAMES.has(boundHost) || boundHost === '::1' || boundHost.startsWith('127.')
  if (!loopback) return true
  if (header === undefined) return false
  const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(header.toLowerCase())
  if (match === null) return false
  const name = match[1] ?? ''
  return (LOOPBACK_NAMES.has(name) || name === `[${boundHost}]` || name === boundHost) && Number(match[2] ?? '80') === port
}

/** `auditrail serve`: the report page on loopback, read-only, updated live as writers append. */
export function createServeCommand(context: CliContext): Command {
  return new Command('serve')
    .description('serve the report page on loopback (read-only), updated live while writers append; stop with Ctrl-C')
    .argument('[log]', LOG_ARGUMENT_HELP, DEFAULT_TARGET)
    .option('--port <n>', 'TCP port (0: any free one)', parseCount, 8317)
    .option('--host <address>', 'address to bind; anything but loopback exposes the log to the network', '127.0.0.1')
    .option('--interval <ms>', 'how often the log is polled for new events, in milliseconds', parsePositive, 250)
    .addHelpText('after', helpExamples('auditrail serve', 'auditrail serve runs/42 --port 9000'))
    .action(async (log: string, options: ServeOptions) => {
      const postgres = isPostgresTarget(log)
      const target = postgres ? undefined : resolveLogTarget(log)
      const shown = target?.file ?? parsePostgresTarget(log).display
      let cursor: TailCursor = { position: START_POSITION }
      if (!postgres) {
        const reader = openLogAt(log)
        try {
          cursor = readLogTail(reader, 0).cursor
        } finally {
          reader.close()
        }
      }
      const appended: { us: number; event: AuditEvent }[] = []
      const clients = new Set<http.ServerResponse>()
      const controller = new AbortController()
      let port = options.port
      const server = http.createServer((request, response) => {
        if (request.method !== 'GET') {
          response.writeHead(405, { allow: 'GET', 'content-type': 'text/plain; charset=utf-8' }).end('read-only: only GET\n')
          return
        }
        if (!hostAllowed(request.headers.host, options.host, port)) {
          // A page on another site that rebinds its DNS name to 127.0.0.1 would otherwise read the log.
          response.writeHead(403, { 'content-type': 'text/plain; charset=utf-8' }).end('forbidden: unexpected Host header\n')
          return
        }
        const url = new URL(request.url ?? '/', 'http://localhost')
        if (url.pathname === '/events') {
          const after = Number(url.searchParams.get('after') ?? '-Infinity')
          response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' })
          // A comment line first, so the headers go out now and the page knows it is connected.
          response.write(': connected\n\n')
          const backlog = appended.filter((item) => !(item.us <= after))
          if (backlog.length > 0) response.write(`data: ${JSON.stringify(backlog)}\n\n`)
          clients.add(response)
          request.on('close', () => clients.delete(response))
          return
        }
        if (url.pathname !== '/') {
          response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n')
          return
        }
        buildReportPage(log, { live: true }, "'self'").then(
          (page) => response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' }).end(page.html),
          (error: unknown) => response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end(`${error instanceof Error ? error.message : String(error)}\n`),
        )
      })
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject)
        server.listen(options.port, options.host, () => resolve())
      })
      const address = server.address()
      port = typeof address === 'object' && address !== null ? address.port : options.port
      context.out.write(`serving ${shown} at http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}/ (read-only; Ctrl-C stops)\n`)
      context.out.flush()
      const stop = (): void => controller.abort()
      process.once('SIGINT', stop)
      process.once('SIGTERM', stop)
      try {
        const onEvents = (events: readonly AuditEvent[]): void => {
          const items = events.map((event) => ({ us: parseMicros(event.timestamp), event }))
          appended.push(...items)
          if (appended.length > MAX_APPENDED) appended.splice(0, appended.length - MAX_APPENDED)
          const message = `data: ${JSON.stringify(items)}\n\n`
          for (const client of clients) client.write(message)
        }
        if (postgres) await followPostgres(log, 0, true, options.interval, controller.signal, onEvents)
        else await followLog(target, cursor, { path: log, intervalMs: options.interval, signal: controller.signal, onEvents })
      } finally {
        process.off('SIGINT', stop)
        process.off('SIGTERM', stop)
        for (const client of clients) client.end()
        server.close()
      }
    })
}
