#!/usr/bin/env node
// The `auditrail` executable. Everything else is in run-cli.ts, which tests and other tools can call.
import { runCli } from './run-cli.js'

process.exitCode = await runCli(process.argv.slice(2))
