import type { Reporter, TestModule } from 'vitest/node'

/** Ends a run with the plain line `tests: N passed, N failed, N skipped`, which CI reads as the verdict. */
export class PlainSummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const count = (state: 'passed' | 'failed' | 'skipped'): number =>
      testModules.reduce((sum, module) => sum + [...module.children.allTests(state)].length, 0)
    process.stdout.write(`\ntests: ${count('passed')} passed, ${count('failed')} failed, ${count('skipped')} skipped\n`)
  }
}
