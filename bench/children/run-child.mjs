// Runs a child-process job and returns what it printed as JSON (its last line).
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** Starts `bench/children/<name>.mjs` with `args` and parses its last output line as JSON. */
export async function runChild(name, ...args) {
  const script = fileURLToPath(new URL(`./${name}.mjs`, import.meta.url))
  const { stdout } = await run(process.execPath, ['--expose-gc', script, ...args.map(String)], { maxBuffer: 64 * 1024 * 1024 })
  const lines = stdout.trim().split('\n')
  return JSON.parse(lines[lines.length - 1])
}
