import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

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

describe('npm start (the compiled local host) on embedded defaults', () => {
  beforeAll(() => {
    execFileSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: root, stdio: 'pipe' });
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, PORT: '0', RUN_ON_START: 'true', SIMULATOR_DRIP_SECONDS: '0', LOCAL_ADMIN_KEY: 'test-admin-key' };
    child = spawn(process.execPath, ['dist/src/local/start.js'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
  }, 60_000);
  afterAll(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });

  it('serves the functions, polls the simulated tenant and delivers cards to the local inbox', async () => {
    const [, url] = await waitFor(/local functions host at (http:\/\/127\.0\.0\.1:\d+)/);
    expect(output).toContain('SIMULATED Microsoft Graph');
    // Embedded defaults: AzureWebJobsStorage=UseDevelopmentStorage=true, served by Azurite started in-process
    // on 127.0.0.1:10002 (or one already listening there).
    expect(output).toMatch(/storage\s+(in-process Azurite Tables on http:\/\/127\.0\.0\.1:10002|existing Azurite)/);
    expect(output).toContain(`admin page ${url}/api/ui (open it in a browser and enter the local admin key above)`);
    await waitFor(/\[inbox\] .* CRITICAL · Cloud PKI CA certificate revoked|\[inbox\] .* HIGH · /);
    const inbox = (await (await fetch(`${url}/api/local/inbox`)).json()) as { value: { cards: { version: string }[] }[] };
    expect(inbox.value.length).toBeGreaterThanOrEqual(1);
    expect(inbox.value[0].cards[0].version).toBe('1.4');
    // Admin routes need the local key.
    expect((await fetch(`${url}/api/alerts`)).status).toBe(401);
    const alerts = await fetch(`${url}/api/alerts`, { headers: { 'x-functions-key': 'test-admin-key' } });
    expect(alerts.status).toBe(200);
    expect(((await alerts.json()) as { value: unknown[] }).value.length).toBe(inbox.value.length);
  });

  it('stops cleanly on SIGTERM', async () => {
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
