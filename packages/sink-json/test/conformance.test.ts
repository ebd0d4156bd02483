import { describeSinkConformance } from '@auditrail/testkit'
import { createJsonSink } from '../src/index.js'

// The suite any sink author runs, with a fixed seed so CI is reproducible.
describeSinkConformance(
  { name: 'sink-json', create: ({ dir, io }) => createJsonSink({ rootLogDir: dir, io }), capabilities: { read: true, persistent: true, ioFaults: true } },
  { seed: 20261127 },
)
