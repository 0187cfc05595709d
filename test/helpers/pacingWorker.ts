// One delivery worker process for test/integration/pacingAcrossProcesses.test.ts, bundled with esbuild and run
// with `node`: the project's real services over the test run's Azurite. The settings come from the environment
// (app settings), plus PACING_WORKER_TENANTS (comma-separated tenant ids) and PACING_WORKER_TABLE_PREFIX.
// It prints `ready` once wired, waits for a line on stdin (so every worker starts at the same moment), then
// calls `deliver` for each tenant in turn until a round finds nothing due, and prints its figures as JSON.
import { createInterface } from 'node:readline';
import { loadConfig } from '../../src/config/config';
import { createServices } from '../../src/composition/services';
import { createLogger } from '../../src/shared/logger';

async function main(): Promise<void> {
  const tenants = (process.env.PACING_WORKER_TENANTS ?? '').split(',').filter(Boolean);
  const tablePrefix = process.env.PACING_WORKER_TABLE_PREFIX;
  const errors: string[] = [];
  const log = createLogger((level, line) => {
    if (level === 'error') errors.push(line);
  });
  const services = tenants.map((tenant) =>
    createServices(loadConfig({ ...process.env, AZURE_TENANT_ID: tenant }), { tablePrefix }),
  );
  process.stdout.write('ready\n');
  await new Promise<void>((resolve) => createInterface({ input: process.stdin }).once('line', () => resolve()));
  const figures = { rounds: 0, due: 0, posts: 0, sent: 0, skipped: 0, retrying: 0, failed: 0, errors };
  const deadline = performance.now() + 40_000;
  for (;;) {
    figures.rounds++;
    let due = 0;
    for (const s of services) {
      const summary = await s.deliver(log);
      due += summary.due;
      figures.due += summary.due;
      figures.posts += summary.posts;
      figures.sent += summary.sent;
      figures.skipped += summary.skipped;
      figures.retrying += summary.retrying;
      figures.failed += summary.failed;
    }
    if (due === 0 || performance.now() > deadline) break;
  }
  const counters = services.map((s) => s.counters.tableRequests);
  const pacingRequests = counters.reduce((n, c) => n + (c.byTable.get('ChannelPacing') ?? 0), 0);
  process.stdout.write(`${JSON.stringify({ ...figures, pacingRequests })}\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
