// Writes mappings/weightslab.json from the built weightslabMapping (run after `tsc -b`); the proxy-weightslab test
// checks that the committed file is current.
import { writeFileSync } from 'node:fs'
import { weightslabMapping } from '../dist/index.js'

writeFileSync(new URL('../mappings/weightslab.json', import.meta.url), `${JSON.stringify(weightslabMapping, null, 2)}\n`)
