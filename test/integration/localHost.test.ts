import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MAX_REQUEST_BODY_BYTES, startFunctionsHost, type FunctionsHost } from '../../src/local/functionsHost';
import { createLocalInbox, type LocalInbox } from '../../src/local/localInbox';
// Type only: importing the fixture's values would evaluate it (and register its functions) before the host's shim.
import type { SampleProbe } from '../fixtures/functions/sampleFunctions';

const SAMPLE_MODULE = path.join(__dirname, '..', 'fixtures', 'functions', 'sampleFunctions.ts');
const NEVER_IN_TEST = '0 0 0 1 1 *'; // once a year, at New Year
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function probe(): SampleProbe {
  const holder = globalThis as unknown as Record<symbol, SampleProbe | undefined>;
  return (holder[Symbol.for('cloud-pki-alerts.test.sampleProbe')] ??= {
    timerCalls: [],
    slowDelayInMs: 0,
    active: {},
    maxActive: {},
  });
}

const callsOf = (name: string) => probe().timerCalls.filter((c) => c.functionName === name);

function card(title: string) {
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        content: {
          type: 'AdaptiveCard',
          version: '1.5',
          body: [
            { type: 'Container', items: [{ type: 'TextBlock', text: `${title}\n` }] },
            { type: 'TextBlock', text: 'details' },
          ],
        },
      },
    ],
  };
}

describe('timer triggers', () => {
  let host: FunctionsHost;
  const lines: string[] = [];
  let blockEndedAt = 0;
  // A fake clock (Date and setTimeout only: HTTP and module loading stay real) drives the host's timers, so
  // every tick, skip and late run happens at a known instant, however busy the machine is.
  const advance = (ms: number) => vi.advanceTimersByTimeAsync(ms);

  beforeAll(async () => {
    vi.useFakeTimers({
      now: new Date('2026-01-01T00:00:00.250Z'),
      toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'],
    });
    probe().slowDelayInMs = 1200;
    host = await startFunctionsHost({
      port: 0,
      functionModules: [SAMPLE_MODULE],
      env: { SAMPLE_SCHEDULE: '*/1 * * * * *', SLOW_SCHEDULE: '*/1 * * * * *', FAILING_SCHEDULE: '*/1 * * * * *' },
      log: (line) => lines.push(line),
    });
    await advance(750); // 00:01.000: every timer's first tick; slowTimer runs until 00:02.200
    await advance(1000); // 00:02.000: second ticks; slowTimer's is skipped (its first run is still going)
    await advance(500); // 00:02.500
    // The event loop was blocked for 2.1 s past a due time (00:03.000): the run that was due starts late.
    vi.setSystemTime(Date.now() + 2100);
    blockEndedAt = Date.now();
    await advance(500); // the timeout armed for 00:03.000 fires now, at 00:05.100: a run 2.1 s past due
  });

  afterAll(async () => {
    const closing = host?.close();
    await advance(5_000); // lets a running slowTimer finish so close() does not wait on the fake clock
    await closing;
    vi.useRealTimers();
  });

  it('lists the captured registrations with their resolved schedules', () => {
    expect(host.functions.filter((f) => f.trigger === 'timer')).toEqual([
      { name: 'sampleTimer', trigger: 'timer', schedule: '*/1 * * * * *' },
      { name: 'slowTimer', trigger: 'timer', schedule: '*/1 * * * * *' },
      { name: 'failingTimer', trigger: 'timer', schedule: '*/1 * * * * *' },
    ]);
  });

  it('fires on the NCRONTAB schedule, once per due second', () => {
    const [first, second] = callsOf('sampleTimer');
    expect(new Date(first.startedAt).toISOString()).toBe('2026-01-01T00:00:01.000Z');
    expect(second.startedAt - first.startedAt).toBe(1000);
    expect(first.timer.scheduleStatus.next).toMatch(/\.000Z$/);
  });

  it('passes a Timer and an InvocationContext, and logs start and finish with the invocation id', () => {
    const [first, second] = callsOf('sampleTimer');
    expect(first.timer).toMatchObject({
      isPastDue: false,
      schedule: { adjustForDST: true },
      scheduleStatus: { last: '0001-01-01T00:00:00.000Z' },
    });
    expect(second.timer.isPastDue).toBe(false);
    expect(second.timer.scheduleStatus.last).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);
    expect(Date.parse(second.timer.scheduleStatus.next)).toBeGreaterThan(second.startedAt);
    expect(Math.abs(Date.parse(second.timer.scheduleStatus.lastUpdated) - second.startedAt)).toBeLessThan(50);
    expect(first.invocationId).toMatch(UUID);
    expect(second.invocationId).not.toBe(first.invocationId);
    const id = first.invocationId;
    expect(
      lines.some(
        (l) => l.includes(`Executing 'Functions.sampleTimer' (Reason='Timer fired at`) && l.includes(`Id=${id})`),
      ),
    ).toBe(true);
    expect(lines.some((l) => l.includes(`Executed 'Functions.sampleTimer' (Succeeded, Id=${id},`))).toBe(true);
    expect(lines.some((l) => /\] \[sampleTimer\] tick isPastDue=false$/.test(l))).toBe(true);
  });

  it('marks a run that starts more than 1 s after its due time as past due', () => {
    const late = callsOf('sampleTimer').find((c) => c.startedAt >= blockEndedAt)!;
    expect(late.timer.isPastDue).toBe(true);
    expect(
      callsOf('sampleTimer')
        .filter((c) => c.startedAt < blockEndedAt - 2100)
        .every((c) => !c.timer.isPastDue),
    ).toBe(true);
  });

  it('never overlaps a slow run with the next tick, and logs the skipped tick', () => {
    expect(callsOf('slowTimer').length).toBeGreaterThanOrEqual(1);
    expect(probe().maxActive.slowTimer).toBe(1);
    expect(
      lines.some((l) =>
        /Timer 'slowTimer' skipped the occurrence due \S+Z: its previous run is still in progress/.test(l),
      ),
    ).toBe(true);
  });

  it('logs a throwing handler with its invocation id and keeps running', () => {
    const failed = lines.filter((l) => l.includes("Executed 'Functions.failingTimer' (Failed, Id="));
    expect(failed.length).toBeGreaterThanOrEqual(2);
    const id = /Id=([0-9a-f-]{36})/.exec(failed[0])![1];
    expect(
      lines.some((l) => l.includes(`ERROR: Functions.failingTimer (Id=${id}) threw Error: sample timer failure`)),
    ).toBe(true);
  });

  it('stops every timer on close', async () => {
    const closing = host.close();
    await advance(1200); // a slowTimer run still going ends; close() waits for it
    await closing;
    const count = probe().timerCalls.length;
    const logged = lines.length;
    await advance(3000); // three more due times pass
    expect(probe().timerCalls.length).toBe(count);
    expect(lines.slice(logged).filter((l) => l.includes('Executing'))).toEqual([]);
    await expect(host.runTimer('sampleTimer')).rejects.toThrow(/closed/);
  });
});

