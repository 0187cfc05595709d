import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { performance } from 'node:perf_hooks';
import { loadConfig } from '../src/config/config';
import { createServices } from '../src/composition/services';
import { startAzuriteQueues } from '../src/local/azuriteQueues';
import { startAzuriteTables } from '../src/local/azuriteTables';
import { TenantGraph } from '../src/local/tenantGraph';
import { createLogger } from '../src/shared/logger';

/*
 * Many tenants (BENCH_ONLY=tenants): N registered tenants behind one Graph stand-in with a fixed latency per
 * request, polled through the real queue path (the timer's dispatch, then worker processes that receive and run
 * the messages as the Functions host does: bench/tenantWorker.ts). Azurite (Tables + Queues, in memory) and the
 * Graph stand-in run in this process; the app runs in the workers, so their memory is the app's own.
 * Each configuration (1, 2, 3 workers) gets a fresh Azurite: a first round (every tenant's first poll creates its
 * state), then the steady round one minute later on the workers' clock (the dispatcher claims each interval
 * once), in which every tenant is idle (nothing new in Graph).
 */

interface RoundReport {
  polled: number;
  stale: number;
  setAside: number;
  pollErrors: number;
  failures: number;
  receives: number;
  deletes: number;
  deleteFailures: number;
  errors: string[];
  durationsMs: number[];
  wallMs: number;
  graphRequests: number;
  tableTransactions: number;
  byTable: Record<string, number>;
  byOperation: Record<string, number>;
  appQueueRequests: number;
  hostQueueRequests: number;
}

/** One round over every worker: what the app counted, what Graph and the receiver saw, the wall time. */
export interface Round {
  workers: RoundReport[];
  /** From the command to the workers to the last one finding the queue empty (this process's clock). */
  wallMs: number;
  polled: number;
  enqueued: number;
  /** Requests the Graph stand-in answered during the round. */
  graphRequests: number;
  tableTransactions: number;
  /** The timer's share: Table transactions and queue requests of the dispatch (claim the slot, list tenants, sends). */
  dispatchTableTransactions: number;
  dispatchQueueRequests: number;
  queueRequests: number;
  byTable: Record<string, number>;
  byOperation: Record<string, number>;
  webhookPosts: number;
  /** Event-loop utilisation of this process (Azurite + Graph stand-in) during the round. */
  benchProcessBusy: number;
  /** Polls that ended in a poll error, a stale or set-aside message, or an exception. */
  failed: number;
  /** Messages no worker took before their time-to-live (0.9 × the interval) ran out. */
  expired: number;
  /** Polls done after their message had expired (the delete got 404). */
  deleteFailures: number;
  errors: string[];
  /** How long each poll (runMessage) took, every worker. */
  durationsMs: number[];
}

interface Phase {
  first: Round;
  /** Rounds after the first until one polls every tenant (the first round's expired messages are first polls). */
  catchUp: Round[];
  /** The next round: every tenant has its state and nothing new in Graph. */
  steady: Round;
}

export interface TenantFigures {
  tenants: number;
  byWorkers: Map<number, Phase>;
  /** One worker, after the steady round and a full GC, minus its baseline, per registered tenant (KB). */
  rssKbPerTenant: number;
  heapKbPerTenant: number;
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const percentile = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.max(0, Math.ceil((p / 100) * xs.length) - 1))] ?? NaN;
function merge(maps: Record<string, number>[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of maps) for (const [k, v] of Object.entries(m)) out[k] = (out[k] ?? 0) + v;
  return out;
}

/** A few audit events a tenant had 30-50 minutes ago that match no rule: read by its first poll, outside later windows. */
function fewEvents(tenant: number, count: number) {
  const now = Date.now();
  return Array.from({ length: count }, (_, i) => ({
    id: `${String(tenant).padStart(8, '0')}-${String(i).padStart(4, '0')}-4000-8000-000000000000`,
    activityDateTime: new Date(now - (50 - i * 5) * 60_000).toISOString(),
    activityType: i % 2 ? 'Patch DeviceConfiguration' : 'Create DeviceEnrollmentConfiguration',
    activityOperationType: 'Action',
    activityResult: 'Success',
    actor: { auditActorType: 'ItPro', userPrincipalName: `admin@tenant${tenant}.example` },
    resources: [{ displayName: 'Corp Wi-Fi', auditResourceType: 'DeviceConfiguration', resourceId: `dc-${i}` }],
  }));
}

