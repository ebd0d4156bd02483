import { execFileSync } from 'node:child_process'

/** Runs a Python 3 script with arguments and parses what it prints as JSON. */
export function runPython<T>(script: string, ...args: string[]): T {
  const output = execFileSync('python3', ['-c', script, ...args], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 })
  return JSON.parse(output) as T
}

/** Python's own reading of a JSON log: `json.load`, as the spec's examples do. */
export function pythonJsonLoad<T = unknown>(file: string): T {
  return runPython<T>('import json,sys\nprint(json.dumps(json.load(open(sys.argv[1], encoding="utf-8"))))', file)
}

/** Python's own reading of a CSV log: `csv.DictReader` with `newline=""`, as the csv docs require. */
export function pythonCsvRows(file: string): Record<string, string>[] {
  return runPython<Record<string, string>[]>(
    'import csv,json,sys\nwith open(sys.argv[1], newline="", encoding="utf-8") as f:\n    print(json.dumps(list(csv.DictReader(f))))',
    file,
  )
}

/** Writes `events` exactly as the Python original does: `json.dump(events, f, indent=2)`. */
export function pythonJsonDump(file: string, events: unknown[]): void {
  execFileSync('python3', ['-c', 'import json,sys\njson.dump(json.loads(sys.stdin.read()), open(sys.argv[1], "w"), indent=2)', file], {
    input: JSON.stringify(events),
  })
}