describe('HTTP triggers and local routes', () => {
  let host: FunctionsHost;
  let inbox: LocalInbox;
  const lines: string[] = [];
  const inboxLines: string[] = [];
  const api = (route: string, init?: RequestInit) => fetch(`${host.url}${route}`, init);

  beforeAll(async () => {
    inbox = createLocalInbox({ log: (line) => inboxLines.push(line) });
    host = await startFunctionsHost({
      port: 0,
      functionModules: [SAMPLE_MODULE],
      env: { SAMPLE_SCHEDULE: NEVER_IN_TEST, SLOW_SCHEDULE: NEVER_IN_TEST, FAILING_SCHEDULE: NEVER_IN_TEST },
      log: (line) => lines.push(line),
      extraRoutes: [
        ...inbox.routes,
        {
          method: 'POST',
          path: '/local/hook',
          handler: async (req, body) => ({
            status: 200,
            headers: { 'x-extra': '1' },
            body: `got ${req.method} ${body}`,
          }),
        },
        { method: 'GET', path: '/api/things/shadow', handler: async () => ({ status: 200, body: 'extra route' }) },
      ],
    });
  });

  afterAll(() => host?.close());

  it('lists HTTP functions with routes, methods and URLs', () => {
    expect(host.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(host.functions).toContainEqual({
      name: 'getItem',
      trigger: 'http',
      route: 'items/{id}',
      methods: ['GET'],
      url: `${host.url}/api/items/{id}`,
    });
    expect(host.functions).toContainEqual({
      name: 'echo',
      trigger: 'http',
      route: 'echo',
      methods: ['POST', 'PUT'],
      url: `${host.url}/api/echo`,
    });
  });

  it('serves a route with a {param}, returning status, headers and jsonBody', async () => {
    const res = await api('/api/items/42?q=x');
    expect(res.status).toBe(200);
    expect(res.headers.get('x-sample')).toBe('item');
    expect(res.headers.get('content-type')).toBe('application/json');
    const body = await res.json();
    expect(body).toMatchObject({ id: '42', q: 'x', functionName: 'getItem' });
    expect(body.invocationId).toMatch(UUID);
    expect(lines.some((l) => l.includes(`Executed 'Functions.getItem' (Succeeded, Id=${body.invocationId},`))).toBe(
      true,
    );
  });

  it('decodes parameters, matches literals case-insensitively and prefers literal segments over parameters', async () => {
    expect(await (await api('/api/items/a%20b')).json()).toMatchObject({ id: 'a b' });
    expect(await (await api('/api/ITEMS/7')).json()).toMatchObject({ id: '7' });
    expect(await (await api('/api/items/special')).json()).toEqual({ special: true });
  });

  it('fills optional {param?} segments when present', async () => {
    const without = await api('/api/things');
    expect([without.status, await without.text(), without.headers.get('content-type')]).toEqual([
      202,
      'thing:(none)',
      'text/plain',
    ]);
    expect(await (await api('/api/things/abc')).text()).toBe('thing:abc');
  });

  it('passes method, URL, headers and body to HttpRequest', async () => {
    const res = await api('/api/echo?x=1', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ a: 1 }),
    });
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({
      method: 'POST',
      url: `${host.url}/api/echo?x=1`,
      contentType: 'application/json',
      body: { a: 1 },
    });
  });

  it('returns binary bodies unchanged', async () => {
    const res = await api('/api/bytes');
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    expect([...new Uint8Array(await res.arrayBuffer())]).toEqual([0, 1, 2, 255]);
  });

  it('answers 404 JSON for unknown paths and 405 with Allow for a wrong method', async () => {
    for (const route of ['/api/nope', '/elsewhere']) {
      const res = await api(route);
      expect(res.status).toBe(404);
      expect((await res.json()).error.code).toBe('NotFound');
    }
    const res = await api('/api/echo', { method: 'DELETE' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST, PUT');
  });

  it('accepts a body of exactly 1 MB and answers 413 above it', async () => {
    const exact = JSON.stringify({ pad: 'x'.repeat(MAX_REQUEST_BODY_BYTES - 10) });
    expect(Buffer.byteLength(exact)).toBe(MAX_REQUEST_BODY_BYTES);
    const ok = await api('/api/echo', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: exact });
    expect(ok.status).toBe(201);
    await ok.arrayBuffer();
    const tooBig = await api('/api/echo', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: `${exact} `,
    });
    expect(tooBig.status).toBe(413);
    expect((await tooBig.json()).error.code).toBe('PayloadTooLarge');
  });

  it('answers 500 when a handler throws, logs it, and keeps serving', async () => {
    const res = await api('/api/boom');
    expect(res.status).toBe(500);
    const { error } = await res.json();
    const id = /invocation ([0-9a-f-]{36})/.exec(error.message)![1];
    expect(lines.some((l) => l.includes(`ERROR: Functions.boom (Id=${id}) threw Error: sample failure`))).toBe(true);
    expect((await api('/api/items/1')).status).toBe(200);
  });

  it('runs a timer on demand and rejects when its handler throws', async () => {
    const before = callsOf('sampleTimer').length;
    await host.runTimer('sampleTimer');
    expect(callsOf('sampleTimer').length).toBe(before + 1);
    expect(callsOf('sampleTimer').at(-1)!.timer.isPastDue).toBe(false);
    await expect(host.runTimer('failingTimer')).rejects.toThrow('sample timer failure');
    await expect(host.runTimer('nope')).rejects.toThrow(/No timer function named 'nope'/);
  });

  it('serves extra routes before /api routes, with 405 for other methods', async () => {
    const res = await api('/local/hook', { method: 'POST', body: 'hello' });
    expect([res.status, res.headers.get('x-extra'), await res.text()]).toEqual([200, '1', 'got POST hello']);
    expect(await (await api('/api/things/shadow')).text()).toBe('extra route');
    const wrong = await api('/local/hook');
    expect([wrong.status, wrong.headers.get('allow')]).toEqual([405, 'POST']);
  });

  describe('local inbox', () => {
    const post = (body: string, contentType = 'application/json') =>
      api('/local/inbox', { method: 'POST', headers: { 'content-type': contentType }, body });

    it('accepts a Workflows message with 202 and prints one line from the first TextBlock', async () => {
      const res = await post(JSON.stringify(card('CRITICAL · Cloud PKI CA certificate revoked · 1 event')));
      expect(res.status).toBe(202);
      expect(await res.text()).toBe('');
      expect(inboxLines.at(-1)).toMatch(
        new RegExp(
          `^\\[inbox\\] \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ CRITICAL · Cloud PKI CA certificate revoked · 1 event · see ${host.url}/api/local/inbox$`,
        ),
      );
    });

    it('lists stored messages newest first at GET /api/local/inbox', async () => {
      await post(JSON.stringify(card('HIGH · second alert')));
      const res = await api('/api/local/inbox');
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      const { value } = await res.json();
      expect(value.map((m: { summary: string }) => m.summary)).toEqual([
        'HIGH · second alert',
        'CRITICAL · Cloud PKI CA certificate revoked · 1 event',
      ]);
      expect(value[0].cards[0].type).toBe('AdaptiveCard');
      expect(Date.parse(value[0].receivedAt)).not.toBeNaN();
      expect(inbox.messages().map((m) => m.summary)).toEqual([
        'CRITICAL · Cloud PKI CA certificate revoked · 1 event',
        'HIGH · second alert',
      ]);
    });

    it('rejects what a real flow could not post with 400 and a clear message', async () => {
      const wrongType = await post(
        JSON.stringify({
          type: 'message',
          attachments: [{ contentType: 'text/plain', content: { type: 'AdaptiveCard', version: '1.5', body: [] } }],
        }),
      );
      expect(wrongType.status).toBe(400);
      expect((await wrongType.json()).error.message).toContain(
        'attachments[0].contentType must be "application/vnd.microsoft.card.adaptive"',
      );
      const bare = await post(JSON.stringify({ type: 'AdaptiveCard', body: [] }));
      expect((await bare.json()).error.problems).toEqual([
        '"type" must be "message" (got "AdaptiveCard")',
        '"attachments" must be a non-empty array',
      ]);
      expect((await post('not json')).status).toBe(400);
      expect((await post(JSON.stringify(card('x')), 'text/plain')).status).toBe(400);
      expect(inbox.messages()).toHaveLength(2);
      expect(inboxLines.at(-1)).toMatch(/^\[inbox\] rejected a message \(400\)/);
    });

    it('refuses messages over the Teams size limit with 413', async () => {
      const big = card('big');
      (big.attachments[0].content.body as unknown[]).push({ type: 'TextBlock', text: 'x'.repeat(30 * 1024) });
      expect((await post(JSON.stringify(big))).status).toBe(413);
    });
  });
});