/** A worker process and its `BENCH <json>` lines, one awaited at a time. */
class Worker {
  private readonly waiting: ((value: unknown) => void)[] = [];
  private readonly queued: unknown[] = [];
  private stderr = '';
  readonly exited: Promise<number | null>;

  constructor(private readonly child: ChildProcessWithoutNullStreams) {
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (!line.startsWith('BENCH ')) return;
      const value: unknown = JSON.parse(line.slice(6));
      const next = this.waiting.shift();
      if (next) next(value);
      else this.queued.push(value);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-4000);
      if (process.env.BENCH_TRACE) process.stderr.write(chunk);
    });
    this.exited = new Promise((resolve) => child.on('exit', resolve));
    child.stdin.on('error', () => undefined); // a worker that died: next() reports it with its stderr
  }

  static start(env: Record<string, string>): Worker {
    return new Worker(
      spawn(process.execPath, ['--expose-gc', path.join(__dirname, 'tenantWorker.js')], { env, stdio: 'pipe' }),
    );
  }

  send(command: unknown): void {
    this.child.stdin.write(`${JSON.stringify(command)}\n`);
  }

  /** The next reply; rejects when the worker exits first (its stderr's tail in the message). */
  next<T>(): Promise<T> {
    const queued = this.queued.shift();
    if (queued !== undefined) return Promise.resolve(queued as T);
    return Promise.race([
      new Promise<T>((resolve) => this.waiting.push(resolve as (value: unknown) => void)),
      this.exited.then((code) => {
        throw new Error(
          `tenant bench worker exited (${code}): ${this.stderr.trim().split('\n').slice(-5).join(' | ')}`,
        );
      }),
    ]);
  }

  async stop(): Promise<void> {
    this.send({ cmd: 'exit' });
    this.child.stdin.end();
    const timer = setTimeout(() => this.child.kill(), 10_000);
    await this.exited;
    clearTimeout(timer);
  }
}

