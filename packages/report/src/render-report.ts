import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { AuditrailError } from '@auditrail/core'
import { guardFormula } from '@auditrail/sink-csv'
import type { ReportData } from './report-data.js'

/** The page's scripts, in the order they are concatenated into one inline script (they share one function scope). */
const PAGE_SCRIPTS = ['dom.js', 'filter.js', 'histogram.js', 'timeline.js', 'details-diff.js', 'export.js', 'charts.js', 'state.js', 'live.js', 'main.js']

/** Options of {@link renderReport}. */
export interface RenderOptions {
  /** `connect-src` of the page's Content-Security-Policy: `'none'` for a file, `'self'` for `auditrail serve`. Default `'none'`. */
  readonly connect?: "'none'" | "'self'"
}

function asset(name: string): string {
  const url = new URL(`../assets/${name}`, import.meta.url)
  try {
    return readFileSync(url, 'utf8')
  } catch (error) {
    throw new AuditrailError('io', `cannot read the page asset ${name} (${url.pathname})`, { component: 'report', file: url.pathname, cause: error })
  }
}

/** JSON that cannot end the `<script>` element holding it: every `<` is written `\u003c` (and the line separators JS dislikes). */
export function embedJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029')
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

/**
 * Renders the report as one self-contained HTML page: styles and script inline, the data as JSON in a
 * `<script type="application/json">`, and a Content-Security-Policy that allows only that script (by hash) and no
 * network request. The page builds every element from the data with `textContent`, never from markup.
 */
export function renderReport(data: ReportData, options: RenderOptions = {}): string {
  // The CSV export's formula guard is sink-csv's own function, its source carried into the page.
  const guard = `const NEEDS_GUARD = /^'*[=+\\-@\\t\\r]/;\nconst guardFormula = ${guardFormula.toString()};\n`
  const script = `(() => {\n'use strict';\n${guard}${PAGE_SCRIPTS.map(asset).join('\n')}\n})();\n`
  const scriptHash = createHash('sha256').update(script).digest('base64')
  const csp = [
    "default-src 'none'",
    `script-src 'sha256-${scriptHash}'`,
    "style-src 'unsafe-inline'",
    'img-src data:',
    `connect-src ${options.connect ?? "'none'"}`,
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ')
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">
<meta name="referrer" content="no-referrer">
<meta name="color-scheme" content="light dark">
<title>${escapeHtml(data.title)}</title>
<style>
${asset('page.css')}
</style>
</head>
<body>
<noscript><p class="noscript">This report needs JavaScript to show its data; the data is in this file as JSON (the element with id "report-data").</p></noscript>
<div id="app"></div>
<script type="application/json" id="report-data">${embedJson(data)}</script>
<script>${script}</script>
</body>
</html>
`
}
