import { existsSync } from 'node:fs'

/** A system program some suites need, how to find it, and the one command that installs it. */
export interface SystemRequirement {
  /** Shown in test names (`[needs PostgreSQL]`) and in the run's closing notice. */
  readonly label: string
  /** The path whose presence means the requirement is met. */
  readonly path: string
  /** The one command that installs it on Debian. */
  readonly install: string
}

/** Debian's PostgreSQL 15 server binaries (initdb, pg_ctl, postgres). */
export const POSTGRES: SystemRequirement = {
  label: 'PostgreSQL',
  path: process.env.AUDITRAIL_PG_BIN ?? '/usr/lib/postgresql/15/bin',
  install: 'apt-get install -y postgresql',
}

/** Debian's Chromium, driven by playwright-core. */
export const CHROMIUM: SystemRequirement = {
  label: 'Chromium',
  path: process.env.AUDITRAIL_CHROMIUM ?? '/usr/bin/chromium',
  install: 'apt-get install -y chromium',
}

/** Every requirement the reporter explains when its suites could not run. */
export const SYSTEM_REQUIREMENTS: readonly SystemRequirement[] = [POSTGRES, CHROMIUM]

/** The marker a suite's name carries when it needs `requirement`; the reporter counts skipped tests by it. */
export function needsTag(requirement: SystemRequirement): string {
  return `[needs ${requirement.label}]`
}

/**
 * Whether `requirement` is met here. Under CI (`CI=true`) a missing requirement throws instead: `.ci/run`
 * installs every one, so CI must run every suite, and a skip there would hide a broken install step.
 */
export function isAvailable(requirement: SystemRequirement): boolean {
  const present = existsSync(requirement.path)
  if (!present && process.env.CI === 'true') {
    throw new Error(`${requirement.label} is required under CI but ${requirement.path} is missing (install: ${requirement.install})`)
  }
  return present
}
