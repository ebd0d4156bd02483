import * as grpc from '@grpc/grpc-js'

/**
 * A tiny service for the wrapper's own tests, defined without a proto: JSON on the wire through grpc-js's
 * generic definitions, so these tests need neither proto-loader nor generated code.
 */
const toJson = (value: unknown): Buffer => Buffer.from(JSON.stringify(value ?? null))
const fromJson = (bytes: Buffer): unknown => JSON.parse(bytes.toString('utf8'))

function method(name: string, responseStream = false, requestStream = false): grpc.MethodDefinition<unknown, unknown> {
  return {
    path: `/lab.Lab/${name}`,
    requestStream,
    responseStream,
    requestSerialize: toJson,
    requestDeserialize: fromJson,
    responseSerialize: toJson,
    responseDeserialize: fromJson,
    originalName: name.charAt(0).toLowerCase() + name.slice(1),
  }
}

/** Unary `Set`, `Edit`, `Read`; server-streaming `Watch`; client-streaming `Upload`. */
export const labService: grpc.ServiceDefinition = {
  Set: method('Set'),
  Edit: method('Edit'),
  Read: method('Read'),
  Watch: method('Watch', true),
  Upload: method('Upload', false, true),
}

const LabClient = grpc.makeGenericClientConstructor(labService, 'Lab')

/** A running lab server and a client connected to it. */
export interface LabHarness {
  unary(rpc: 'Set' | 'Edit' | 'Read', request: unknown, metadata?: grpc.Metadata): Promise<unknown>
  /** Collects a `Watch` stream; `onData` may cancel it. */
  watch(request: unknown, onData?: (message: unknown, call: grpc.ClientReadableStream<unknown>) => void): Promise<unknown[]>
  close(): Promise<void>
}

/** Starts `implementation` on a free loopback port and connects a client. */
export async function startLab(implementation: grpc.UntypedServiceImplementation): Promise<LabHarness> {
  const server = new grpc.Server()
  server.addService(labService, implementation)
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound)))
  })
  const client = new LabClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as Record<string, (...args: unknown[]) => unknown> & grpc.Client
  return {
    unary: (rpc, request, metadata = new grpc.Metadata()) =>
      new Promise((resolve, reject) => {
        ;(client[rpc] as (...args: unknown[]) => unknown).call(client, request, metadata, (error: grpc.ServiceError | null, response: unknown) =>
          error ? reject(error) : resolve(response),
        )
      }),
    watch: (request, onData) =>
      new Promise((resolve, reject) => {
        const messages: unknown[] = []
        const call = (client['Watch'] as (r: unknown) => grpc.ClientReadableStream<unknown>).call(client, request)
        call.on('data', (message: unknown) => {
          messages.push(message)
          onData?.(message, call)
        })
        call.on('error', reject)
        call.on('end', () => resolve(messages))
      }),
    close: () =>
      new Promise<void>((resolve) => {
        client.close()
        server.tryShutdown(() => resolve())
      }),
  }
}

/** A gRPC error a handler answers with. */
export function grpcError(code: grpc.status, details: string): grpc.ServiceError {
  return Object.assign(new Error(details), { code, details, metadata: new grpc.Metadata() })
}
