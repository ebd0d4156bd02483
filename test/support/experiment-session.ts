import { AuditLogger, type AuditEvent, type AuditLoggerOptions } from 'auditrail'
import type { AuditErrorHandler } from '@auditrail/grpc'
import { createExperimentClient, type ExperimentClient } from '../../examples/src/experiment-client.js'
import { startExperimentServer, type ExperimentServer } from '../../examples/src/experiment-server.js'
import type { Trainer } from '../../examples/src/trainer.js'
import { tempDir } from './temp-dir.js'

/** The reference ExperimentService on a loopback port, a JSON audit log in a fresh directory, and a client. */
export interface ExperimentSession {
  readonly dir: string
  readonly logger: AuditLogger
  readonly server: ExperimentServer
  readonly client: ExperimentClient
  readonly trainer: Trainer
  /** The events in the file, oldest first. */
  events(): AuditEvent[]
  /** Closes the client, the server (letting running calls finish), then the logger. */
  close(): Promise<void>
}

/** Options of {@link openExperimentSession}. */
export interface ExperimentSessionOptions {
  readonly logger?: AuditLoggerOptions
  readonly failClosed?: boolean
  readonly onAuditError?: AuditErrorHandler
}

/** Starts a session; the caller must `close()` it. */
export async function openExperimentSession(options: ExperimentSessionOptions = {}): Promise<ExperimentSession> {
  const dir = tempDir('auditrail-grpc-')
  const logger = new AuditLogger(dir, 'grpc-test', { format: 'json', ...options.logger })
  const server = await startExperimentServer({
    logger,
    failClosed: options.failClosed ?? false,
    onAuditError: options.onAuditError ?? (() => {}),
  })
  const client = createExperimentClient(server.address)
  return {
    dir,
    logger,
    server,
    client,
    trainer: server.trainer,
    events: () => [...logger.readEvents({ order: 'oldest-first' })],
    async close() {
      client.close()
      await server.close()
      logger.close()
    },
  }
}
