import { loadConfig } from '../src/config/config';
import { createServices } from '../src/composition/services';
import { createLogger } from '../src/shared/logger';

/**
 * Measured poll cycles in their own process, so peak RSS is the app's alone (Azurite and the simulator run
 * in the parent). BENCH_MODE=single: BENCH_WARMUP_CYCLES unmeasured cycles, then one measured cycle.
 * BENCH_MODE=backlog: the checkpoint is set BENCH_OUTAGE_HOURS back, then cycles run until caught up.
 */
async function main() {
  const services = createServices(loadConfig());
  // RSS once the app is loaded and wired, before any run: what the runs add is measured against it.
  const baselineRssMb = process.memoryUsage().rss / 2 ** 20;
  const rssByRunMb: number[] = [];
  const log = createLogger(() => undefined);
  const tenantId = services.config.tenantId;
  if (process.env.BENCH_MODE === 'backlog') {
    const outageStart = new Date(Date.now() - Number(process.env.BENCH_OUTAGE_HOURS ?? 168) * 3_600_000);
    await services.checkpoints.save(tenantId, { scannedTo: outageStart.toISOString(), complete: true }, {}, undefined);
  }
  for (let i = 0; i < Number(process.env.BENCH_WARMUP_CYCLES ?? 0); i++) await services.cycle(log);
  const graphBefore = services.counters.graphRequests;
  const tablesBefore = services.counters.tableRequests.count;
  const started = performance.now();
  let runs = 0;
  let events = 0;
  let alerts = 0;
  let matches = 0;
  let sent = 0;
  let pollError: string | undefined;
  let gaps = 0;
  for (;;) {
    const result = await services.cycle(log);
    runs++;
    events += result.poll?.events ?? 0;
    alerts += result.poll?.alerts ?? 0;
    matches += result.poll?.matches ?? 0;
    sent += result.delivery.sent;
    pollError ??= result.pollError;
    if (result.watch?.entry.gapFrom) gaps++;
    rssByRunMb.push(process.memoryUsage().rss / 2 ** 20);
    if (process.env.BENCH_TRACE) {
      const m = process.memoryUsage();
      const mb = (v: number) => Math.round(v / 1e6);
      process.stderr.write(
        `run ${runs}: ${result.poll?.events ?? 0} events, ${JSON.stringify(result.delivery)}, heap used ${mb(m.heapUsed)} / total ${mb(m.heapTotal)} MB, external ${mb(m.external)} MB (array buffers ${mb(m.arrayBuffers)}), rss ${mb(m.rss)} MB\n`,
      );
    }
    if (process.env.BENCH_MODE !== 'backlog' || !result.poll?.budgetExhausted || runs >= 1000) break;
  }
  const wallMs = performance.now() - started;
  // With --expose-gc: what stays after a full collection, i.e. what the runs really retain.
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const retainedHeapMb = process.memoryUsage().heapUsed / 2 ** 20;
  process.stdout.write(
    `${JSON.stringify({
      graphRequests: services.counters.graphRequests - graphBefore,
      tableTransactions: services.counters.tableRequests.count - tablesBefore,
      runs,
      events,
      alerts,
      matches,
      sent,
      pollError,
      wallMs,
      peakRssMb: process.resourceUsage().maxRSS / 1024,
      baselineRssMb,
      rssByRunMb,
      retainedHeapMb,
      gaps,
    })}\n`,
  );
}

void main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