/** Runs the many-tenant bench: 1, 2 and 3 worker processes (`workerCounts`), each against a fresh Azurite. */
export async function measureTenants(options: {
  tenants: number;
  latencyInMs: number;
  workerCounts?: readonly number[];
}): Promise<TenantFigures> {
  const homeTenantId = randomUUID();
  const ids = Array.from({ length: options.tenants }, () => randomUUID());
  // Every tenth tenant has a few (unalerted) events for its first poll; every other one has none.
  const graph = await TenantGraph.start(
    [{ id: homeTenantId }, ...ids.map((id, i) => ({ id, events: i % 10 === 0 ? fewEvents(i, 3) : [] }))],
    { latencyInMs: options.latencyInMs },
  );
  let posts = 0;
  const teams = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      posts++;
      res.writeHead(202).end();
    });
  });
  await new Promise<void>((r) => teams.listen(0, '127.0.0.1', r));
  const graphTotal = () => sum([...graph.requestsByTenant().values()]);
  const byWorkers = new Map<number, Phase>();
  let memory: { rssMb: number; heapMb: number; baseline: { rssMb: number; heapMb: number } } | undefined;
  try {
    for (const count of options.workerCounts ?? [1, 2, 3]) {
      const tables = await startAzuriteTables();
      const queues = await startAzuriteQueues();
      const workers: Worker[] = [];
      try {
        // The workers' environment is the bench's own (not the caller's shell), so no setting of the user's changes a figure.
        const env: Record<string, string> = {
          PATH: process.env.PATH ?? '',
          AzureWebJobsStorage: `${tables.connectionString}QueueEndpoint=${queues.url}/devstoreaccount1;`,
          GRAPH_BASE_URL: graph.baseUrl,
          AZURE_TENANT_ID: homeTenantId,
          TEAMS_WEBHOOK_URL: `http://127.0.0.1:${(teams.address() as AddressInfo).port}/workflows/0123456789abcdef0123456789abcdef/triggers/manual/paths/invoke?sig=bench`,
          ALLOW_LOOPBACK_WEBHOOKS: 'true',
          HEARTBEAT_SCHEDULE: '',
          LOCAL_QUEUE_PREFIX: `bench${randomUUID().replace(/-/g, '').slice(0, 10)}`,
        };
        let offsetMs = 0;
        const timer = createServices(loadConfig(env), { clock: () => new Date(Date.now() + offsetMs) });
        const log = createLogger(() => undefined);
        const addedAt = new Date().toISOString();
        for (let i = 0; i < ids.length; i += 32)
          await Promise.all(
            ids.slice(i, i + 32).map((id, j) =>
              timer.tenants.store.put({
                id,
                displayName: `Tenant ${String(i + j).padStart(5, '0')}`,
                enabled: true,
                authState: 'unknown',
                addedAt,
              }),
            ),
          );
        for (let i = 0; i < count; i++)
          workers.push(Worker.start({ ...env, ...(count === 1 ? { BENCH_WARM_HOME: '1' } : {}) }));
        await Promise.all(workers.map((w) => w.next()));

        const round = async (minute: number): Promise<Round> => {
          offsetMs = minute * 60_000;
          const tablesBefore = timer.counters.tableRequests.count;
          const queueBefore = timer.counters.queueRequests;
          const dispatched = await timer.tenants.dispatch(log);
          if (!dispatched.claimed || dispatched.failed)
            throw new Error(`dispatch of minute ${minute}: ${JSON.stringify(dispatched)}`);
          const dispatchTableTransactions = timer.counters.tableRequests.count - tablesBefore;
          const dispatchQueueRequests = timer.counters.queueRequests - queueBefore;
          const graphBefore = graphTotal();
          const postsBefore = posts;
          const elu = performance.eventLoopUtilization();
          const started = performance.now();
          for (const w of workers) w.send({ cmd: 'round', offsetMs });
          const reports = (await Promise.all(workers.map((w) => w.next<{ round: RoundReport }>()))).map((r) => r.round);
          const wallMs = performance.now() - started;
          const failed = sum(reports.map((r) => r.failures + r.pollErrors + r.setAside + r.stale));
          const handled = sum(reports.map((r) => r.polled + r.stale + r.setAside + r.failures));
          return {
            workers: reports,
            wallMs,
            polled: sum(reports.map((r) => r.polled)),
            enqueued: dispatched.enqueued,
            graphRequests: graphTotal() - graphBefore,
            tableTransactions: sum(reports.map((r) => r.tableTransactions)),
            dispatchTableTransactions,
            dispatchQueueRequests,
            queueRequests: dispatchQueueRequests + sum(reports.map((r) => r.appQueueRequests + r.hostQueueRequests)),
            byTable: merge(reports.map((r) => r.byTable)),
            byOperation: merge(reports.map((r) => r.byOperation)),
            webhookPosts: posts - postsBefore,
            benchProcessBusy: performance.eventLoopUtilization(elu).utilization,
            failed,
            expired: dispatched.enqueued - handled,
            deleteFailures: sum(reports.map((r) => r.deleteFailures)),
            errors: [...new Set(reports.flatMap((r) => r.errors))],
            durationsMs: reports.flatMap((r) => r.durationsMs),
          };
        };
        const first = await round(0);
        const catchUp: Round[] = [];
        let minute = 1;
        for (let last = first; last.polled < last.enqueued && catchUp.length < 3; minute++)
          catchUp.push((last = await round(minute)));
        byWorkers.set(count, { first, catchUp, steady: await round(minute) });
        if (count === 1) {
          workers[0].send({ cmd: 'memory' });
          memory = (await workers[0].next<{ memory: NonNullable<typeof memory> }>()).memory;
        }
      } finally {
        await Promise.all(workers.map((w) => w.stop()));
        await queues.close();
        await tables.close();
      }
    }
  } finally {
    await new Promise<void>((r) => teams.close(() => r()));
    await graph.close();
  }
  return {
    tenants: options.tenants,
    byWorkers,
    rssKbPerTenant: memory ? ((memory.rssMb - memory.baseline.rssMb) * 1024) / options.tenants : NaN,
    heapKbPerTenant: memory ? ((memory.heapMb - memory.baseline.heapMb) * 1024) / options.tenants : NaN,
  };
}

