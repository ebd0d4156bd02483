import * as grpc from '@grpc/grpc-js'
import { createAuditedService, type AuditErrorHandler, type AuditEventWriter } from '@auditrail/grpc'
import { experimentAuditMapping } from './experiment-audit.js'
import { createExperimentHandlers, loadExperimentService } from './experiment-service.js'
import { createTrainer, type Trainer } from './trainer.js'

/** Options of {@link startExperimentServer}. */
export interface ExperimentServerOptions {
  /** Where audit events go: an `AuditLogger`, core's `EventLogger`, or anything with that `logEvent`. */
  readonly logger: AuditEventWriter
  /** The trainer behind the service. Default: a fresh {@link createTrainer}(). */
  readonly trainer?: Trainer
  /** Refuse RPCs the log cannot record (UNAVAILABLE). Default `false`. */
  readonly failClosed?: boolean
  /** Receives audit failures. Default: the wrapper's (`process.emitWarning`). */
  readonly onAuditError?: AuditErrorHandler
  /** Loopback only by default: the demo's server has no authentication. Default `127.0.0.1`. */
  readonly host?: string
  /** Default `0`: a free port chosen by the system. */
  readonly port?: number
}

/** A running ExperimentService. */
export interface ExperimentServer {
  /** `host:port`, for a client's target. */
  readonly address: string
  readonly port: number
  readonly trainer: Trainer
  /** Stops accepting calls, lets running ones finish, then closes. Idempotent. */
  close(): Promise<void>
}

/** Starts the ExperimentService over a simulated trainer, every audited RPC logged through `logger`. */
export async function startExperimentServer(options: ExperimentServerOptions): Promise<ExperimentServer> {
  const trainer = options.trainer ?? createTrainer()
  const host = options.host ?? '127.0.0.1'
  const { service } = loadExperimentService()
  const implementation = createAuditedService(service, createExperimentHandlers(trainer), {
    logger: options.logger,
    rpcs: experimentAuditMapping(trainer),
    failClosed: options.failClosed ?? false,
    ...(options.onAuditError === undefined ? {} : { onAuditError: options.onAuditError }),
  })
  const server = new grpc.Server()
  server.addService(service, implementation)
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${host}:${options.port ?? 0}`, grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound)))
  })
  let closing: Promise<void> | undefined
  return {
    address: `${host}:${port}`,
    port,
    trainer,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.tryShutdown((error) => {
          // tryShutdown fails only if the server was never started; forcing is then the whole job.
          if (error !== undefined) server.forceShutdown()
          resolve()
        })
      })
      return closing
    },
  }
}
