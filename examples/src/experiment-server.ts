import * as grpc from '@grpc/grpc-js'
import { createAuditedService, type ActorContext, type AuditErrorHandler, type AuditEventWriter } from '@auditrail/grpc'
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
  /**
   * Who made each call, from the call: by default the `x-user` metadata entry the client sends. The demo has no
   * authentication, so this records who the client says it is; a real server would take an authenticated identity.
   */
  readonly actor?: (context: ActorContext) => string | undefined
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

/** The `x-user` metadata entry, if the client sent a usable one (the logger refuses control characters). */
function userFromMetadata({ metadata }: ActorContext): string | undefined {
  const value = metadata.get('x-user')[0]
  const user = typeof value === 'string' ? value.trim() : undefined
  // eslint-disable-next-line no-control-regex
  return user === undefined || user === '' || /[\u0000-\u001f\u007f]/.test(user) ? undefined : user
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
    actor: options.actor ?? userFromMetadata,
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
