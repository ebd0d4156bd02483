import { createMemorySink } from '@auditrail/core'
import { createNoneSink } from '@auditrail/sink-none'
import { describeSinkConformance } from '@auditrail/testkit'

// The file sinks run the suite in their own packages' tests; these are core's in-memory sink and the none sink.
const seed = 20261127

describeSinkConformance({ name: 'sink-none', create: () => createNoneSink(), capabilities: { read: false, persistent: false, ioFaults: false } }, { seed })
describeSinkConformance({ name: 'memory', create: () => createMemorySink(), capabilities: { read: true, persistent: false, ioFaults: false } }, { seed })
