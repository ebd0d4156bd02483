import { createMemorySink } from '@auditrail/core'
import { createCsvSink } from '@auditrail/sink-csv'
import { createJsonSink } from '@auditrail/sink-json'
import { createNoneSink } from '@auditrail/sink-none'
import { describeSinkConformance } from '@auditrail/testkit'

// Every sink of the project passes the same suite a third-party sink author runs.
const seed = 20261127

describeSinkConformance(
  { name: 'sink-json', create: ({ dir, io }) => createJsonSink({ rootLogDir: dir, io }), capabilities: { read: true, persistent: true, ioFaults: true } },
  { seed },
)
describeSinkConformance(
  { name: 'sink-csv', create: ({ dir, io }) => createCsvSink({ rootLogDir: dir, io }), capabilities: { read: true, persistent: true, ioFaults: true } },
  { seed },
)
describeSinkConformance({ name: 'sink-none', create: () => createNoneSink(), capabilities: { read: false, persistent: false, ioFaults: false } }, { seed })
describeSinkConformance({ name: 'memory', create: () => createMemorySink(), capabilities: { read: true, persistent: false, ioFaults: false } }, { seed })
