import { execFileSync } from 'node:child_process'

/** Writes `events` as the Python original does: `json.dump(events, f, indent=2)`. */
export function pythonJsonDump(file: string, events: unknown[]): void {
  execFileSync('python3', ['-c', 'import json,sys\njson.dump(json.loads(sys.stdin.read()), open(sys.argv[1], "w"), indent=2)', file], {
    input: JSON.stringify(events),
  })
}
