/// <reference lib="dom" />
// Page code inside page.evaluate / waitForFunction runs in Chromium: the DOM types describe it.
import { execFileSync, spawn } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { join } from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { guardFormula } from '@auditrail/sink-csv'
import { verifyLog } from '@auditrail/verify'
import { CHROMIUM, isAvailable, needsTag } from './support/system-requirements.js'
import { HOSTILE, writeExperimentLog } from './support/report-log.js'

const CLI = new URL('../packages/cli/dist/cli.js', import.meta.url).pathname
const ARTIFACTS = new URL('../test-artifacts/', import.meta.url).pathname

function cli(...args: string[]): string {
  return execFileSync(process.execPath, [CLI, ...args], { encoding: 'utf8' })
}

function cliJson<T>(...args: string[]): T {
  return JSON.parse(cli(...args)) as T
}

interface Ev { timestamp: string; action_type: string; status: string; actor?: string; details: Record<string, unknown>; error: string | null; seq?: number }

function queryTimestamps(dir: string, ...filter: string[]): string[] {
  return cliJson<Ev[]>('query', dir, '--json', ...filter).map((e) => e.timestamp)
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM.path,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  })
}

/** Opens `url`, recording every request but the page itself, console errors, page errors and dialogs. */
async function open(browser: Browser, url: string, options: { width?: number; dark?: boolean } = {}) {
  const context = await browser.newContext({ viewport: { width: options.width ?? 1280, height: 900 }, colorScheme: options.dark === true ? 'dark' : 'light', acceptDownloads: true })
  const page = await context.newPage()
  const requests: string[] = []
  const errors: string[] = []
  const dialogs: string[] = []
  const pageUrl = url.split('#')[0]
  page.on('request', (r) => {
    if (r.url().split('#')[0] !== pageUrl) requests.push(r.url())
  })
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text())
  })
  page.on('pageerror', (e) => errors.push(e.message))
  page.on('dialog', (d) => {
    dialogs.push(d.message())
    void d.dismiss()
  })
  await page.addInitScript(() => {
    Object.defineProperty(window, '__pwned', { configurable: true, set() { (window as unknown as { __set: boolean }).__set = true }, get() { return undefined } })
  })
  await page.goto(url)
  await page.waitForSelector('html[data-ready]', { timeout: 10_000 })
  return { page, requests, errors, dialogs, close: () => context.close() }
}

async function shownTimestamps(page: Page): Promise<string[]> {
  return page.$$eval('ol.timeline > li', (items) => items.map((li) => li.getAttribute('data-timestamp') ?? ''))
}