describe('local inbox capacity', () => {
  it('keeps the newest messages and drops the oldest', async () => {
    const inbox = createLocalInbox({ log: () => {}, capacity: 2 });
    const receive = inbox.routes.find((r) => r.method === 'POST')!.handler;
    const req = { headers: { host: '127.0.0.1:1', 'content-type': 'application/json' } } as unknown as IncomingMessage;
    for (const title of ['one', 'two', 'three'])
      expect((await receive(req, JSON.stringify(card(title)))).status).toBe(202);
    expect(inbox.messages().map((m) => m.summary)).toEqual(['two', 'three']);
  });
});

describe('host start-up errors', () => {
  it('refuses to start when a %SETTING% in a schedule is not set', async () => {
    await expect(
      startFunctionsHost({
        port: 0,
        functionModules: [SAMPLE_MODULE],
        env: { SAMPLE_SCHEDULE: NEVER_IN_TEST, FAILING_SCHEDULE: NEVER_IN_TEST },
        log: () => {},
      }),
    ).rejects.toThrow(
      "Function 'slowTimer': the schedule '%SLOW_SCHEDULE%' needs the app setting SLOW_SCHEDULE, which is not set",
    );
  });

  it('refuses a schedule that is not six-field NCRONTAB', async () => {
    await expect(
      startFunctionsHost({
        port: 0,
        functionModules: [SAMPLE_MODULE],
        env: { SAMPLE_SCHEDULE: '*/5 * * * *', SLOW_SCHEDULE: NEVER_IN_TEST, FAILING_SCHEDULE: NEVER_IN_TEST },
        log: () => {},
      }),
    ).rejects.toThrow(/sampleTimer.*must be an NCRONTAB expression with 6 fields/);
  });
});
