import { describeSinkConformance } from '@auditrail/testkit'
import { createCsvSink } from '../src/index.js'

// The suite any sink author runs, with a fixed seed so CI is reproducible.
describeSinkConformance(
  { name: 'sink-csv', create: ({ dir, io }) => createCsvSink({ rootLogDir: dir, io }), capabilities: { read: true, persistent: true, ioFaults: true } },
  { seed: 20261127 },
)