describe.skipIf(!isAvailable(CHROMIUM))(`auditrail report in Chromium ${needsTag(CHROMIUM)}`, () => {
  let browser: Browser
  let dir: string
  let html: string
  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true })
    dir = writeExperimentLog()
    html = join(dir, 'report.html')
    cli('report', dir, '-o', html)
    browser = await launchChromium()
  })
  afterAll(async () => {
    await browser?.close()
  })

  test('from file:// the page makes no request and logs no error; its counts equal auditrail summary', async () => {
    const { page, requests, errors, close } = await open(browser, `file://${html}`)
    const summary = cliJson<{ total_events: number; by_action_type: Record<string, number>; by_status: Record<string, number> }>('summary', dir, '--json')
    expect(await page.textContent('[data-count=total]')).toBe(String(summary.total_events))
    expect(await page.textContent('[data-count=failed]')).toBe(String(summary.by_status['failed'] ?? 0))
    for (const [action, n] of Object.entries(summary.by_action_type)) {
      expect(await page.textContent(`[data-action-count="${action}"]`)).toBe(String(n))
    }
    expect(await page.getAttribute('#integrity', 'data-ok')).toBe('true')
    const head = verifyLog(dir).chain?.head
    expect(head).toBeDefined()
    expect(await page.textContent('#integrity')).toContain(`${head?.seq}:${head?.hash}`)
    expect(requests).toEqual([])
    expect(errors).toEqual([])
    await close()
  })

  test('each filter and combined filters show exactly what auditrail query returns; the fragment restores them', async () => {
    const cases: [string, string[]][] = [
      ['action=hp_change', ['--action', 'hp_change']],
      ['status=failed', ['--status', 'failed']],
      ['actor=bo%40lab&actor=cy%40lab', ['--actor', 'bo@lab,cy@lab']],
      ['q=LEARNING_RATE', ['--grep', 'LEARNING_RATE']],
      ['action=hp_change&action=tag_add&actor=ana%40lab&q=0.0', ['--action', 'hp_change,tag_add', '--actor', 'ana@lab', '--grep', '0.0']],
      ['status=success&action=pause&action=resume&action=mode_switch', ['--status', 'success', '--action', 'pause,resume,mode_switch']],
    ]
    const all = queryTimestamps(dir)
    const since = all[Math.floor(all.length * 0.7)] as string
    const until = all[Math.floor(all.length * 0.2)] as string
    cases.push([`since=${since}&until=${until}&status=success`, ['--since', since, '--until', until, '--status', 'success']])
    for (const [fragment, args] of cases) {
      const { page, close } = await open(browser, `file://${html}#${fragment}`)
      const expected = queryTimestamps(dir, ...args)
      expect(expected.length, fragment).toBeGreaterThan(0)
      expect(await shownTimestamps(page), fragment).toEqual(expected)
      await close()
    }
    // The controls write the fragment; a link with it restores the same slice.
    const { page, close } = await open(browser, `file://${html}`)
    await page.check('input[name=action][value=hp_change]')
    await page.selectOption('#f-actor', ['bo@lab'])
    await page.fill('#f-q', '0.0')
    await page.waitForFunction(() => location.hash.includes('q='))
    const shown = await shownTimestamps(page)
    expect(shown).toEqual(queryTimestamps(dir, '--action', 'hp_change', '--actor', 'bo@lab', '--grep', '0.0'))
    const link = page.url()
    expect(link).toContain('#')
    const again = await open(browser, link)
    expect(await shownTimestamps(again.page)).toEqual(shown)
    expect(await again.page.isChecked('input[name=action][value=hp_change]')).toBe(true)
    await again.close()
    await close()
  })

  test('brushing the histogram sets the time range; next/previous failure move between failed rows', async () => {
    const { page, close } = await open(browser, `file://${html}`)
    const box = await page.locator('#histogram svg').boundingBox()
    if (box === null) throw new Error('no histogram')
    await page.mouse.move(box.x + box.width * 0.5, box.y + 20)
    await page.mouse.down()
    await page.mouse.move(box.x + box.width * 0.9, box.y + 20)
    await page.mouse.up()
    await page.waitForFunction(() => location.hash.includes('since='))
    const params = new URLSearchParams(new URL(page.url()).hash.slice(1))
    const expected = queryTimestamps(dir, '--since', params.get('since') as string, '--until', params.get('until') as string)
    expect(await shownTimestamps(page)).toEqual(expected)
    expect(expected.length).toBeLessThan(queryTimestamps(dir).length)
    await page.click('#f-clear')
    const failed = queryTimestamps(dir, '--status', 'failed')
    await page.click('#next-failure')
    expect(await page.evaluate(() => document.activeElement?.closest('li')?.getAttribute('data-timestamp'))).toBe(failed[0])
    await page.keyboard.press('j')
    expect(await page.evaluate(() => document.activeElement?.closest('li')?.getAttribute('data-timestamp'))).toBe(failed[1])
    await page.click('#prev-failure')
    expect(await page.evaluate(() => document.activeElement?.closest('li')?.getAttribute('data-timestamp'))).toBe(failed[0])
    await close()
  })

  test('export gives exactly the filtered slice, as JSON lines and as guarded CSV', async () => {
    const { page, close } = await open(browser, `file://${html}#action=hp_change&action=checkpoint_restore`)
    const [jsonl] = await Promise.all([page.waitForEvent('download'), page.click('#export-jsonl')])
    const exported = readFileSync(await jsonl.path(), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Ev)
    expect(exported).toEqual(cliJson<Ev[]>('query', dir, '--json', '--action', 'hp_change,checkpoint_restore'))
    const [csv] = await Promise.all([page.waitForEvent('download'), page.click('#export-csv')])
    const rows = readFileSync(await csv.path(), 'utf8').trim().split('\r\n')
    expect(rows[0]).toBe('timestamp,action_type,status,details,error,actor,seq,hash')
    expect(rows.slice(1).map((row) => row.split(',')[0])).toEqual(exported.map((e) => e.timestamp))
    await close()
  })

  test('the hyperparameter chart has one point per change, equal to the log\'s hp_change events; state at a moment equals auditrail state --at', async () => {
    const { page, close } = await open(browser, `file://${html}`)
    const changes = cliJson<Ev[]>('query', dir, '--json', '--action', 'hp_change', '--oldest-first')
    const points = await page.$$eval('table.hp-points[data-parameter=learning_rate] tbody tr', (trs) => trs.map((tr) => [tr.getAttribute('data-timestamp'), tr.getAttribute('data-value')]))
    expect(points.reverse()).toEqual(changes.map((e) => [e.timestamp, JSON.stringify((e.details['after'] as Record<string, unknown>)['learning_rate'])]))
    expect(await page.locator('.chart[data-parameter=learning_rate] circle.hp-point').count()).toBe(changes.length)
    for (const at of [changes[3]?.timestamp, changes[8]?.timestamp, '2000-01-01T00:00:00Z']) {
      await page.fill('#state-at', at as string)
      await page.press('#state-at', 'Enter')
      await page.dispatchEvent('#state-at', 'change')
      const shown = JSON.parse((await page.textContent('#state-json')) as string) as Record<string, unknown>
      const state = cliJson<Record<string, unknown>>('state', dir, '--at', at as string, '--json')
      const hp = Object.fromEntries(Object.entries(state['hyperparameters'] as Record<string, { value: unknown; previous?: unknown; changedAt: string }>).map(([k, v]) => [k, { value: v.value, ...(v.previous === undefined ? {} : { previous: v.previous }), changedAt: v.changedAt }]))
      expect(shown['hyperparameters']).toEqual(hp)
      expect(shown['training']).toEqual(state['training'])
      expect(shown['lastCheckpointRestore']).toEqual(state['lastCheckpointRestore'])
    }
    await close()
  })

  test('screenshots at 1280 and 390 px, light and dark', async () => {
    for (const width of [1280, 390]) {
      for (const dark of [false, true]) {
        const { page, errors, close } = await open(browser, `file://${html}`, { width, dark })
        const file = join(ARTIFACTS, `report-${width}-${dark ? 'dark' : 'light'}.png`)
        await page.screenshot({ path: file, fullPage: true })
        // Readable at this width: nothing wider than the viewport.
        expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width)
        expect(errors).toEqual([])
        await close()
      }
    }
  })

  test('a hostile log runs nothing: its strings show as text', async () => {
    const hostile = writeExperimentLog({ hostile: true })
    const file = join(hostile, 'report.html')
    cli('report', hostile, '-o', file)
    const { page, requests, errors, dialogs, close } = await open(browser, `file://${file}`)
    await page.$$eval('ol.timeline button.row', (buttons) => buttons.forEach((b) => (b as HTMLButtonElement).click()))
    await page.waitForTimeout(200)
    expect(await page.evaluate(() => (window as unknown as { __set?: boolean }).__set)).toBeUndefined()
    expect(dialogs).toEqual([])
    expect(requests).toEqual([])
    expect(errors).toEqual([])
    expect(await page.locator('img').count()).toBe(0)
    expect(await page.locator('script').count()).toBe(2)
    const text = (await page.textContent('ol.timeline')) as string
    for (const s of HOSTILE) expect(text).toContain(s)
    // The CSV formula guard in the page is sink-csv's.
    expect(await page.evaluate(() => typeof document)).toBe('object')
    expect(guardFormula('=1+1')).toBe("'=1+1")
    await close()
  })

  test('a tampered log shows the failed verification, with the first bad seq, at the top', async () => {
    const tampered = writeExperimentLog()
    const log = join(tampered, 'audit_log.json')
    const text = readFileSync(log, 'utf8')
    writeFileSync(log, text.replace('"mode":"audit"', '"mode":"train"'))
    const verify = verifyLog(tampered)
    expect(verify.ok).toBe(false)
    expect(verify.chain?.firstBadSeq).toBeDefined()
    const file = join(tampered, 'report.html')
    cli('report', tampered, '-o', file)
    const { page, close } = await open(browser, `file://${file}`)
    expect(await page.getAttribute('#integrity', 'data-ok')).toBe('false')
    expect(await page.textContent('#integrity')).toContain(`first bad seq ${verify.chain?.firstBadSeq}`)
    // At the top: the banner is the first section, above the fold.
    const box = await page.locator('#integrity').boundingBox()
    expect(box?.y).toBeLessThan(200)
    await page.screenshot({ path: join(ARTIFACTS, 'report-tampered.png') })
    await close()
  })

  test('serve: an event appended by another process appears without reload; non-GET and foreign Host are refused', async () => {
    const live = writeExperimentLog()
    const server = spawn(process.execPath, [CLI, 'serve', live, '--port', '0', '--interval', '50'], { stdio: ['ignore', 'pipe', 'pipe'] })
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = ''
        server.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString()
          const match = /http:\/\/127\.0\.0\.1:\d+\//.exec(out)
          if (match !== null) resolve(match[0])
        })
        server.once('exit', (code) => reject(new Error(`serve exited with ${code}`)))
      })
      const post = await fetch(url, { method: 'POST', body: 'x' })
      expect(post.status).toBe(405)
      expect((await fetch(`${url}events`, { method: 'DELETE' })).status).toBe(405)
      // DNS rebinding: a page of another site whose name now resolves to 127.0.0.1 sends its own name as Host.
      expect(await statusWithHost(url, `rebind.example:${new URL(url).port}`)).toBe(403)
      expect(await statusWithHost(url, `127.0.0.1:${Number(new URL(url).port) + 1}`)).toBe(403)
      expect(await statusWithHost(url, `localhost:${new URL(url).port}`)).toBe(200)
      const { page, requests, errors, close } = await open(browser, url)
      await page.waitForFunction(() => document.getElementById('live-status')?.textContent?.includes('following'))
      const before = Number(await page.textContent('[data-count=total]'))
      const auditrail = new URL('../packages/auditrail/dist/index.js', import.meta.url).href
      const core = new URL('../packages/core/dist/index.js', import.meta.url).href
      execFileSync(process.execPath, ['--input-type=module', '-e', `
        import { AuditLogger } from ${JSON.stringify(auditrail)}
        import { createClock } from ${JSON.stringify(core)}
        // Stamped an hour after the log was written: the live chart must widen its bins, not grow to millions.
        const logger = new AuditLogger(${JSON.stringify(live)}, 'report', { format: 'json', integrity: 'sha256-chain', clock: createClock({ wallMs: () => Date.now() + 3_600_000 }) })
        logger.logEvent('note_write', 'success', { note: 'appended by another process' }, null, { actor: 'writer@lab' })
        logger.close()
      `])
      await page.waitForFunction(() => document.querySelector('ol.timeline')?.textContent?.includes('appended by another process'), undefined, { timeout: 30_000 })
      expect(Number(await page.textContent('[data-count=total]'))).toBe(before + 1)
      const bars = await page.evaluate(() => Number(document.querySelector('#histogram svg')?.getAttribute('data-bins') ?? '-1'))
      expect(bars).toBeGreaterThan(0)
      expect(bars).toBeLessThanOrEqual(240)
      expect(requests.every((r) => r.startsWith(url))).toBe(true)
      expect(errors).toEqual([])
      await close()
    } finally {
      server.kill('SIGTERM')
    }
  })
})

/** The status of a GET of `url` sent with the given Host header (fetch may not set Host; node:http may). */
function statusWithHost(url: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { headers: { host } }, (response) => {
      response.resume()
      resolve(response.statusCode ?? 0)
    })
    request.on('error', reject)
    request.end()
  })
}
