import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

const root = path.join(__dirname, '../..');
let child: ChildProcess;
let output = '';

async function waitFor(pattern: RegExp, timeoutInMs = 20_000): Promise<RegExpExecArray> {
  const started = Date.now();
  for (;;) {
    const m = pattern.exec(output);
    if (m) return m;
    if (Date.now() - started > timeoutInMs) throw new Error(`timed out waiting for ${pattern}; output:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Polls `check` until it holds (true) or the time is up (false). */
async function waitUntil(check: () => Promise<boolean>, timeoutInMs = 30_000): Promise<boolean> {
  const started = Date.now();
  for (;;) {
    if (await check()) return true;
    if (Date.now() - started > timeoutInMs) return false;
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('npm start (the compiled local host) on embedded defaults', () => {
  beforeAll(() => {
    execFileSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], {
      cwd: root,
      stdio: 'pipe',
    });
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      PORT: '0',
      RUN_ON_START: 'true',
      SIMULATOR_DRIP_SECONDS: '0',
      LOCAL_ADMIN_KEY: 'test-admin-key',
    };
    child = spawn(process.execPath, ['dist/src/local/start.js'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
  }, 60_000);
  afterAll(() => {
    if (child?.exitCode === null) child.kill('SIGKILL');
  });

  it('serves the functions, polls the simulated tenant and delivers cards to the local inbox', async () => {
    // The banner is one console write ending with "Press Ctrl+C to stop.": wait for the whole of it.
    await waitFor(/Press Ctrl\+C to stop\./);
    const [, url] = /local functions host at (http:\/\/127\.0\.0\.1:\d+)/.exec(output) ?? [];
    expect(url, output).toBeDefined();
    expect(output).toContain('SIMULATED Microsoft Graph');
    // Embedded defaults: AzureWebJobsStorage=UseDevelopmentStorage=true, served by Azurite started in-process
    // on 127.0.0.1:10002 (or one already listening there).
    expect(output).toMatch(/storage\s+(in-process Azurite Tables on http:\/\/127\.0\.0\.1:10002|existing Azurite)/);
    expect(output).toContain(`admin page ${url}/api/ui (open it in a browser and enter the local admin key above)`);
    // Admin routes need the local key.
    expect((await fetch(`${url}/api/alerts`)).status).toBe(401);
    // The admin API's OpenAPI document is anonymous (no data) and lists the rules routes.
    const openApi = await fetch(`${url}/api/openapi.json`);
    expect(openApi.status).toBe(200);
    const documented = Object.keys(((await openApi.json()) as { paths: Record<string, unknown> }).paths);
    expect(documented).toEqual(
      expect.arrayContaining(['/rules', '/rules/{id}', '/rules/validate', '/rules/{id}/history']),
    );
    const key = { 'x-functions-key': 'test-admin-key' };
    const getJson = async <T>(p: string, statuses = [200]): Promise<T> => {
      const res = await fetch(`${url}${p}`, { headers: key });
      expect(statuses, `${p} answered ${res.status}`).toContain(res.status);
      return (await res.json()) as T;
    };
    // Wait for the state compared below: the start-up run recorded in the ledger, alerts in the outbox, and
    // no delivery still pending or in flight (cards reach the inbox while deliveries are being recorded).
    type Detail = { last24h: { polls: number }; deliveries: { byState: Record<string, number> } };
    type AlertList = { value: { id: string; deliveries: { state: string }[] }[] };
    let alerts: AlertList['value'] = [];
    const settled = await waitUntil(async () => {
      const detail = await getJson<Detail>('/api/health/detail', [200, 503]); // 503 until the first run is recorded
      alerts = (await getJson<AlertList>('/api/alerts')).value;
      const inFlight = (detail.deliveries.byState.pending ?? 0) + (detail.deliveries.byState.sending ?? 0);
      return (
        detail.last24h.polls >= 1 &&
        alerts.length >= 1 &&
        inFlight === 0 &&
        alerts.every((a) => a.deliveries.every((d) => d.state !== 'pending' && d.state !== 'sending'))
      );
    });
    expect(settled, `deliveries did not settle; alerts: ${JSON.stringify(alerts)}\noutput:\n${output}`).toBe(true);
    expect(alerts.flatMap((a) => a.deliveries.map((d) => d.state)).every((s) => s === 'sent')).toBe(true);
    const inbox = await getJson<{ value: { cards: { version: string }[] }[] }>('/api/local/inbox');
    expect(inbox.value[0].cards[0].version).toBe('1.4');
    expect(inbox.value.length).toBe(alerts.length);
    // One console line per card received (printed before the inbox answers, so it is on its way already).
    await waitFor(/\[inbox\] .* CRITICAL · Cloud PKI CA certificate revoked|\[inbox\] .* HIGH · /);
  });

  it('stops cleanly on SIGTERM', async () => {
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});

describe('npm start with ADMIN_AUTH_MODE=entra: the local stand-in for App Service Authentication in front', () => {
  let entra: ChildProcess;
  let log = '';
  beforeAll(() => {
    // The build is the first describe's; storage is the suite's Azurite, so no second in-process one on 10002.
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      PORT: '0',
      SIMULATOR_DRIP_SECONDS: '0',
      ADMIN_AUTH_MODE: 'entra',
      AzureWebJobsStorage: inject('tablesConnectionString'),
      AZURE_TENANT_ID: `t${Date.now().toString(36)}`,
    };
    entra = spawn(process.execPath, ['dist/src/local/start.js'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    entra.stdout!.on('data', (d) => (log += d));
    entra.stderr!.on('data', (d) => (log += d));
  });
  afterAll(() => {
    if (entra?.exitCode === null) entra.kill('SIGKILL');
  });

  it('says so in the banner, strips a forged principal, and signs a test user in with the role chosen', async () => {
    const started = Date.now();
    while (!/Press Ctrl\+C to stop\./.test(log) && Date.now() - started < 20_000)
      await new Promise((r) => setTimeout(r, 100));
    const [, url] = /local functions host at (http:\/\/127\.0\.0\.1:\d+)/.exec(log) ?? [];
    expect(url, log).toBeDefined();
    expect(log).toContain(
      `LOCAL STAND-IN for App Service Authentication (not security; loopback only): sign in at ${url}/.auth/login/aad`,
    );
    expect(log).toContain('sign in with the local stand-in above');
    expect(log).not.toContain('Admin API closed');
    const forged = Buffer.from(
      JSON.stringify({
        auth_typ: 'aad',
        claims: [
          { typ: 'name', val: 'mallory' },
          { typ: 'roles', val: 'PkiAlerts.Admin' },
        ],
      }),
    ).toString('base64');
    expect((await fetch(`${url}/api/rules`, { headers: { 'x-ms-client-principal': forged } })).status).toBe(401);
    const login = await fetch(`${url}/.auth/login/aad`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'user=rita%40contoso.com&role=reader&post_login_redirect_uri=%2Fapi%2Fui',
      redirect: 'manual',
    });
    expect(login.status).toBe(302);
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0];
    const me = await fetch(`${url}/api/ui/me`, { headers: { cookie } });
    expect(await me.json()).toMatchObject({ name: 'rita@contoso.com', roles: ['reader'], mode: 'entra' });
    const write = await fetch(`${url}/api/rules/x`, {
      method: 'PUT',
      headers: { cookie, 'content-type': 'application/json', 'x-requested-with': 'pki-alerts-admin' },
      body: '{}',
    });
    expect(write.status).toBe(403);
  });
});

describe('npm start with SIMULATOR_TENANTS=5: five simulated tenants polled through the queue', () => {
  let many: ChildProcess;
  let log = '';
  beforeAll(() => {
    // The build is the first describe's; storage (Tables and Queues) is the suite's Azurite, isolated by the home
    // tenant (the Tenants partition) and a queue prefix.
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      PORT: '0',
      SIMULATOR_TENANTS: '5',
      SIMULATOR_MODE: 'asc-ignored', // applies to every simulated tenant
      LOCAL_ADMIN_KEY: 'test-admin-key',
      AzureWebJobsStorage: inject('tablesConnectionString'),
      AZURE_TENANT_ID: `t${Date.now().toString(36)}`,
      LOCAL_QUEUE_PREFIX: `ns${Date.now().toString(36)}`,
    };
    many = spawn(process.execPath, ['dist/src/local/start.js'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    many.stdout!.on('data', (d) => (log += d));
    many.stderr!.on('data', (d) => (log += d));
  });
  afterAll(() => {
    if (many?.exitCode === null) many.kill('SIGKILL');
  });

  it('lists five tenants at GET /api/tenants, each polled within the last minute, and alerts of all five carry their tenant ids', async () => {
    const started = Date.now();
    for (;;) {
      if (/\[tenants\] 5 simulated tenant\(s\) registered/.test(log) && /Press Ctrl\+C to stop\./.test(log)) break;
      if (Date.now() - started > 30_000 || many.exitCode !== null)
        throw new Error(`npm start did not register tenants:\n${log}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const url = /local functions host at (http:\/\/127\.0\.0\.1:\d+)/.exec(log)![1];
    expect(log).toContain('and 5 more (SIMULATOR_TENANTS, server mode asc-ignored)');
    const headers = { 'x-functions-key': 'test-admin-key' };
    type Row = { id: string; home?: boolean; displayName: string; lastSuccessfulPollAt?: string };
    let tenants: Row[] = [];
    const polled = await waitUntil(async () => {
      tenants = ((await (await fetch(`${url}/api/tenants`, { headers })).json()) as { value: Row[] }).value;
      return (
        tenants.filter((t) => !t.home).length === 5 &&
        tenants.every((t) => t.lastSuccessfulPollAt && Date.now() - Date.parse(t.lastSuccessfulPollAt) < 60_000)
      );
    }, 45_000);
    expect(polled, `${JSON.stringify(tenants, null, 1)}\n${log}`).toBe(true);
    const registered = tenants.filter((t) => !t.home);
    expect(new Set(registered.map((t) => t.displayName)).size).toBe(5);
    const alerts = (
      (await (await fetch(`${url}/api/alerts?limit=500`, { headers })).json()) as {
        value: { tenantId: string; tenantName?: string }[];
      }
    ).value;
    for (const t of registered)
      expect(alerts.filter((a) => a.tenantId === t.id).length, t.displayName).toBeGreaterThan(0);
    expect(alerts.find((a) => a.tenantId === registered[0].id)?.tenantName).toBe(registered[0].displayName);
  }, 90_000);
});
