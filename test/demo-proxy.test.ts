import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { AuditLogger, verifyLog } from 'auditrail'
import { describe, expect, it } from 'vitest'
import { tempDir } from './support/temp-dir.js'

// `pnpm demo --proxy`, run as the README runs it: the built entry point in a child process.
const main = join(fileURLToPath(new URL('..', import.meta.url)), 'examples/dist/main.js')

describe('pnpm demo --proxy', () => {
  it("logs the WeightsLab session through the proxy with WeightsLab's action types, users and before/after; a rerun says it continues", () => {
    const dir = tempDir('auditrail-demo-proxy-')
    const run = spawnSync(process.execPath, [main, '--proxy'], { encoding: 'utf8', env: { ...process.env, AUDITRAIL_DIR: dir }, timeout: 120_000 })
    expect(run.status, run.stderr).toBe(0)
    expect(run.stdout).toContain('10 events written by the proxy:')
    expect(run.stdout).toContain('hash chain verified')
    const logger = new AuditLogger(dir, 'check', { format: 'json' })
    const events = [...logger.readEvents({ order: 'oldest-first' })]
    logger.close()
    expect(events.map((e) => [e.action_type, e.status, e.actor])).toEqual([
      ['hp_change', 'success', 'ana@lab'],
      ['resume', 'success', 'ana@lab'],
      ['pause', 'success', 'bo@lab'],
      ['mode_switch', 'success', 'bo@lab'],
      ['tag_add', 'success', 'bo@lab'],
      ['sample_discard', 'success', 'bo@lab'],
      ['query_execute', 'success', 'bo@lab'],
      ['query_execute', 'failed', 'bo@lab'],
      ['checkpoint_restore', 'failed', 'ana@lab'],
      ['note_write', 'success', 'ana@lab'],
    ])
    expect(events[0]?.details).toEqual({ changed_params: { training_steps_to_do: 500, batch_size: 64 }, before: { training_steps_to_do: 1000, batch_size: 32 }, after: { training_steps_to_do: 500, batch_size: 64 } })
    expect(verifyLog(dir).ok).toBe(true)
    const again = spawnSync(process.execPath, [main, '--proxy'], { encoding: 'utf8', env: { ...process.env, AUDITRAIL_DIR: dir }, timeout: 120_000 })
    expect(again.status, again.stderr).toBe(0)
    expect(again.stdout).toContain(`10 events written by the proxy (after 10 from earlier runs in ${dir})`)
    expect(verifyLog(dir).ok).toBe(true)
  })
})
