import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main';
import { startFunctionsHost, type FunctionsHost } from '../../src/local/functionsHost';
import { type Pipeline, usePipelineEnvironment, watchdogCards, webhookSecret } from '../helpers/pipeline';

// The function modules run on the local functions host (real HTTP, real auth levels), so this file must not
// import them: that would evaluate them before the host's shim.
const modules = ['health', 'heartbeat', 'pollAuditEvents'].map((f) =>
  path.join(__dirname, '..', '..', 'src', 'functions', `${f}.ts`),
);
const key = 'local-test-key';
const never = '0 0 0 1 1 *';

let host: FunctionsHost;
const hostLines: string[] = [];
beforeAll(async () => {
  process.env.HEARTBEAT_SCHEDULE = never; // registration is decided when the module loads
  host = await startFunctionsHost({
    port: 0,
    functionModules: modules,
    functionKey: key,
    env: { ...process.env, TIMER_SCHEDULE: never, HEARTBEAT_SCHEDULE: never },
    log: (l) => hostLines.push(l),
  });
});
afterAll(() => host?.close());

const pipeline = usePipelineEnvironment({ env: { HEARTBEAT_SCHEDULE: never } });
let p: Pipeline;
beforeEach(() => {
  p = pipeline();
  hostLines.length = 0;
});

async function get(route: string, withKey = false) {
  const res = await fetch(`${host.url}/api/${route}`, { headers: withKey ? { 'x-functions-key': key } : {} });
  const text = await res.text();
  return { status: res.status, text, body: JSON.parse(text) as Record<string, unknown> };
}

async function cli(args: string[]) {
  const lines: string[] = [];
  const code = await main(args, (l) => lines.push(l));
  return { code, lines };
}

function expectNoSecret(...texts: string[]) {
  for (const t of [...texts, ...hostLines, ...p.logs]) {
    expect(t).not.toContain(webhookSecret);
    expect(t).not.toContain(p.teams.url);
  }
}

describe('GET /api/health and /api/health/detail', () => {
  it('registers the anonymous health route, the keyed detail route and the heartbeat timer (HEARTBEAT_SCHEDULE set)', () => {
    expect(host.functions.map((f) => [f.name, f.trigger, f.route ?? f.schedule])).toEqual(
      expect.arrayContaining([
        ['health', 'http', 'health'],
        ['healthDetail', 'http', 'health/detail'],
        ['heartbeat', 'timer', never],
      ]),
    );
  });

  it('before any poll: 503 with the verdict only; the detail needs a key', async () => {
    const h = await get('health');
    expect(h.status).toBe(503);
    expect(Object.keys(h.body).sort()).toEqual(['checkedAt', 'checks', 'status']);
    expect(h.body).toMatchObject({
      status: 'unhealthy',
      checks: { polling: 'fail', graph: 'ok', delivery: 'ok', coverage: 'ok', rules: 'ok' },
    });
    expect((await get('health/detail')).status).toBe(401);
    const d = await get('health/detail', true);
    expect(d.status).toBe(503);
    expect(d.body).toMatchObject({
      status: 'unhealthy',
      checks: { polling: { status: 'fail', message: 'no poll has completed yet' } },
    });
  });

  it('after a poll: 200 healthy; the detail shows the last successful poll, the lag and the last 24 h', async () => {
    await host.runTimer('pollAuditEvents');
    const h = await get('health');
    expect(h).toMatchObject({ status: 200, body: { status: 'healthy' } });
    const d = await get('health/detail', true);
    expect(d.status).toBe(200);
    expect(d.body).toMatchObject({
      polling: { consecutiveFailures: 0, maxLagMinutes: 10 },
      last24h: { polls: 1, failedPolls: 0, gaps: [] },
      rules: { problems: [] },
    });
    expect((d.body.polling as { lagMinutes: number }).lagMinutes).toBeLessThan(1);
    expect(typeof (d.body.polling as { lastSuccessfulPollAt: unknown }).lastSuccessfulPollAt).toBe('string');
  });

  it('Graph 403: 503 with graph = fail; the detail names the incident; a watchdog card went out; no secret anywhere', async () => {
    p.sim.injectFault({ kind: 'status', status: 403 }, { times: 10 });
    await expect(host.runTimer('pollAuditEvents')).rejects.toThrow(/403/);
    const h = await get('health');
    expect(h).toMatchObject({ status: 503, body: { status: 'unhealthy', checks: { graph: 'fail' } } });
    const d = await get('health/detail', true);
    expect(d.body).toMatchObject({
      incidents: [{ key: 'graph-auth', condition: 'graph-auth' }],
      polling: { consecutiveFailures: 1 },
    });
    expect(watchdogCards(p).map((c) => /rule (watchdog:[a-z-]+)/.exec(c.text)?.[1])).toEqual(['watchdog:graph-auth']);
    const status = await cli(['status']);
    expect(status.code).toBe(1);
    expect(status.lines[0]).toBe('Status: UNHEALTHY (GET /api/health answers 503)');
    expect(status.lines.join('\n')).toMatch(/graph-auth since .*: Graph answered HTTP 403/);
    expectNoSecret(h.text, d.text, ...status.lines);
  });
});

describe('pki-alerts status', () => {
  it('prints the health in plain text (exit 0 when not unhealthy) or as JSON', async () => {
    await host.runTimer('pollAuditEvents');
    const text = await cli(['status']);
    expect(text.code).toBe(0);
    expect(text.lines[0]).toBe('Status: HEALTHY (GET /api/health answers 200)');
    expect(text.lines.join('\n')).toMatch(/Last 24 h: 1 polls \(0 failed, 0 past due\)/);
    expect(text.lines.join('\n')).toMatch(/Coverage: continuous up to .* UTC; no gap recorded/);
    const json = await cli(['status', '--json']);
    expect(JSON.parse(json.lines[0])).toMatchObject({ status: 'healthy', last24h: { polls: 1 } });
  });
});

describe('heartbeat timer', () => {
  it('sends one coverage summary per occurrence to the Teams channel', async () => {
    await host.runTimer('pollAuditEvents');
    const minute = () => Math.floor(Date.now() / 60_000);
    const before = minute();
    await host.runTimer('heartbeat');
    const cards = watchdogCards(p).filter((c) => c.text.includes('rule watchdog:heartbeat'));
    expect(cards).toHaveLength(1);
    expect(cards[0].text).toMatch(/Heartbeat: Cloud PKI alerts are watching/);
    expect(cards[0].text).toMatch(/Last 24 h: 1 poll \(0 failed, 0 past due\), 0 gaps, 0 alerts from 0 events read/);
    await host.runTimer('heartbeat'); // the same occurrence (same minute) again: recognised, not resent
    const expected = minute() === before ? 1 : 2;
    expect(watchdogCards(p).filter((c) => c.text.includes('rule watchdog:heartbeat'))).toHaveLength(expected);
    expectNoSecret();
  });
});
