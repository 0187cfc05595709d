import { loadConfig } from '../src/app/config';
import { createServices } from '../src/app/services';
import { createLogger } from '../src/shared/logger';

/**
 * One measured poll cycle in its own process, so peak RSS is the app's alone (Azurite and the
 * simulator run in the parent). BENCH_WARMUP_CYCLES cycles run first and are not measured.
 */
async function main() {
  const services = createServices(loadConfig());
  const log = createLogger(() => undefined);
  for (let i = 0; i < Number(process.env.BENCH_WARMUP_CYCLES ?? 0); i++) await services.cycle(log);
  const graphBefore = services.counters.graphRequests;
  const tablesBefore = services.counters.tableRequests.count;
  const started = performance.now();
  const result = await services.cycle(log);
  const wallMs = performance.now() - started;
  process.stdout.write(`${JSON.stringify({
    graphRequests: services.counters.graphRequests - graphBefore,
    tableTransactions: services.counters.tableRequests.count - tablesBefore,
    events: result.poll?.events ?? 0,
    alerts: result.poll?.alerts ?? 0,
    sent: result.delivery.sent,
    pollError: result.pollError,
    wallMs,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
  })}\n`);
}

void main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
