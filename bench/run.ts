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
import { measureColdImport } from './coldImport';

const run = promisify(execFile);
const repeats = Number(process.env.BENCH_REPEATS ?? 3);

interface ChildResult { graphRequests: number; tableTransactions: number; events: number; alerts: number; sent: number; wallMs: number; peakRssMb: number; pollError?: string }
interface Row { name: string; value: number; unit: string; min: number; max: number; target?: string; met?: boolean }

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
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, posts: () => posts, close: () => new Promise((r) => server.close(() => r())) };
}

function event(i: number, at: number, type: string) {
  return {
    id: `${String(i).padStart(8, '0')}-0000-4000-8000-000000000000`,
    activityDateTime: new Date(at).toISOString().replace('Z', '1234Z'),
    activityType: type,
    activityOperationType: 'Action',
    activityResult: 'Success',
    actor: { auditActorType: 'ItPro', userPrincipalName: 'pkiadmin@contoso.com', applicationId: '11111111-2222-3333-4444-555555555555' },
    resources: [{ displayName: `Contoso Issuing CA ${i % 7}`, auditResourceType: 'CloudCertificationAuthority', resourceId: `ca-${i % 7}`, modifiedProperties: [] }],
  };
}

async function measure(scenario: 'idle' | 'window10k'): Promise<{ child: ChildResult; posts: number }> {
  const azurite = await startAzuriteTables();
  const sim = await GraphSimulator.start({ maxPageSize: 1000 });
  const teams = await startCounter();
  try {
    const now = Date.now();
    if (scenario === 'window10k') {
      const types = ['RevokeLeafCertAsync CloudCertificationAuthorityLeafCertificate', 'Create DeviceEnrollmentConfiguration', 'Patch DeviceConfiguration', 'Delete CloudCertificationAuthority'];
      sim.addEvents(Array.from({ length: 10_000 }, (_, i) => event(i, now - 50 * 60_000 + i * 250, types[i % 97 === 0 ? 3 : i % 3 === 0 ? 0 : i % 3])));
    }
    const env = {
      ...process.env,
      AzureWebJobsStorage: azurite.connectionString,
      GRAPH_BASE_URL: sim.baseUrl,
      AZURE_TENANT_ID: `bench${randomUUID().slice(0, 8)}`,
      TEAMS_WEBHOOK_URL: `${teams.url}/workflows/0123456789abcdef0123456789abcdef/triggers/manual/paths/invoke?sig=bench`,
      ALLOW_LOOPBACK_WEBHOOKS: 'true',
      GRAPH_PAGE_SIZE: '100',
      GRAPH_MAX_PAGES_PER_RUN: '200',
      BENCH_WARMUP_CYCLES: scenario === 'idle' ? '1' : '0',
    };
    const { stdout } = await run(process.execPath, [path.join(__dirname, 'pollChild.js')], { env, maxBuffer: 1 << 20 });
    return { child: JSON.parse(stdout.trim().split('\n').pop()!), posts: teams.posts() };
  } finally {
    await teams.close();
    await sim.close();
    await azurite.close();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function row(name: string, xs: number[], unit: string, target?: { text: string; ok: (v: number) => boolean }): Row {
  const value = median(xs);
  return { name, value: Math.round(value * 10) / 10, unit, min: Math.round(Math.min(...xs) * 10) / 10, max: Math.round(Math.max(...xs) * 10) / 10, target: target?.text, met: target ? xs.every(target.ok) : undefined };
}

async function main() {
  const rows: Row[] = [];
  for (const scenario of ['idle', 'window10k'] as const) {
    const results: { child: ChildResult; posts: number }[] = [];
    for (let i = 0; i < repeats; i++) results.push(await measure(scenario));
    for (const r of results) if (r.child.pollError) throw new Error(`${scenario}: poll failed: ${r.child.pollError}`);
    const pick = (f: (r: (typeof results)[number]) => number) => results.map(f);
    const label = scenario === 'idle' ? 'Idle poll' : '10,000-event window';
    if (scenario === 'idle') {
      rows.push(row(`${label}: Graph requests`, pick((r) => r.child.graphRequests), 'requests', { text: '≤ 1', ok: (v) => v <= 1 }));
      rows.push(row(`${label}: Table transactions`, pick((r) => r.child.tableTransactions), 'transactions', { text: '≤ 3', ok: (v) => v <= 3 }));
    } else {
      rows.push(row(`${label}: events read`, pick((r) => r.child.events), 'events', { text: '= 10,000', ok: (v) => v === 10_000 }));
      rows.push(row(`${label}: Graph requests`, pick((r) => r.child.graphRequests), 'requests', { text: '= ⌈10,000 / 100⌉ = 100', ok: (v) => v === 100 }));
      rows.push(row(`${label}: Table transactions`, pick((r) => r.child.tableTransactions), 'transactions', { text: 'batched (≤ 100 entities each)', ok: () => true }));
      rows.push(row(`${label}: alerts`, pick((r) => r.child.alerts), 'alerts', { text: 'one per rule', ok: (v) => v === 2 }));
    }
    rows.push(row(`${label}: webhook POSTs`, pick((r) => r.posts), 'posts'));
    rows.push(row(`${label}: wall time`, pick((r) => r.child.wallMs), 'ms'));
    rows.push(row(`${label}: peak RSS`, pick((r) => r.child.peakRssMb), 'MB', { text: '< 200 MB', ok: (v) => v < 200 }));
  }
  const cold = measureColdImport(path.join(__dirname, '..', '..'));
  rows.push(row('Cold import: esbuild bundle', cold.bundled, 'ms'));
  rows.push(row('Cold import: unbundled tsc output', cold.unbundled, 'ms'));
  const ratios = cold.unbundled.map((u, i) => u / cold.bundled[i]);
  rows.push(row('Cold import: unbundled / bundle', ratios, '×', { text: 'bundle faster (> 1×)', ok: (v) => v > 1 }));
  const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
  const lines = [
    `| Figure | Median | Min | Max | Target | Met |`,
    `|---|---:|---:|---:|---|---|`,
    ...rows.map((r) => `| ${r.name} | ${r.value} ${r.unit} | ${r.min} | ${r.max} | ${r.target ?? ''} | ${r.met === undefined ? '' : r.met ? 'yes' : 'NO'} |`),
  ];
  const md = `# Benchmark results\n\n${new Date().toISOString()} · ${machine} · ${repeats} runs each\n\n${lines.join('\n')}\n`;
  process.stdout.write(`${md}\n`);
  const out = path.join(process.cwd(), 'bench-results');
  mkdirSync(out, { recursive: true });
  writeFileSync(path.join(out, 'bench.json'), `${JSON.stringify({ at: new Date().toISOString(), machine, repeats, rows }, null, 2)}\n`);
  writeFileSync(path.join(out, 'bench.md'), md);
  if (rows.some((r) => r.met === false)) process.exitCode = 1;
}

void main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
