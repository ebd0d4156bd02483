import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { withGetters } from '@auditrail/core'
import { describe, expect, test } from 'vitest'

describe('withGetters', () => {
  test('adds enumerable, read-only getters that follow the state they close over', () => {
    let count = 0
    const counter = withGetters({ add: () => void count++ }, { count: () => count, doubled: () => count * 2 })
    counter.add()
    counter.add()
    expect(counter.count).toBe(2)
    expect(counter.doubled).toBe(4)
    expect(Object.keys(counter)).toEqual(['add', 'count', 'doubled'])
    expect(JSON.parse(JSON.stringify(counter))).toEqual({ count: 2, doubled: 4 })
    expect(() => {
      ;(counter as { count: number }).count = 7
    }).toThrow(TypeError)
    expect(counter.count).toBe(2)
  })

  test('objects sharing a getter name each read their own state', () => {
    const made = [1, 2, 3].map((n) => {
      let value = n
      return withGetters({ bump: () => void (value += 10) }, { value: () => value })
    })
    made[1]?.bump()
    expect(made.map((m) => m.value)).toEqual([1, 12, 3])
  })

  test("keeps V8's fast mode for every per-event object of the logger, second instances included (child process)", () => {
    const fixture = fileURLToPath(new URL('./fixtures/fast-mode.mjs', import.meta.url))
    const child = spawnSync(process.execPath, ['--allow-natives-syntax', fixture], { encoding: 'utf8' })
    expect(child.stderr).toBe('')
    const fast = JSON.parse(child.stdout) as Record<string, boolean>
    expect(Object.keys(fast).length).toBe(12)
    expect(Object.entries(fast).filter(([, isFast]) => !isFast)).toEqual([])
  })
})
