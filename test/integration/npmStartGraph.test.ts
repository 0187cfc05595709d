import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type GraphStandIn, standInEvents, startGraphStandIn } from '../helpers/graphStandIn';

/*
 * `npm start` (the compiled local host) against Graph as the field reports it. Compiled into its own folder
 * so it never races the build of another test.
 */
const root = path.join(__dirname, '../..');
const outDir = path.join(root, 'test-artifacts', 'npm-start-graph');
const adminKey = 'graph-test-admin-key';

interface Started {
  child: ChildProcess;
  output: () => string;
  url: string;
}

async function startApp(env: Record<string, string>): Promise<Started> {
  let output = '';
  const child = spawn(process.execPath, [path.join(outDir, 'src/local/start.js')], {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      PORT: '0',
      RUN_ON_START: 'true',
      SIMULATOR_DRIP_SECONDS: '0',
      LOCAL_ADMIN_KEY: adminKey,
      AzureWebJobsStorage: inject('tablesConnectionString'),
      AZURE_TENANT_ID: `g${Date.now().toString(36)}`,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const started = Date.now();
  while (!/Press Ctrl\+C to stop\./.test(output) && child.exitCode === null && Date.now() - started < 20_000)
    await new Promise((r) => setTimeout(r, 100));
  const url = /local functions host at (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
  if (!url) throw new Error(`npm start did not come up:\n${output}`);
  return { child, output: () => output, url };
}

/** Waits until the alerts in the outbox name every id in `wanted`; returns the ids seen. */
async function alertedEventIds(app: Started, wanted: string[], timeoutInMs = 40_000): Promise<string[]> {
  const started = Date.now();
  let seen: string[] = [];
  while (Date.now() - started < timeoutInMs) {
    const res = await fetch(`${app.url}/api/alerts?limit=500`, { headers: { 'x-functions-key': adminKey } });
    const body = (await res.json()) as { value?: { events: { id: string }[] }[] };
    seen = [...new Set((body.value ?? []).flatMap((a) => a.events.map((e) => e.id)))].sort();
    if (wanted.every((id) => seen.includes(id))) return seen;
    await new Promise((r) => setTimeout(r, 300));
  }
  return seen;
}

beforeAll(() => {
  mkdirSync(outDir, { recursive: true });
  execFileSync(
    process.execPath,
    [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json', '--outDir', outDir],
    { cwd: root, stdio: 'pipe' },
  );
}, 120_000);

describe('npm start pointed with GRAPH_BASE_URL at an independent Graph stand-in (asc refused, 429 first, capped and repeating pages)', () => {
  let standIn: GraphStandIn;
  let app: Started;
  const { events, highRiskIds } = standInEvents(new Date());
  beforeAll(async () => {
    standIn = await startGraphStandIn({ events });
    app = await startApp({ GRAPH_BASE_URL: standIn.url, GRAPH_RETRY_DELAY_SECONDS: '1' });
  }, 40_000);
  afterAll(async () => {
    if (app?.child.exitCode === null) app.child.kill('SIGKILL');
    await standIn?.close();
  });

  it('alerts every high-risk event', async () => {
    const seen = await alertedEventIds(app, highRiskIds);
    expect(
      highRiskIds.filter((id) => !seen.includes(id)),
      app.output(),
    ).toEqual([]);
    expect(seen.filter((id) => id.startsWith('n-'))).toEqual([]); // reads, unrelated and activityType-less events never alert
    expect(standIn.requests[0].status).toBe(429);
    expect(standIn.requests.some((r) => /\basc\b/i.test(r.path))).toBe(false);
  });
});

describe('npm start with SIMULATOR_EVENTS_FILE: a real export replayed through the whole pipeline', () => {
  let app: Started;
  const exportedAt = new Date('2024-08-09T18:45:00Z');
  const { events, highRiskIds } = standInEvents(exportedAt);
  const file = path.join(outDir, 'export.json');
  beforeAll(async () => {
    writeFileSync(
      file,
      JSON.stringify({
        '@odata.context': 'https://graph.microsoft.com/beta/$metadata#deviceManagement/auditEvents',
        value: events,
      }),
    );
    app = await startApp({ SIMULATOR_EVENTS_FILE: file });
  }, 40_000);
  afterAll(() => {
    if (app?.child.exitCode === null) app.child.kill('SIGKILL');
  });

  it('serves the export shifted so its last event is a minute old, and alerts its high-risk events', async () => {
    expect(app.output()).toMatch(
      new RegExp(
        `SIMULATED Microsoft Graph at http://127\\.0\\.0\\.1:\\d+: 11 events from ${file.replace(/[.\\/]/g, '\\$&')} \\(SIMULATOR_EVENTS_FILE\\), shifted \\+\\d+ d \\d+ h \\d+ min so the last is a minute old; no live events`,
      ),
    );
    const seen = await alertedEventIds(app, highRiskIds);
    expect(
      highRiskIds.filter((id) => !seen.includes(id)),
      app.output(),
    ).toEqual([]);
  });
});
