import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startAzuriteTables } from '../src/local/azuriteTables';
import { GraphSimulator } from '../src/local/graphSimulator';
import { servedPageSize } from '../src/local/graphServerModes';
import { measureColdImport } from './coldImport';
import { measureDelivery } from './delivery';
import { measureDetectionLatency } from './latency';
import { onCallRows } from './onCall';
import { measureRuleEvaluation } from './ruleEval';
import { tenantRows } from './tenants';

const run = promisify(execFile);

/** A positive whole number from the environment (sizes and repeats), or its default; anything else stops the bench. */
function setting(name: string, fallback: number): number {
  const text = process.env[name]?.trim();
  if (!text) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a whole number ≥ 1, got "${text}"`);
  return value;
}

const repeats = setting('BENCH_REPEATS', 3);
const only = process.env.BENCH_ONLY?.split(',');
const wanted = (name: string) => !only || only.includes(name);
// Sizes: the defaults are the figures docs/performance.md reports; CI's smoke run passes smaller ones.
const windowEvents = setting('BENCH_WINDOW_EVENTS', 10_000);
const backlogEvents = setting('BENCH_BACKLOG_EVENTS', 140_000);
const pageSize = 100;
const backlogPagesPerRun = 100;
/** Missed targets are reported (NO in the table); with BENCH_STRICT=1 they also make the exit code 1. */
const strict = /^(1|true)$/i.test(process.env.BENCH_STRICT ?? '');
const n = (v: number) => v.toLocaleString('en-US');

interface ChildResult {
  graphRequests: number;
  tableTransactions: number;
  runs: number;
  events: number;
  alerts: number;
  matches: number;
  sent: number;
  wallMs: number;
  peakRssMb: number;
  baselineRssMb: number;
  rssByRunMb: number[];
  retainedHeapMb: number;
  gaps: number;
  pollError?: string;
}
interface Row {
  name: string;
  value: number;
  unit: string;
  min: number;
  max: number;
  target?: string;
  met?: boolean;
}

/** A loopback receiver that accepts every POST (202) and counts them: stands in for Teams. */
async function startCounter(): Promise<{ url: string; posts: () => number; close: () => Promise<void> }> {
  let posts = 0;
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      posts++;
      res.writeHead(202).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    posts: () => posts,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

const types = [
  'RevokeLeafCertAsync CloudCertificationAuthorityLeafCertificate',
  'Create DeviceEnrollmentConfiguration',
  'Patch DeviceConfiguration',
  'Delete CloudCertificationAuthority',
];

/**
 * `count` Graph-shaped events spread evenly over `spanInMs` ending a minute ago. `burst`: a third leaf
 * revocations and 1 % CA deletions (a worst case); `week`: a realistic tenant, 2 % Cloud PKI actions.
 */
function events(count: number, spanInMs: number, mix: 'burst' | 'week' | 'three-rules' = 'burst') {
  const end = Date.now() - 60_000;
  return Array.from({ length: count }, (_, i) => ({
    id: `${String(i).padStart(8, '0')}-0000-4000-8000-000000000000`,
    activityDateTime: new Date(end - spanInMs + Math.floor((i * spanInMs) / count)).toISOString().replace('Z', '1234Z'),
    activityType:
      mix === 'three-rules'
        ? types[0]
        : mix === 'burst'
          ? types[i % 97 === 0 ? 3 : i % 3 === 0 ? 0 : i % 3]
          : types[i % 50 === 0 ? (i % 500 === 0 ? 3 : 0) : 1 + (i % 2)],
    activityOperationType: 'Action',
    // three-rules: failed leaf revocations match the per-event rule, "Cloud PKI action failed" and mass revocation.
    activityResult: mix === 'three-rules' ? 'Failure' : 'Success',
    actor: {
      auditActorType: 'ItPro',
      userPrincipalName: 'pkiadmin@contoso.com',
      applicationId: '11111111-2222-3333-4444-555555555555',
    },
    resources: [
      {
        displayName: `Contoso Issuing CA ${i % 7}`,
        auditResourceType: 'CloudCertificationAuthority',
        resourceId: `ca-${i % 7}`,
        modifiedProperties: [],
      },
    ],
  }));
}

/** Runs bench/pollChild.js against fresh Azurite + simulator + receiver. */
async function measure(mode: {
  seed: unknown[];
  env: Record<string, string>;
}): Promise<{ child: ChildResult; posts: number }> {
  const azurite = await startAzuriteTables();
  const sim = await GraphSimulator.start({ maxPageSize: 1000 });
  const teams = await startCounter();
  try {
    sim.addEvents(mode.seed);
    // The child's environment is the bench's own (not the caller's shell), so no setting of the user's changes a figure.
    const env = {
      PATH: process.env.PATH ?? '',
      ...(process.env.BENCH_TRACE ? { BENCH_TRACE: process.env.BENCH_TRACE } : {}),
      AzureWebJobsStorage: azurite.connectionString,
      GRAPH_BASE_URL: sim.baseUrl,
      AZURE_TENANT_ID: `bench${randomUUID().slice(0, 8)}`,
      TEAMS_WEBHOOK_URL: `${teams.url}/workflows/0123456789abcdef0123456789abcdef/triggers/manual/paths/invoke?sig=bench`,
      ALLOW_LOOPBACK_WEBHOOKS: 'true',
      GRAPH_PAGE_SIZE: String(pageSize),
      ...mode.env,
    };
    const { stdout, stderr } = await run(process.execPath, ['--expose-gc', path.join(__dirname, 'pollChild.js')], {
      env,
      maxBuffer: 1 << 20,
    });
    if (process.env.BENCH_TRACE) process.stderr.write(stderr);
    const child = JSON.parse(stdout.trim().split('\n').pop()!) as ChildResult;
    if (child.pollError) throw new Error(`poll failed: ${child.pollError}`);
    return { child, posts: teams.posts() };
  } finally {
    await teams.close();
    await sim.close();
    await azurite.close();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const percentile = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)];
const round = (v: number, places: number) => (Number.isFinite(v) ? Math.round(v * 10 ** places) / 10 ** places : v);

/** A figure over the repeats; ratios keep two decimals so a value just past a target does not print as on it. */
function row(name: string, xs: number[], unit: string, target?: { text: string; ok: (v: number) => boolean }): Row {
  const places = unit === '×' ? 2 : 1;
  return {
    name,
    value: round(median(xs), places),
    unit,
    min: round(Math.min(...xs), places),
    max: round(Math.max(...xs), places),
    target: target?.text,
    met: target ? xs.every(target.ok) : undefined,
  };
}

async function repeat<T>(f: () => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < repeats; i++) out.push(await f());
  return out;
}

async function main() {
  const rows: Row[] = [];
  /** Lines printed under the table (what a figure is made of). */
  const notes: string[] = [];
  if (wanted('idle')) {
    const idle = await repeat(() => measure({ seed: [], env: { BENCH_WARMUP_CYCLES: '1' } }));
    rows.push(
      row(
        'Idle poll: Graph requests',
        idle.map((r) => r.child.graphRequests),
        'requests',
        { text: '≤ 1', ok: (v) => v <= 1 },
      ),
    );
    rows.push(
      row(
        'Idle poll: Table transactions',
        idle.map((r) => r.child.tableTransactions),
        'transactions',
        { text: '≤ 3', ok: (v) => v <= 3 },
      ),
    ); // read checkpoint + watchdog state, list due deliveries, one commit (checkpoint + ledger row + state)
    rows.push(
      row(
        'Idle poll: webhook POSTs',
        idle.map((r) => r.posts),
        'posts',
      ),
    );
    rows.push(
      row(
        'Idle poll: wall time',
        idle.map((r) => r.child.wallMs),
        'ms',
      ),
    );
  }
  const w = `${n(windowEvents)}-event window`;
  // The simulator serves pages below $top (three quarters), as nothing promises full pages: ⌈N / served⌉.
  const served = servedPageSize(pageSize, true);
  const windowPages = Math.ceil(windowEvents / served);
  let windowRuns: ChildResult[] = [];
  if (wanted('window')) {
    const r = await repeat(() =>
      measure({ seed: events(windowEvents, 50 * 60_000), env: { GRAPH_MAX_PAGES_PER_RUN: String(windowPages * 2) } }),
    );
    windowRuns = r.map((x) => x.child);
    rows.push(
      row(
        `${w}: events read`,
        r.map((x) => x.child.events),
        'events',
        { text: `= ${n(windowEvents)}`, ok: (v) => v === windowEvents },
      ),
    );
    rows.push(
      row(
        `${w}: Graph requests`,
        r.map((x) => x.child.graphRequests),
        'requests',
        {
          text: `= ⌈${n(windowEvents)} / ${served} served of $top=${pageSize}⌉ = ${windowPages}`,
          ok: (v) => v === windowPages,
        },
      ),
    );
    rows.push(
      row(
        `${w}: Table transactions`,
        r.map((x) => x.child.tableTransactions),
        'transactions',
        { text: 'writes batched (≤ 100 entities each)', ok: () => true },
      ),
    );
    rows.push(
      row(
        `${w}: alerts`,
        r.map((x) => x.child.alerts),
        'alerts',
        { text: 'one per rule: leaf revocations, CA deletions, mass-revocation threshold (3)', ok: (v) => v === 3 },
      ),
    );
    rows.push(
      row(
        `${w}: webhook POSTs`,
        r.map((x) => x.posts),
        'posts',
        { text: 'one per alert (3)', ok: (v) => v === 3 },
      ),
    );
    rows.push(
      row(
        `${w}: wall time`,
        r.map((x) => x.child.wallMs),
        'ms',
      ),
    );
    rows.push(
      row(
        `${w}: start-up RSS (before the first run)`,
        windowRuns.map((c) => c.baselineRssMb),
        'MB',
      ),
    );
    rows.push(
      row(
        `${w}: peak RSS`,
        windowRuns.map((c) => c.peakRssMb),
        'MB',
        { text: '< 200 MB', ok: (v) => v < 200 },
      ),
    );
  }
  if (wanted('window')) {
    const t = `${n(windowEvents)}-event window, each event matching 3 rules`;
    const r = await repeat(() =>
      measure({
        seed: events(windowEvents, 50 * 60_000, 'three-rules'),
        env: { GRAPH_MAX_PAGES_PER_RUN: String(windowPages * 2) },
      }),
    );
    rows.push(
      row(
        `${t}: matches`,
        r.map((x) => x.child.matches),
        'matches',
        { text: `= 3 × ${n(windowEvents)}`, ok: (v) => v === 3 * windowEvents },
      ),
    );
    rows.push(
      row(
        `${t}: Graph requests`,
        r.map((x) => x.child.graphRequests),
        'requests',
        { text: `= ${windowPages}`, ok: (v) => v === windowPages },
      ),
    );
    rows.push(
      row(
        `${t}: Table transactions`,
        r.map((x) => x.child.tableTransactions),
        'transactions',
        { text: 'do not grow with matches (one transaction per alert)', ok: (v) => v < 100 },
      ),
    );
    rows.push(
      row(
        `${t}: alerts`,
        r.map((x) => x.child.alerts),
        'alerts',
        { text: 'one per rule (3)', ok: (v) => v === 3 },
      ),
    );
    rows.push(
      row(
        `${t}: peak RSS`,
        r.map((x) => x.child.peakRssMb),
        'MB',
        { text: '< 200 MB', ok: (v) => v < 200 },
      ),
    );
  }
  if (wanted('backlog')) {
    const backlogPages = Math.ceil(backlogEvents / servedPageSize(pageSize, true));
    const expectedRuns = Math.ceil(backlogPages / backlogPagesPerRun);
    const b = (
      await repeat(() =>
        measure({
          seed: events(backlogEvents, 7 * 24 * 3_600_000, 'week'),
          env: {
            BENCH_MODE: 'backlog',
            BENCH_OUTAGE_HOURS: '168',
            GRAPH_MAX_PAGES_PER_RUN: String(backlogPagesPerRun),
          },
        }),
      )
    ).map((x) => x.child);
    rows.push(
      row(
        'Backlog (7-day outage): events worked off',
        b.map((c) => c.events),
        'events',
        { text: `≥ ${n(backlogEvents)}`, ok: (v) => v >= backlogEvents },
      ),
    );
    // + 1 run whose whole-window try does not fit (its events are alerted, the checkpoint stays) and about 3
    // that learn the density (a slice too big for a budget is cut, newest-first pages show where).
    rows.push(
      row(
        'Backlog (7-day outage): runs needed',
        b.map((c) => c.runs),
        'runs',
        {
          text: `⌈${n(backlogPages)} pages / ${backlogPagesPerRun} per run⌉ + 4 = ${expectedRuns + 4}`,
          ok: (v) => v <= expectedRuns + 4,
        },
      ),
    );
    rows.push(
      row(
        'Backlog (7-day outage): coverage gaps in the ledger',
        b.map((c) => c.gaps),
        'gaps',
        { text: '0', ok: (v) => v === 0 },
      ),
    );
    rows.push(
      row(
        'Backlog (7-day outage): throughput',
        b.map((c) => (c.events / c.wallMs) * 1000),
        'events/s',
      ),
    );
    rows.push(
      row(
        'Backlog (7-day outage): start-up RSS (before the first run)',
        b.map((c) => c.baselineRssMb),
        'MB',
      ),
    );
    rows.push(
      row(
        'Backlog (7-day outage): RSS after its first run',
        b.map((c) => c.rssByRunMb[0]),
        'MB',
      ),
    );
    rows.push(
      row(
        'Backlog (7-day outage): RSS after its last run',
        b.map((c) => c.rssByRunMb.at(-1)!),
        'MB',
      ),
    );
    rows.push(
      row(
        'Backlog (7-day outage): peak RSS',
        b.map((c) => c.peakRssMb),
        'MB',
      ),
    );
    if (windowRuns.length) {
      // Pairs each backlog repeat with the window repeat of the same index (both measured in fresh processes).
      const paired = (f: (back: ChildResult, win: ChildResult) => number) =>
        b.map((c, i) => f(c, windowRuns[Math.min(i, windowRuns.length - 1)]));
      rows.push(
        row(
          `Backlog peak RSS / ${w} peak RSS`,
          paired((c, win) => c.peakRssMb / win.peakRssMb),
          '×',
          { text: '≤ 1.2×', ok: (v) => v <= 1.2 },
        ),
      );
      rows.push(
        row(
          `Backlog peak RSS above start-up / the ${w}'s`,
          paired((c, win) => (c.peakRssMb - c.baselineRssMb) / (win.peakRssMb - win.baselineRssMb)),
          '×',
        ),
      );
      rows.push(
        row(
          `Backlog heap retained after GC / ${w}`,
          paired((c, win) => c.retainedHeapMb / win.retainedHeapMb),
          '×',
          { text: '≤ 1.2× (nothing grows with the backlog)', ok: (v) => v <= 1.2 },
        ),
      );
    }
  }
  if (wanted('latency')) {
    const intervalInMs = setting('BENCH_LATENCY_INTERVAL_MS', 2000);
    const runs = await repeat(() =>
      measureDetectionLatency({ intervalInMs, events: setting('BENCH_LATENCY_EVENTS', 12) }),
    );
    const budget = intervalInMs + 5000;
    rows.push(
      row(
        `Detection latency p50 (poll every ${intervalInMs / 1000} s)`,
        runs.map((l) => percentile(l, 50)),
        'ms',
      ),
    );
    rows.push(
      row(
        `Detection latency p95 (poll every ${intervalInMs / 1000} s)`,
        runs.map((l) => percentile(l, 95)),
        'ms',
        { text: `≤ interval + 5 s = ${budget} ms`, ok: (v) => v <= budget },
      ),
    );
    rows.push(
      row(
        'Detection latency max',
        runs.map((l) => Math.max(...l)),
        'ms',
      ),
    );
    rows.push(
      row(
        'Detection latency p95 / poll interval',
        runs.map((l) => percentile(l, 95) / intervalInMs),
        '×',
      ),
    );
  }
  if (wanted('cold')) {
    const cold = measureColdImport(path.join(__dirname, '..', '..'), setting('BENCH_COLD_RUNS', 7));
    rows.push(row('Cold import: esbuild bundle', cold.bundled, 'ms'));
    rows.push(row('Cold import: unbundled tsc output', cold.unbundled, 'ms'));
    rows.push(
      row(
        'Cold import: unbundled / bundle',
        cold.unbundled.map((u, i) => u / cold.bundled[i]),
        '×',
        { text: 'bundle faster (> 1×)', ok: (v) => v > 1 },
      ),
    );
  }
  if (wanted('delivery')) {
    const pacedGroups = setting('BENCH_PACED_GROUPS', 40);
    const d = await repeat(() => measureDelivery({ pacedGroups }));
    rows.push(
      row(
        'Delivery: 10,000-event burst over 5 runs, posts per (rule, group) while its window is open',
        d.map((r) => r.maxPostsPerGroupInWindow),
        'posts',
        { text: '≤ 1', ok: (v) => v <= 1 },
      ),
    );
    rows.push(
      row(
        'Delivery: the same burst, follow-up digests when the window ends',
        d.map((r) => r.digestPosts),
        'posts',
        { text: '1 (covering 4 alerts, 9,999 events)', ok: (v) => v === 1 },
      ),
    );
    rows.push(
      row(
        `Delivery: ${pacedGroups} groups due at once on one Teams channel, most posts in any 1 s`,
        d.map((r) => r.maxPostsInAnySecond),
        'posts',
        { text: '≤ 4 (Teams pacing)', ok: (v) => v <= 4 },
      ),
    );
    rows.push(
      row(
        'Delivery: paced throughput to one Teams channel',
        d.map((r) => r.postsPerSecond),
        'posts/s',
      ),
    );
  }
  if (wanted('oncall')) rows.push(...(await onCallRows({ repeat, row, setting })));
  if (wanted('rules')) {
    const r = await measureRuleEvaluation({ repeats, events: setting('BENCH_RULE_EVENTS', 100_000) });
    rows.push(
      row(
        `Rule evaluation: ${r.rules} rules × ${r.events.toLocaleString('en-US')} events, ours`,
        r.ours,
        'evaluations/s',
      ),
    );
    rows.push(
      row(
        `Rule evaluation: json-rules-engine on equivalent rules (${r.engineEvents.toLocaleString('en-US')} events)`,
        r.engine,
        'evaluations/s',
      ),
    );
    rows.push(row('Rule evaluation: ours / json-rules-engine', r.ratio, '×', { text: '≥ 10×', ok: (v) => v >= 10 }));
  }
  if (wanted('tenants')) rows.push(...(await tenantRows({ row, setting, note: (t) => notes.push(t) })));
  report(rows, notes);
}

