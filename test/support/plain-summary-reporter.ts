import type { Reporter, TestModule } from 'vitest/node'
import { needsTag, SYSTEM_REQUIREMENTS } from './system-requirements.js'

/**
 * Ends a run with the plain line `tests: N passed, N failed, N skipped`, which CI reads as the verdict, after a
 * `not run:` line for every system requirement whose suites were skipped because it is missing, naming the
 * command that installs it: a suite that could not run is said, never silently skipped.
 */
export class PlainSummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const count = (state: 'passed' | 'failed' | 'skipped'): number =>
      testModules.reduce((sum, module) => sum + [...module.children.allTests(state)].length, 0)
    for (const requirement of SYSTEM_REQUIREMENTS) {
      const tag = needsTag(requirement)
      const skipped = testModules.flatMap((module) =>
        [...module.children.allTests('skipped')].filter((test) => test.fullName.includes(tag)).map(() => module.moduleId),
      )
      if (skipped.length === 0) continue
      const files = [...new Set(skipped)].map((file) => file.replace(`${process.cwd()}/`, ''))
      process.stdout.write(
        `\nnot run: ${skipped.length} tests need ${requirement.label} (${requirement.path} not found) in ${files.join(', ')}\n` +
          `  install it with: ${requirement.install}   (as root; .ci/run does this itself)\n`,
      )
    }
    process.stdout.write(`\ntests: ${count('passed')} passed, ${count('failed')} failed, ${count('skipped')} skipped\n`)
  }
}
