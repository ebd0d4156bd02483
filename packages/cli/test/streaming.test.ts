import { spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, test } from 'vitest'
import { runCli, tempDir } from './support/cli-process.js'

// 60,000 events in the Python original's indent-2 layout (about 13 MB, several read blocks), of actions whose
// replayed state stays small. Under a 16 MB heap, holding every parsed event at once does not fit: the
// control below shows it, so each command passing under that limit shows that it streams.
const HEAP = ['--max-old-space-size=16']
const COUNT = 60_000
let dir: string
let python: string

beforeAll(() => {
  dir = tempDir()
  python = join(dir, 'python.json')
  const script = `
import json, sys
kinds = [("hp_change", lambda i: {"changed_params": {"learning_rate": round(i / 1e6, 6)}}),
         ("pause", lambda i: {"step": i}), ("resume", lambda i: {"step": i}),
         ("tag_add", lambda i: {"tag_name": "defect", "sample_ids": ["s1", "s2"], "origins": ["train", "val"]}),
         ("tag_remove", lambda i: {"tag_name": "defect", "sample_ids": ["s2"]}),
         ("mode_switch", lambda i: {"mode": "audit" if i % 2 else "train"})]
events = []
for i in range(${COUNT}):
    action, details = kinds[i % 6]
    ts = "2026-05-27T%02d:%02d:%02d.%06dZ" % (10 + i // 3600000, (i // 60000) % 60, (i // 1000) % 60, (i % 1000) * 1000)
    events.append({"timestamp": ts, "action_type": action, "status": "failed" if i % 1000 == 7 else "success", "details": details(i), "error": "boom" if i % 1000 == 7 else None})
events.reverse()
json.dump(events, open(sys.argv[1], "w"), indent=2)
`
  spawnSync('python3', ['-c', script, python], { stdio: 'inherit' })
})

describe('every command streams', () => {
  test('control: loading the whole log does not fit in the heap the commands run in', () => {
    const load = spawnSync(process.execPath, [...HEAP, '-e', `JSON.parse(require('fs').readFileSync(${JSON.stringify(python)}, 'utf8')).length`])
    expect(load.status).not.toBe(0)
  })

  test('summary, query, state, verify, convert and tail run in a 16 MB heap, on JSON and CSV', () => {
    const run = (...args: string[]): string => {
      const result = runCli(args, { nodeArgs: HEAP })
      expect(result.stderr).toBe('')
      expect(result.code).toBe(0)
      return result.stdout
    }
    expect(JSON.parse(run('summary', python, '--json'))).toMatchObject({ total_events: COUNT, by_status: { success: COUNT - 60, failed: 60 } })
    const oldest = JSON.parse(run('query', python, '--oldest-first', '--limit', '1', '--json')) as { timestamp: string }[]
    expect(oldest.map((e) => e.timestamp)).toEqual(['2026-05-27T10:00:00.000000Z'])
    const state = JSON.parse(run('state', python, '--json')) as { eventCount: number; training: { mode: string }; data: { tags: Record<string, unknown[]> } }
    expect(state.eventCount).toBe(COUNT)
    expect(state.data.tags['defect']).toHaveLength(1)
    expect(run('verify', python)).toContain(`(${COUNT} events, 0 errors, 0 warnings)`)
    const csv = join(dir, 'converted.csv')
    expect(run('convert', python, csv)).toBe(`${COUNT} events: ${python} (json) → ${csv} (csv)\n`)
    const back = join(dir, 'back.json')
    run('convert', csv, back)
    const tail = run('tail', csv, '-n', '2', '--jsonl').trim().split('\n')
    expect(tail.map((line) => (JSON.parse(line) as { timestamp: string }).timestamp)).toEqual(['2026-05-27T10:00:59.998000Z', '2026-05-27T10:00:59.999000Z'])
    // Round trip: the Python log, to CSV and back, holds the same events in the same order.
    writeFileSync(join(dir, 'compare.py'), 'import json,sys\nprint(json.load(open(sys.argv[1])) == json.load(open(sys.argv[2])))')
    const same = spawnSync('python3', [join(dir, 'compare.py'), python, back], { encoding: 'utf8' })
    expect(same.stdout.trim()).toBe('True')
    expect(readFileSync(csv, 'utf8').startsWith('timestamp,action_type,status,details,error\r\n')).toBe(true)
  })
})
