// The proxy benchmark's backend, in a process of its own: the test proto's Store.SetValue, answering at once.
import * as grpc from '@grpc/grpc-js'
import * as protoLoader from '@grpc/proto-loader'

const proto = grpc.loadPackageDefinition(protoLoader.loadSync(process.argv[2], { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true }))
const server = new grpc.Server()
server.addService(proto.proxytest.Store.service, {
  SetValue: (call, callback) => callback(null, { success: true, message: `set ${call.request.key}` }),
})
server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, port) => {
  if (error) throw error
  process.stdout.write(`listening on 127.0.0.1:${port},\n`)
})
process.on('SIGTERM', () => server.tryShutdown(() => process.exit(0)))