type Target = { text: string; ok: (v: number) => boolean };

/**
 * The rows `npm run bench` prints for many tenants (BENCH_ONLY=tenants; sizes BENCH_TENANTS, BENCH_TENANT_LATENCY_MS;
 * BENCH_TENANT_REPEATS, default 1: one repeat is 1, 2 and 3 workers over every tenant, minutes at the default size).
 */
export async function tenantRows<R>(h: {
  row: (name: string, xs: number[], unit: string, target?: Target) => R;
  setting: (name: string, fallback: number) => number;
  note: (text: string) => void;
}): Promise<R[]> {
  const tenants = h.setting('BENCH_TENANTS', 1000);
  const latencyInMs = h.setting('BENCH_TENANT_LATENCY_MS', 150);
  const runs: TenantFigures[] = [];
  for (let i = h.setting('BENCH_TENANT_REPEATS', 1); i > 0; i--)
    runs.push(await measureTenants({ tenants, latencyInMs }));
  const t = `${tenants.toLocaleString('en-US')} tenants, Graph ${latencyInMs} ms`;
  const phases = runs.flatMap((r) => [...r.byWorkers.values()]);
  const all = phases.flatMap((p) => [p.first, ...p.catchUp, p.steady]);
  const get = (workers: number, f: (x: Phase) => number) => runs.map((r) => f(r.byWorkers.get(workers)!));
  const perMinute = (x: Round) => (x.polled / x.wallMs) * 60_000;
  const steady1 = (f: (x: Round) => number) => get(1, (x) => f(x.steady));
  const perPoll = (f: (x: Round) => number) => steady1((x) => f(x) / x.polled);
  const ratio = (workers: number) =>
    runs.map((r) => perMinute(r.byWorkers.get(workers)!.steady) / perMinute(r.byWorkers.get(1)!.steady));
  const rows = [
    h.row(
      `${t}: first round (each tenant's first poll), tenants polled per minute, 1 process`,
      get(1, (x) => perMinute(x.first)),
      'tenants/min',
    ),
    h.row(
      `${t}: first round, 1 process: messages expired before a worker took them (time-to-live 0.9 × interval)`,
      get(1, (x) => x.first.expired),
      'messages',
    ),
    h.row(
      `${t}: Table transactions per first tenant-poll (creates its state)`,
      get(1, (x) => x.first.tableTransactions / x.first.polled),
      'transactions',
    ),
    h.row(
      `${t}: idle round, tenants polled (home + registered; 1, 2 and 3 workers)`,
      phases.map((p) => p.steady.polled),
      'polls',
      { text: `= ${(tenants + 1).toLocaleString('en-US')}`, ok: (v) => v === tenants + 1 },
    ),
    h.row(
      `${t}: polls failed (poll error, exception, stale or set-aside message), every round`,
      runs.map((r) =>
        sum([...r.byWorkers.values()].flatMap((p) => [p.first, ...p.catchUp, p.steady].map((x) => x.failed))),
      ),
      'polls',
      { text: '0', ok: (v) => v === 0 },
    ),
    h.row(`${t}: idle round, tenants polled per minute, 1 process`, steady1(perMinute), 'tenants/min', {
      text: '≥ 1,000',
      ok: (v) => v >= 1000,
    }),
    h.row(
      `${t}: idle tenant-poll duration (one runMessage, up to 24 at once), 1 process, p50`,
      steady1((x) => percentile(x.durationsMs, 50)),
      'ms',
    ),
    h.row(
      `${t}: idle tenant-poll duration, 1 process, p95`,
      steady1((x) => percentile(x.durationsMs, 95)),
      'ms',
    ),
    h.row(
      `${t}: instance time per idle tenant-poll (the round's wall time / polls), 1 process`,
      steady1((x) => x.wallMs / x.polled),
      'ms',
    ),
    h.row(`${t}: idle round, 2 worker processes / 1 (one Azurite)`, ratio(2), '×'),
    h.row(`${t}: idle round, 3 worker processes / 1 (one Azurite)`, ratio(3), '×'),
    h.row(
      `${t}: idle round, 1 worker: the bench process (Azurite + Graph stand-in) busy`,
      steady1((x) => x.benchProcessBusy * 100),
      '%',
    ),
    h.row(
      `${t}: idle round, 3 workers: the bench process (Azurite + Graph stand-in) busy`,
      get(3, (x) => x.steady.benchProcessBusy * 100),
      '%',
    ),
    h.row(
      `${t}: Graph requests per idle tenant-poll`,
      perPoll((x) => x.graphRequests),
      'requests',
      {
        text: '≤ 1',
        ok: (v) => v <= 1,
      },
    ),
    h.row(
      `${t}: Table transactions per idle tenant-poll`,
      perPoll((x) => x.tableTransactions),
      'transactions',
      {
        text: '≤ 3',
        ok: (v) => v <= 3,
      },
    ),
    h.row(
      `${t}: queue messages per idle tenant-poll`,
      perPoll((x) => x.enqueued),
      'messages',
      {
        text: '≤ 2',
        ok: (v) => v <= 2,
      },
    ),
    h.row(
      `${t}: queue requests per idle tenant-poll (send + share of batch receives + delete)`,
      perPoll((x) => x.queueRequests),
      'requests',
    ),
    h.row(
      `${t}: the timer's dispatch (claim the interval, list the tenants, then ${(tenants + 1).toLocaleString('en-US')} sends), Table transactions`,
      steady1((x) => x.dispatchTableTransactions),
      'transactions',
    ),
    h.row(
      `${t}: webhook POSTs in the idle round`,
      steady1((x) => x.webhookPosts),
      'posts',
      {
        text: '0',
        ok: (v) => v === 0,
      },
    ),
    h.row(
      `${t}: memory per tenant, RSS after the idle round and a full GC minus start-up, 1 process`,
      runs.map((r) => r.rssKbPerTenant),
      'KB',
    ),
    h.row(
      `${t}: memory per tenant, heap after the idle round and a full GC minus start-up, 1 process`,
      runs.map((r) => r.heapKbPerTenant),
      'KB',
    ),
  ];
  // Where an idle poll's Table transactions go (the last repeat, 1 worker): by table and by operation, per poll.
  const last = runs.at(-1)!.byWorkers.get(1)!;
  const steady = last.steady;
  const per = (m: Record<string, number>) =>
    Object.entries(m)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k} ${Math.round((v / steady.polled) * 100) / 100}`)
      .join('; ');
  const perIdle = steady.tableTransactions / steady.polled;
  h.note(
    `${t} (${runs.length} run(s), BENCH_TENANT_REPEATS): Table transactions per idle tenant-poll ${Math.round(perIdle * 100) / 100}${perIdle > 3 ? ' (over the target of 3)' : ''}, by table: ${per(steady.byTable)}.`,
  );
  h.note(`The same by operation: ${per(steady.byOperation)}.`);
  for (const [workers, p] of runs.at(-1)!.byWorkers)
    h.note(
      `${workers} worker(s): ${[p.first, ...p.catchUp, p.steady].map((x, i) => `${i === 0 ? 'first' : i <= p.catchUp.length ? 'catch-up' : 'idle'} round ${x.polled} polled in ${Math.round(x.wallMs / 100) / 10} s (${x.expired} expired, ${x.deleteFailures} polled after expiry, ${x.failed} failed)`).join('; ')}.`,
    );
  const errors = [...new Set(all.flatMap((x) => x.errors))];
  if (errors.length) h.note(`Failures seen: ${errors.slice(0, 5).join(' | ')}`);
  return rows;
}
