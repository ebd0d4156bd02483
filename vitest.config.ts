import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'
import { PlainSummaryReporter } from './test/support/plain-summary-reporter.js'

const root = fileURLToPath(new URL('.', import.meta.url))

// Tests run on sources: each workspace package name resolves to its src/index.ts, as its exports map
// resolves to dist/index.js once built. No build step before `pnpm test`.
const alias = readdirSync(`${root}packages`).map((dir) => {
  const manifest = JSON.parse(readFileSync(`${root}packages/${dir}/package.json`, 'utf8')) as { name: string }
  return { find: new RegExp(`^${manifest.name.replace('/', '\\/')}$`), replacement: `${root}packages/${dir}/src/index.ts` }
})

export default defineConfig({
  resolve: { alias },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Child-process and lock tests contend for 2 cores; keep file-level parallelism modest.
    maxWorkers: 2,
    reporters: ['default', new PlainSummaryReporter()],
  },
})
