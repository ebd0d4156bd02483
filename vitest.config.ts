import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'
import { PlainSummaryReporter } from './test/support/plain-summary-reporter.js'

const root = fileURLToPath(new URL('.', import.meta.url))

// Tests run on sources: each workspace package name resolves to its src/index.ts, as its exports map
// resolves to dist/index.js once built. No build step before `pnpm test`.
const alias = readdirSync(`${root}packages`).flatMap((dir) => {
  const manifest = JSON.parse(readFileSync(`${root}packages/${dir}/package.json`, 'utf8')) as { name: string }
  const name = manifest.name.replace('/', '\\/')
  // Subpath exports too (`@auditrail/core/file-io` → src/file-io.ts).
  return [
    { find: new RegExp(`^${name}$`), replacement: `${root}packages/${dir}/src/index.ts` },
    { find: new RegExp(`^${name}/([\\w-]+)$`), replacement: `${root}packages/${dir}/src/$1.ts` },
  ]
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