/**
 * Prints the table and writes bench-results/. A bench that produced no figure, or a figure that is not a number,
 * is broken: it throws (exit code 1). A missed target is reported as NO; it sets the exit code only with
 * BENCH_STRICT=1, so a slow or busy machine never fails a run (CI's smoke run included).
 */
function report(rows: Row[], notes: string[] = []) {
  if (rows.length === 0)
    throw new Error(
      `no figure measured: BENCH_ONLY=${process.env.BENCH_ONLY ?? ''} names none of idle,window,backlog,latency,cold,delivery,rules,oncall,tenants`,
    );
  const broken = rows.filter((r) => [r.value, r.min, r.max].some(Number.isNaN));
  if (broken.length)
    throw new Error(`figures that are not numbers (the bench is broken): ${broken.map((r) => r.name).join('; ')}`);
  const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
  const lines = [
    '| Figure | Median | Min | Max | Target | Met |',
    '|---|---:|---:|---:|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.name} | ${r.value} ${r.unit} | ${r.min} | ${r.max} | ${r.target ?? ''} | ${r.met === undefined ? '' : r.met ? 'yes' : 'NO'} |`,
    ),
  ];
  const targets = rows.filter((r) => r.met !== undefined);
  const missed = targets.filter((r) => r.met === false);
  const verdict = `${targets.length - missed.length} of ${targets.length} targets met${missed.length ? ` (missed: ${missed.map((r) => r.name).join('; ')})` : ''}.`;
  const md = `# Benchmark results\n\n${new Date().toISOString()} · ${machine} · median of ${repeats} runs (min, max shown)\n\n${lines.join('\n')}\n\n${verdict}\n\n${notes.map((t) => `- ${t}\n`).join('')}${notes.length ? '\n' : ''}Reproduce: \`npm run bench\` (BENCH_REPEATS, BENCH_ONLY=idle,window,backlog,latency,cold,delivery,rules,oncall,tenants; sizes: BENCH_WINDOW_EVENTS, BENCH_BACKLOG_EVENTS, BENCH_LATENCY_EVENTS, BENCH_LATENCY_INTERVAL_MS, BENCH_COLD_RUNS, BENCH_PACED_GROUPS, BENCH_RULE_EVENTS, BENCH_ONCALL_PACED, BENCH_ONCALL_LATER, BENCH_TENANTS, BENCH_TENANT_LATENCY_MS, BENCH_TENANT_REPEATS; BENCH_STRICT=1 fails on a missed target).\n`;
  process.stdout.write(`${md}\n`);
  const out = path.join(process.cwd(), 'bench-results');
  mkdirSync(out, { recursive: true });
  writeFileSync(
    path.join(out, 'bench.json'),
    `${JSON.stringify({ at: new Date().toISOString(), machine, repeats, sizes: { windowEvents, backlogEvents }, rows, notes }, null, 2)}\n`,
  );
  writeFileSync(path.join(out, 'bench.md'), md);
  process.stdout.write(`bench-results/bench.md and bench.json written. ${verdict}\n`);
  if (strict && missed.length) process.exitCode = 1;
}

void main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
