// Issue 19: `auditrail report` of 1,000,000 events (time, file size) and the page's time to interactive in Chromium.
import { execFileSync } from 'node:child_process'
import { existsSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { makeJsonLog } from '../make-log.mjs'
import { median, tempDir } from '../measure.mjs'

const CLI = fileURLToPath(new URL('../../packages/cli/dist/cli.js', import.meta.url))
const CHROMIUM = process.env.AUDITRAIL_CHROMIUM ?? '/usr/bin/chromium'

/** Milliseconds from navigation to a page that has rendered and answered one filter click. */
async function timeToInteractive(file, reps) {
  const { chromium } = await import('playwright-core')
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'] })
  try {
    const runs = []
    for (let r = 0; r < reps; r++) {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
      const start = performance.now()
      await page.goto(`file://${file}`)
      await page.waitForSelector('html[data-ready]')
      await page.check('input[name=action]')
      await page.waitForFunction(() => location.hash.includes('action='))
      runs.push(performance.now() - start)
      await page.close()
    }
    return median(runs)
  } finally {
    await browser.close()
  }
}

/** Rows for the results table. */
export async function reportScenarios({ quick }) {
  const count = quick ? 20_000 : 1_000_000
  const reps = quick ? 1 : 3
  const dir = tempDir('report')
  makeJsonLog(join(dir, 'audit_log.json'), count)
  const file = join(dir, 'report.html')
  const runs = []
  for (let r = 0; r < reps; r++) {
    const start = performance.now()
    execFileSync(process.execPath, [CLI, 'report', dir, '-o', file], { stdio: 'ignore' })
    runs.push(performance.now() - start)
  }
  const ms = median(runs)
  const mb = statSync(file).size / 1e6
  const n = count.toLocaleString('en-US')
  const rows = [
    { scenario: `auditrail report, ${n} JSON events (ms)`, value: ms * 1000, baseline: undefined, baselineName: '', target: '≤ 10 s', ok: ms <= 10_000 },
    { scenario: `report file size, ${n} events`, value: mb, unit: 'MB', baseline: undefined, baselineName: '', target: '≤ 15 MB', ok: mb <= 15 },
  ]
  if (existsSync(CHROMIUM)) {
    const tti = await timeToInteractive(file, reps)
    rows.push({ scenario: `report page open + first filter in Chromium, ${n} events (ms)`, value: tti * 1000, baseline: undefined, baselineName: '', target: '≤ 2 s', ok: tti <= 2000 })
  }
  return rows
}
