#!/usr/bin/env node
// `pnpm auditrail …` from the repository: package scripts run in the repository root, so without this a relative path
// (`pnpm -C ~/src/auditrail auditrail summary runs/42`, or `pnpm -w auditrail …` from a subdirectory) would be read
// from the root instead of where the user stands. pnpm and npm say where that was in INIT_CWD.
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const cli = join(dirname(fileURLToPath(import.meta.url)), '..', 'packages', 'cli', 'dist', 'cli.js')
if (process.env.INIT_CWD !== undefined && process.env.INIT_CWD !== '') process.chdir(process.env.INIT_CWD)
await import(cli)
