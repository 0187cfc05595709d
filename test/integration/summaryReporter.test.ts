import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';

/*
 * The closing line `N passed, N failed, N skipped` (test/summaryReporter.ts), checked on real vitest runs: each
 * fixture suite in test/fixtures/summaryReporter/ (outside the main include glob) runs in a child vitest with
 * the README's reporters, and the line must agree with the child's exit code.
 */

const root = path.join(__dirname, '..', '..');
const fixtures = path.join(root, 'test', 'fixtures', 'summaryReporter');
const reporter = path.join(root, 'test', 'summaryReporter.ts');
const run = promisify(execFile);

interface ChildRun {
  exitCode: number;
  passed: number;
  failed: number;
  skipped: number;
  outside: string[];
  output: string;
}

async function runFixture(fixture: string): Promise<ChildRun> {
  // A clean environment: the parent's VITEST_* variables would make the child think it runs inside a worker.
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, FIXTURE: fixture, NO_COLOR: '1' };
  const args = [
    path.join(root, 'node_modules', 'vitest', 'vitest.mjs'),
    'run',
    '--root',
    fixtures,
    '--reporter=dot',
    `--reporter=${reporter}`,
  ];
  const { exitCode, stdout, stderr } = await run(process.execPath, args, { cwd: root, env, maxBuffer: 1 << 22 }).then(
    (r) => ({ exitCode: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => ({ exitCode: e.code, stdout: e.stdout, stderr: e.stderr }),
  );
  const output = `${stdout}\n${stderr}`;
  const lines = stdout.trim().split('\n');
  const m = /^(\d+) passed, (\d+) failed, (\d+) skipped$/.exec(lines.at(-1) ?? '');
  if (!m) throw new Error(`no closing line in the child's output:\n${output}`);
  const outside = lines.filter((l) => l.startsWith('failed outside a test case: '));
  return { exitCode, passed: Number(m[1]), failed: Number(m[2]), skipped: Number(m[3]), outside, output };
}

describe('the closing line counts every failure, not only failed test cases', () => {
  const runs = new Map<string, ChildRun>();
  beforeAll(async () => {
    for (const f of ['importThrows', 'beforeAllThrows', 'afterAllThrows', 'unhandledRejection', 'passes'])
      runs.set(f, await runFixture(f));
  }, 120_000);

  it.each([
    [
      'importThrows',
      'a suite that throws at import',
      { passed: 0, failed: 1, skipped: 0 },
      /importThrows\.fixture\.ts \(did not load\): Error: fixture: this suite throws at import/,
    ],
    [
      'beforeAllThrows',
      'a beforeAll that throws (its tests stay skipped)',
      { passed: 1, failed: 1, skipped: 2 },
      /beforeAllThrows\.fixture\.ts > a group whose beforeAll throws: Error: fixture: beforeAll throws/,
    ],
    [
      'afterAllThrows',
      'a file-level afterAll that throws after its test passed',
      { passed: 1, failed: 1, skipped: 0 },
      /afterAllThrows\.fixture\.ts: Error: fixture: afterAll throws/,
    ],
    [
      'unhandledRejection',
      'an unhandled rejection in a passing test',
      { passed: 1, failed: 1, skipped: 0 },
      /unhandled error: Error: fixture: unhandled rejection/,
    ],
  ])('%s: %s makes the run exit non-zero and the line show it as failed', (fixture, _what, counts, detail) => {
    const r = runs.get(fixture)!;
    expect(r.exitCode, r.output).not.toBe(0);
    expect(r.failed).toBeGreaterThanOrEqual(1);
    expect({ passed: r.passed, failed: r.failed, skipped: r.skipped }).toEqual(counts);
    expect(r.outside).toHaveLength(1);
    expect(r.outside[0]).toMatch(detail);
  });

  it('a clean run exits 0 with 0 failed and no failure lines', () => {
    const r = runs.get('passes')!;
    expect(r.exitCode, r.output).toBe(0);
    expect({ passed: r.passed, failed: r.failed, skipped: r.skipped, outside: r.outside }).toEqual({
      passed: 1,
      failed: 0,
      skipped: 1,
      outside: [],
    });
  });

  it('a run that finds no test file exits non-zero and still does not say 0 failed', async () => {
    const r = await runFixture('noSuchFixture');
    expect(r.exitCode).not.toBe(0);
    expect(r.failed).toBe(1);
    expect(r.outside).toEqual(['failed outside a test case: the run failed outside any test (see the output above)']);
  }, 60_000);
});
