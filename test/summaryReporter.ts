import path from 'node:path';
import type { Reporter, SerializedError, TestModule, TestRunEndReason, TestSuite } from 'vitest/node';

/** Counts of a finished run, and one line for each failure that is not a failed test case. */
export interface RunSummary {
  passed: number;
  failed: number;
  skipped: number;
  outsideTests: string[];
}

const firstLine = (e: SerializedError) => `${e.name ?? 'Error'}: ${String(e.message ?? '').split('\n')[0]}`;

/**
 * Counts a run the way its exit code judges it. Test cases count as passed, failed or skipped; on top of them
 * each suite or file that reports errors of its own (a file that fails to load, a beforeAll / afterAll hook that
 * throws) is one failure, and so is each unhandled error. The tests a failed hook kept from running stay
 * skipped. A run that vitest ended as failed or interrupted never shows 0 failed.
 */
export function summarize(
  testModules: ReadonlyArray<TestModule>,
  unhandledErrors: ReadonlyArray<SerializedError>,
  reason: TestRunEndReason,
  root = process.cwd(),
): RunSummary {
  const summary: RunSummary = { passed: 0, failed: 0, skipped: 0, outsideTests: [] };
  const own = (where: string, errors: SerializedError[]) => {
    if (errors.length === 0) return;
    summary.failed++;
    summary.outsideTests.push(`${where}: ${errors.map(firstLine).join('; ')}`);
  };
  for (const mod of testModules) {
    const failedBefore = summary.failed;
    const file = path.relative(root, mod.moduleId) || mod.moduleId;
    own(
      mod.state() === 'failed' && [...mod.children.allTests()].length === 0 ? `${file} (did not load)` : file,
      mod.errors(),
    );
    for (const suite of mod.children.allSuites()) own(`${file} > ${suitePath(suite)}`, suite.errors());
    for (const test of mod.children.allTests()) {
      const state = test.result().state;
      if (state === 'passed') summary.passed++;
      else if (state === 'failed') summary.failed++;
      else summary.skipped++;
    }
    // A file marked failed with nothing above to show for it still failed.
    if (mod.state() === 'failed' && summary.failed === failedBefore)
      own(file, [{ name: 'Error', message: 'the file failed without a reported error' }]);
  }
  for (const e of unhandledErrors) {
    summary.failed++;
    summary.outsideTests.push(`unhandled error: ${firstLine(e)}`);
  }
  if (summary.failed === 0 && reason !== 'passed') {
    summary.failed = 1;
    summary.outsideTests.push(
      reason === 'interrupted' ? 'the run was interrupted' : 'the run failed outside any test (see the output above)',
    );
  }
  return summary;
}

function suitePath(suite: TestSuite): string {
  const names: string[] = [];
  for (let s: TestSuite | TestModule = suite; s.type === 'suite'; s = s.parent) names.unshift(s.name);
  return names.join(' > ');
}

/**
 * Prints the closing line CI reads, `N passed, N failed, N skipped`, preceded by one line for each failure
 * that is not a failed test case (vitest's own summary is not recognised there).
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(
    testModules: ReadonlyArray<TestModule>,
    unhandledErrors: ReadonlyArray<SerializedError>,
    reason: TestRunEndReason,
  ): void {
    const s = summarize(testModules, unhandledErrors, reason);
    const details = s.outsideTests.map((line) => `failed outside a test case: ${line}\n`).join('');
    process.stdout.write(`\n${details}${s.passed} passed, ${s.failed} failed, ${s.skipped} skipped\n`);
  }
}
