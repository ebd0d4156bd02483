// The proxy benchmark's floor, in a process of its own: the least a node:http2 forwarder does per call (a stream to the
// backend per client stream, headers, DATA and trailers passed on as they come), with none of the proxy's checks,
// routing, deadlines, back-pressure or audit. What it costs is what any proxy built on node:http2 costs at least.
import * as http2 from 'node:http2'

const target = process.argv[2]
const settings = { initialWindowSize: 4 * 1024 * 1024, enablePush: false }
const backend = http2.connect(`http://${target}`, { settings })
backend.on('error', () => undefined)
const HOP = new Set([':method', ':path', ':scheme', ':authority', ':status', 'connection', 'host'])

/** The headers Node hands over (an object), without the pseudo-headers and hop-by-hop ones. */
function copy(headers, extra) {
  const out = Object.assign({}, extra)
  for (const name in headers) if (!HOP.has(name)) out[name] = headers[name]
  return out
}

const server = http2.createServer({ settings })
server.on('session', (session) => session.on('error', () => undefined))
server.on('stream', (stream, headers) => {
  stream.on('error', () => undefined)
  const out = backend.request(copy(headers, { ':method': 'POST', ':scheme': 'http', ':authority': target, ':path': headers[':path'] }))
  out.on('error', () => undefined)
  let trailers
  out.on('response', (response, flags) => {
    if ((flags & 1) !== 0) stream.respond(copy(response, { ':status': 200 }), { endStream: true })
    else stream.respond(copy(response, { ':status': 200 }), { waitForTrailers: true })
  })
  stream.on('wantTrailers', () => stream.sendTrailers(trailers ?? {}))
  out.on('trailers', (received) => (trailers = copy(received, {})))
  out.on('data', (chunk) => stream.write(chunk))
  out.on('end', () => {
    if (stream.headersSent && !stream.writableEnded) stream.end()
  })
  stream.on('data', (chunk) => out.write(chunk))
  stream.on('end', () => out.end())
  stream.on('close', () => {
    if (!out.closed) out.close(http2.constants.NGHTTP2_CANCEL)
  })
})
server.listen(0, '127.0.0.1', () => process.stdout.write(`listening on 127.0.0.1:${server.address().port},\n`))
process.on('SIGTERM', () => {
  backend.destroy()
  server.close(() => process.exit(0))
})
