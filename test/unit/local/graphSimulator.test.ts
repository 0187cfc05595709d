import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Client,
  GraphError,
  MiddlewareFactory,
  PageIterator,
  RetryHandlerOptions,
  type Context,
  type Middleware,
} from '@microsoft/microsoft-graph-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { GraphSimulator, type GraphSimulatorOptions } from '../../../src/local/graphSimulator';

const LIST = '/beta/deviceManagement/auditEvents';
const FIXTURE = join(__dirname, '../../fixtures/graph/auditEventsPage.json');

/** A minimal Graph-shaped event; tests override only what they look at. */
function event(id: string, activityDateTime: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    activityDateTime,
    activityType: 'Create CloudCertificationAuthority',
    activityOperationType: 'Create',
    activityResult: 'Success',
    category: 'CloudPKI',
    componentName: 'CloudPKI',
    ...extra,
  };
}

const FILTER_EVENTS = [
  event('a', '2025-01-10T08:00:00.0000000Z'),
  event('b', '2025-01-10T08:00:41.7023255Z', {
    activityType: 'Create DeviceEnrollmentConfiguration',
    category: 'Enrollment',
    componentName: 'Enrollment',
  }),
  event('c', '2025-01-10T08:03:12.1234567Z', {
    activityType: 'ChangeCloudCertificationAuthorityStatusAsync CloudCertificationAuthority',
    activityOperationType: 'Action',
  }),
  event('d', '2025-01-10T08:04:00.5Z', {
    activityType: 'Get CloudCertificationAuthority',
    activityOperationType: 'Get',
  }),
  event('e', '2025-01-10T08:05:00Z', {
    activityType: 'Delete CloudCertificationAuthority',
    activityOperationType: 'Delete',
    activityResult: 'Failure',
  }),
  event('f', '2025-01-10T09:00:00.0000000Z', {
    activityType: "Patch O'Brien's Policy",
    activityOperationType: 'Patch',
    activityResult: undefined,
    category: 'Other',
  }),
];

let simulators: GraphSimulator[] = [];
/** These tests describe the query language and paging; the lenient mode and exact pages keep them about that (modes: graphServerModes.test.ts). */
async function start(options: GraphSimulatorOptions = {}): Promise<GraphSimulator> {
  const sim = await GraphSimulator.start({ mode: 'asc-accepted', capPagesBelowTop: false, ...options });
  simulators.push(sim);
  return sim;
}
afterEach(async () => {
  await Promise.all(simulators.map((s) => s.close()));
  simulators = [];
});

interface Page {
  status: number;
  headers: Headers;
  text: string;
  body: {
    value: { id: string }[];
    '@odata.nextLink'?: string;
    '@odata.context'?: string;
    error?: { code: string; message: string };
  };
}

/** GETs `path?query` with the query text sent as given (fetch itself encodes spaces and quotes). */
async function get(sim: GraphSimulator, pathAndQuery: string, init?: RequestInit): Promise<Page> {
  const response = await fetch(sim.baseUrl + pathAndQuery, init);
  const text = await response.text();
  let body: Page['body'];
  try {
    body = JSON.parse(text) as Page['body'];
  } catch {
    body = { value: [] };
  }
  return { status: response.status, headers: response.headers, text, body };
}

function list(sim: GraphSimulator, params: Record<string, string>): Promise<Page> {
  const query = Object.entries(params)
    .map(([k, v]) => `${k}=${encodeURIComponent(v)}`)
    .join('&');
  return get(sim, `${LIST}?${query}`);
}

/** Follows nextLinks the way the app's client does: the real Graph origin rewritten to the simulator. */
async function listAll(sim: GraphSimulator, first: Page, between?: (pageIndex: number) => void): Promise<string[][]> {
  const pages = [first.body.value.map((e) => e.id)];
  let next = first.body['@odata.nextLink'];
  while (next !== undefined) {
    between?.(pages.length);
    expect(next.startsWith(`https://graph.microsoft.com${LIST}?`)).toBe(true);
    const page = await get(sim, next.slice('https://graph.microsoft.com'.length));
    expect(page.status).toBe(200);
    pages.push(page.body.value.map((e) => e.id));
    next = page.body['@odata.nextLink'];
  }
  return pages;
}

const ids = (page: Page): string[] => page.body.value.map((e) => e.id);

describe('GraphSimulator $filter', () => {
  it.each([
    ['activityDateTime eq 2025-01-10T08:00:41.7023255Z', ['b']],
    ['activityDateTime ne 2025-01-10T08:00:41.7023255Z', ['a', 'c', 'd', 'e', 'f']],
    ['activityDateTime gt 2025-01-10T08:00:41.7023255Z', ['c', 'd', 'e', 'f']],
    ['activityDateTime ge 2025-01-10T08:00:41.7023255Z', ['b', 'c', 'd', 'e', 'f']],
    ['activityDateTime lt 2025-01-10T08:03:12.1234567Z', ['a', 'b']],
    ['activityDateTime le 2025-01-10T08:03:12.1234567Z', ['a', 'b', 'c']],
    // A watermark rebuilt from a JS Date (ms) lies just before the event, so gt still returns it (doc §2).
    ['activityDateTime gt 2025-01-10T08:00:41.702Z', ['b', 'c', 'd', 'e', 'f']],
    ['activityDateTime gt 2025-01-10T08:00:41.7023254Z', ['b', 'c', 'd', 'e', 'f']],
    ['activityDateTime gt 2025-01-10T08:00:41.7023256Z', ['c', 'd', 'e', 'f']],
    ['activityDateTime eq 2025-01-10T08:04:00.5000000Z', ['d']],
    ['activityDateTime eq 2025-01-10T08:05:00.000Z', ['e']],
    ['activityDateTime eq 2025-01-10T08:00:41.702325599Z', ['b']],
    ['activityDateTime le 2025-01-10T09:00:00+01:00', ['a']],
    ['activityDateTime lt 2025-01-10T08:01Z', ['a', 'b']],
    ['activityDateTime ge 2025-01-10', ['a', 'b', 'c', 'd', 'e', 'f']],
    ["activityType eq 'create cloudcertificationauthority'", ['a']],
    ["ACTIVITYTYPE EQ 'Create CloudCertificationAuthority'", ['a']],
    ["activityType eq 'Patch O''Brien''s Policy'", ['f']],
    ["activityType lt 'D'", ['a', 'b', 'c']],
    ["category eq 'CloudPKI'", ['a', 'c', 'd', 'e']],
    ["category ne 'cloudpki'", ['b', 'f']],
    ["componentName eq 'Enrollment'", ['b']],
    ["activityResult eq 'Failure'", ['e']],
    ["activityResult ne 'Success'", ['e', 'f']],
    ['activityResult eq null', ['f']],
    ["activityOperationType ne 'Get'", ['a', 'b', 'c', 'e', 'f']],
    ["activityOperationType eq 'Create' and category eq 'CloudPKI'", ['a']],
    ["activityOperationType eq 'Get' or activityResult eq 'Failure'", ['d', 'e']],
    ["not (activityOperationType eq 'Get')", ['a', 'b', 'c', 'e', 'f']],
    ["not activityResult eq 'Success'", ['e', 'f']],
    // and binds tighter than or
    [
      "activityType eq 'Get CloudCertificationAuthority' or activityType eq 'Delete CloudCertificationAuthority' and activityResult eq 'Success'",
      ['d'],
    ],
    [
      "(activityResult eq 'Failure' or activityOperationType eq 'Get') and activityDateTime lt 2025-01-10T08:04:30Z",
      ['d'],
    ],
    [
      "activityDateTime ge 2025-01-10T08:00:00Z and activityDateTime lt 2025-01-10T08:05:00Z and activityOperationType ne 'Get'",
      ['a', 'b', 'c'],
    ],
  ])('%s', async (filter, expected) => {
    const sim = await start({ events: FILTER_EVENTS });
    const page = await list(sim, { $filter: filter, $orderby: 'activityDateTime asc' });
    expect(page.status).toBe(200);
    expect(ids(page)).toEqual(expected);
  });

  it.each([
    ["foo eq 'x'", 'foo'],
    ["actor/userPrincipalName eq 'a@b.c'", 'actor/userPrincipalName'],
    ['activityType eq', 'end of input'],
    ["activityType eq 'open", 'unterminated'],
    ["activityType like 'x'", 'like'],
    ["activityType eq 'x' and", 'end of input'],
    ["(activityType eq 'x'", "expected ')'"],
    ["activityType eq 'x')", "')'"],
    ['activityType eq Create', 'Create'],
    ["activityDateTime ge '2025-01-10T08:00:00Z'", 'DateTimeOffset'],
    ['activityDateTime ge 2025-13-10T08:00:00Z', 'DateTimeOffset'],
    ['activityDateTime ge 2025-01-10T08:00:00', 'DateTimeOffset'],
    // An unencoded '+' offset arrives as a space (doc §4).
    ['activityDateTime ge 2025-01-10T08:00:00 01:00', '01:00'],
  ])('answers 400 to %s', async (filter, detail) => {
    const sim = await start({ events: FILTER_EVENTS });
    const page = await list(sim, { $filter: filter });
    expect(page.status).toBe(400);
    expect(page.body.error?.code).toBe('BadRequest');
    expect(page.body.error?.message).toContain('Invalid filter clause');
    expect(page.body.error?.message).toContain(detail);
  });

  it.each([
    [
      'raw text (fetch sends %20 and %27)',
      "$filter=activityType eq 'Get CloudCertificationAuthority' and activityResult eq 'Success'",
    ],
    [
      "'+' for spaces, as in Graph's own nextLinks",
      "$filter=activityType+eq+'Get+CloudCertificationAuthority'+and+activityResult+eq+%27Success%27",
    ],
    [
      'fully percent-encoded',
      `$filter=${encodeURIComponent("activityType eq 'Get CloudCertificationAuthority' and activityResult eq 'Success'")}`,
    ],
  ])('decodes a query sent as %s', async (_name, query) => {
    const sim = await start({ events: FILTER_EVENTS });
    const page = await get(sim, `${LIST}?${query}`);
    expect(page.status).toBe(200);
    expect(ids(page)).toEqual(['d']);
  });
});

describe('GraphSimulator $orderby and $top', () => {
  const tied = [
    ...FILTER_EVENTS,
    event('x2', '2025-01-10T08:03:12.1234567Z'),
    event('x1', '2025-01-10T08:03:12.1234567Z'),
  ];

  it.each([
    ['absent (newest first, as Graph documents)', undefined, ['f', 'e', 'd', 'x2', 'x1', 'c', 'b', 'a']],
    ['activityDateTime desc', 'activityDateTime desc', ['f', 'e', 'd', 'x2', 'x1', 'c', 'b', 'a']],
    ['activityDateTime asc', 'activityDateTime asc', ['a', 'b', 'c', 'x1', 'x2', 'd', 'e', 'f']],
    ['activityDateTime (asc)', 'ActivityDateTime', ['a', 'b', 'c', 'x1', 'x2', 'd', 'e', 'f']],
  ])('orders %s, ties broken by id', async (_name, orderBy, expected) => {
    const sim = await start({ events: tied });
    const page = await list(sim, orderBy === undefined ? {} : { $orderby: orderBy });
    expect(ids(page)).toEqual(expected);
  });

  it('uses defaultPageSize without $top and caps $top at maxPageSize', async () => {
    const sim = await start({ events: FILTER_EVENTS, defaultPageSize: 2, maxPageSize: 4 });
    const byDefault = await list(sim, { $orderby: 'activityDateTime asc' });
    expect(ids(byDefault)).toEqual(['a', 'b']);
    expect(byDefault.body['@odata.nextLink']).toBeDefined();
    const capped = await list(sim, { $orderby: 'activityDateTime asc', $top: '50' });
    expect(ids(capped)).toEqual(['a', 'b', 'c', 'd']);
    const exact = await list(sim, { $top: '6' });
    expect(ids(exact)).toHaveLength(4);
  });

  it('returns everything with no nextLink when one page is enough', async () => {
    const sim = await start({ events: FILTER_EVENTS });
    const page = await list(sim, { $top: '6' });
    expect(ids(page)).toHaveLength(6);
    expect(page.body['@odata.nextLink']).toBeUndefined();
    expect(page.body['@odata.context']).toBe('https://graph.microsoft.com/beta/$metadata#deviceManagement/auditEvents');
  });

  it.each([
    ['$orderby', { $orderby: 'displayName' }, '$orderby'],
    ['$top', { $top: 'ten' }, '$top'],
    ['$top', { $top: '-1' }, '$top'],
    ['$skiptoken', { $skiptoken: 'not-a-token' }, '$skiptoken'],
  ])('answers 400 to a bad %s', async (_name, params, detail) => {
    const sim = await start({ events: FILTER_EVENTS });
    const page = await list(sim, params);
    expect(page.status).toBe(400);
    expect(page.body.error?.code).toBe('BadRequest');
    expect(page.body.error?.message).toContain(detail);
  });

  it('answers 400 to a repeated option and to broken percent-encoding', async () => {
    const sim = await start({ events: FILTER_EVENTS });
    expect((await get(sim, `${LIST}?$top=1&$TOP=2`)).status).toBe(400);
    expect((await get(sim, `${LIST}?$filter=activityType%zz`)).status).toBe(400);
  });
});

describe('GraphSimulator paging', () => {
  const seven = ['1', '2', '3', '4', '5', '6', '7'].map((n) => event(`e${n}`, `2025-01-10T08:0${n}:00.1234567Z`));

  it('pages through @odata.nextLink on the real Graph origin, keeping the query', async () => {
    const sim = await start({
      events: [...seven, event('get', '2025-01-10T08:03:30Z', { activityOperationType: 'Get' })],
    });
    const first = await list(sim, {
      $filter: "activityOperationType ne 'Get'",
      $orderby: 'activityDateTime asc',
      $top: '3',
    });
    const nextLink = first.body['@odata.nextLink']!;
    // Re-encoded the way Graph writes it: '+' for spaces, lower-case escapes.
    expect(nextLink).toMatch(
      /^https:\/\/graph\.microsoft\.com\/beta\/deviceManagement\/auditEvents\?\$filter=activityOperationType\+ne\+%27Get%27&\$orderby=activityDateTime\+asc&\$top=3&\$skiptoken=[\w-]+$/,
    );
    const pages = await listAll(sim, first);
    expect(pages).toEqual([['e1', 'e2', 'e3'], ['e4', 'e5', 'e6'], ['e7']]);
  });

  it('pages newest first by default', async () => {
    const sim = await start({ events: seven });
    const pages = await listAll(sim, await list(sim, { $top: '3' }));
    expect(pages).toEqual([['e7', 'e6', 'e5'], ['e4', 'e3', 'e2'], ['e1']]);
  });

  it('stays stable when events arrive between pages: no repeats, no skipped events', async () => {
    const sim = await start({ events: seven });
    const first = await list(sim, { $orderby: 'activityDateTime asc', $top: '2' });
    const pages = await listAll(sim, first, (index) => {
      if (index !== 1) return;
      sim.addEvents([
        event('before-cursor', '2025-01-10T08:00:30Z'),
        event('after-cursor', '2025-01-10T08:02:30Z'),
        event('at-end', '2025-01-10T08:09:00Z'),
      ]);
    });
    const seen = pages.flat();
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(['e1', 'e2', 'after-cursor', 'e3', 'e4', 'e5', 'e6', 'e7', 'at-end']);
  });

  it('accepts the SDK spelling $skipToken and serves /v1.0 too', async () => {
    const sim = await start({ events: seven });
    const first = await get(sim, `/v1.0/deviceManagement/auditEvents?$top=4&$orderby=activityDateTime%20asc`);
    expect(first.body['@odata.context']).toContain('/v1.0/');
    const token = new URL(first.body['@odata.nextLink']!).searchParams.get('$skiptoken')!;
    const second = await get(
      sim,
      `/v1.0/deviceManagement/auditEvents?$top=4&$orderby=activityDateTime%20asc&$skipToken=${token}`,
    );
    expect(ids(second)).toEqual(['e5', 'e6', 'e7']);
  });

  it('writes nextLinks on nextLinkOrigin when given', async () => {
    const sim = await start({ events: seven, nextLinkOrigin: 'http://graph.example.test/' });
    const first = await list(sim, { $top: '2' });
    expect(first.body['@odata.nextLink']!.startsWith(`http://graph.example.test${LIST}?$top=2&$skiptoken=`)).toBe(true);
  });

  it('rejects a skiptoken issued for the other sort order', async () => {
    const sim = await start({ events: seven });
    const first = await list(sim, { $top: '2' });
    const token = new URL(first.body['@odata.nextLink']!).searchParams.get('$skiptoken')!;
    const page = await get(sim, `${LIST}?$top=2&$orderby=activityDateTime%20asc&$skiptoken=${token}`);
    expect(page.status).toBe(400);
  });
});

describe('GraphSimulator faults', () => {
  const events = [
    event('e1', '2025-01-10T08:01:00Z'),
    event('e2', '2025-01-10T08:02:00Z'),
    event('e3', '2025-01-10T08:03:00Z'),
  ];

  it('answers 429 with Retry-After and a Graph error once, then normally', async () => {
    const sim = await start({ events });
    sim.injectFault({ kind: 'status', status: 429, retryAfterSeconds: 7 });
    const throttled = await list(sim, {});
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('7');
    expect(throttled.body.error?.code).toBe('TooManyRequests');
    const next = await list(sim, {});
    expect(next.status).toBe(200);
    expect(ids(next)).toEqual(['e3', 'e2', 'e1']);
  });

  it('sends no Retry-After unless asked, and a custom body when given', async () => {
    const sim = await start({ events });
    sim.injectFault({ kind: 'status', status: 503 });
    sim.injectFault({ kind: 'status', status: 500, body: 'upstream exploded' });
    const unavailable = await list(sim, {});
    expect(unavailable.status).toBe(503);
    expect(unavailable.headers.get('retry-after')).toBeNull();
    expect(unavailable.body.error?.code).toBe('ServiceUnavailable');
    const failed = await list(sim, {});
    expect([failed.status, failed.text]).toEqual([500, 'upstream exploded']);
  });

  it('repeats a fault `times` times', async () => {
    const sim = await start({ events });
    sim.injectFault({ kind: 'status', status: 504 }, { times: 2 });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await list(sim, {})).status);
    expect(statuses).toEqual([504, 504, 200]);
  });

  it("targets only next pages with on: 'nextPage'", async () => {
    const sim = await start({ events });
    sim.injectFault({ kind: 'status', status: 503 }, { on: 'nextPage' });
    const first = await list(sim, { $top: '2' });
    expect(first.status).toBe(200);
    const nextPath = first.body['@odata.nextLink']!.slice('https://graph.microsoft.com'.length);
    expect((await get(sim, nextPath)).status).toBe(503);
    const retried = await get(sim, nextPath);
    expect(ids(retried)).toEqual(['e1']);
  });

  it("targets only first pages with on: 'firstPage'", async () => {
    const sim = await start({ events });
    const first = await list(sim, { $top: '2' });
    sim.injectFault({ kind: 'status', status: 503 }, { on: 'firstPage' });
    const nextPath = first.body['@odata.nextLink']!.slice('https://graph.microsoft.com'.length);
    expect((await get(sim, nextPath)).status).toBe(200);
    expect((await list(sim, { $top: '2' })).status).toBe(503);
    expect((await list(sim, { $top: '2' })).status).toBe(200);
  });

  it('applies faults to list requests only', async () => {
    const sim = await start({ events });
    sim.injectFault({ kind: 'status', status: 503 });
    expect((await get(sim, `${LIST}/getAuditCategories`)).status).toBe(200);
    expect((await list(sim, {})).status).toBe(503);
  });

  it('delays, then answers normally', async () => {
    const sim = await start({ events });
    sim.injectFault({ kind: 'delay', ms: 150 });
    const started = performance.now();
    const page = await list(sim, {});
    // A lower bound only: a slow machine can never make this fail.
    expect(performance.now() - started).toBeGreaterThanOrEqual(100);
    expect(ids(page)).toEqual(['e3', 'e2', 'e1']);
    expect(sim.requests.map((r) => r.status)).toEqual([200]);
  });

  it('hangs: the client must time out; the next request works', async () => {
    const sim = await start({ events });
    sim.injectFault({ kind: 'hang' });
    await expect(fetch(`${sim.baseUrl}${LIST}`, { signal: AbortSignal.timeout(200) })).rejects.toThrow();
    expect(sim.requests.map((r) => r.status)).toEqual([0]);
    expect(ids(await list(sim, {}))).toEqual(['e3', 'e2', 'e1']);
  });

  it('close() ends a hung request instead of waiting for it', async () => {
    const sim = await GraphSimulator.start({ events });
    sim.injectFault({ kind: 'hang' });
    const pending = fetch(`${sim.baseUrl}${LIST}`);
    pending.catch(() => undefined);
    await vi.waitFor(() => expect(sim.requests).toHaveLength(1), { timeout: 5_000 });
    await sim.close();
    await expect(pending).rejects.toThrow();
  });

  it('answers 200 with truncated JSON for malformedJson', async () => {
    const sim = await start({ events });
    sim.injectFault({ kind: 'malformedJson' });
    const page = await list(sim, {});
    expect(page.status).toBe(200);
    expect(page.text.startsWith('{"@odata.context"')).toBe(true);
    expect(() => JSON.parse(page.text)).toThrow();
  });

  it('clearFaults() drops queued faults', async () => {
    const sim = await start({ events });
    sim.injectFault({ kind: 'status', status: 503 }, { times: 5 });
    sim.clearFaults();
    expect((await list(sim, {})).status).toBe(200);
  });
});

describe('GraphSimulator store, routes and recording', () => {
  it('serves added events at once and supports set and clear', async () => {
    const sim = await start();
    expect(sim.eventCount).toBe(0);
    sim.addEvents([event('e1', '2025-01-10T08:01:00Z')]);
    expect(ids(await list(sim, {}))).toEqual(['e1']);
    sim.setEvents([event('e2', '2025-01-10T08:02:00Z'), event('e3', '2025-01-10T08:03:00Z')]);
    expect(sim.eventCount).toBe(2);
    expect(ids(await list(sim, {}))).toEqual(['e3', 'e2']);
    sim.clearEvents();
    expect(sim.eventCount).toBe(0);
    expect(ids(await list(sim, {}))).toEqual([]);
  });

  it("keeps odd events exactly as given, unaffected by later changes to the caller's objects", async () => {
    const odd = { id: 'odd', activityDateTime: 'yesterday', nested: { list: [1, 'two', null], flag: false } };
    const noId = { activityType: 'Create CloudCertificationAuthority' };
    const sim = await start({ events: [event('ok', '2025-01-10T08:01:00Z'), odd, noId, 42] });
    odd.nested.flag = true;
    const page = await list(sim, { $orderby: 'activityDateTime asc' });
    // Unreadable times sort first; equal keys keep insertion order.
    expect(page.body.value).toEqual([
      { activityType: 'Create CloudCertificationAuthority' },
      42,
      { ...odd, nested: { list: [1, 'two', null], flag: false } },
      event('ok', '2025-01-10T08:01:00Z'),
    ]);
    const filtered = await list(sim, { $filter: 'activityDateTime ge 2000-01-01' });
    expect(ids(filtered)).toEqual(['ok']);
  });

  it('loads Graph response files and bare arrays, naming the file on errors', async () => {
    const events = GraphSimulator.loadEventsFile(FIXTURE);
    expect((events as { id: string }[]).map((e) => e.id)).toEqual([
      '3f0c6a52-7c1e-4d7b-9a57-2f2b7f1c9e11',
      'b4a1d0f3-2222-4c6e-8f00-9a1b2c3d4e5f',
    ]);
    const sim = await start({ events });
    expect((await list(sim, { $orderby: 'activityDateTime asc' })).body.value).toEqual(events);

    const dir = mkdtempSync(join(tmpdir(), 'graph-sim-'));
    const bare = join(dir, 'bare.json');
    writeFileSync(bare, JSON.stringify([event('b1', '2025-01-10T08:00:00Z')]));
    expect(GraphSimulator.loadEventsFile(bare)).toEqual([event('b1', '2025-01-10T08:00:00Z')]);
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{"value": [');
    expect(() => GraphSimulator.loadEventsFile(broken)).toThrow(broken);
    const noValue = join(dir, 'novalue.json');
    writeFileSync(noValue, '{"items": []}');
    expect(() => GraphSimulator.loadEventsFile(noValue)).toThrow(/novalue\.json.*"value"/);
    expect(() => GraphSimulator.loadEventsFile(join(dir, 'missing.json'))).toThrow(/missing\.json/);
  });

  it('serves getAuditCategories and getAuditActivityTypes from known and stored categories', async () => {
    const sim = await start({ events: GraphSimulator.loadEventsFile(FIXTURE) });
    const categories = (await get(sim, `${LIST}/getAuditCategories`)).body.value as unknown as string[];
    expect(categories).toEqual(expect.arrayContaining(['Enrollment', 'Role', 'AssignmentFilter', 'CloudPKI']));
    const types = await get(sim, `${LIST}/getAuditActivityTypes(category='cloudpki')`);
    expect(types.body.value).toEqual(['ChangeCloudCertificationAuthorityStatusAsync CloudCertificationAuthority']);
  });

  it('answers 404 for other paths and 405 for other methods', async () => {
    const sim = await start();
    const missing = await get(sim, '/beta/deviceManagement/managedDevices');
    expect([missing.status, missing.body.error?.code]).toEqual([404, 'ResourceNotFound']);
    expect((await get(sim, LIST, { method: 'POST', body: '{}' })).status).toBe(405);
  });

  it('requires a Bearer token when asked to', async () => {
    const sim = await start({ requireAuthorization: true });
    const anonymous = await list(sim, {});
    expect([anonymous.status, anonymous.body.error?.code]).toEqual([401, 'InvalidAuthenticationToken']);
    const authorized = await get(sim, LIST, { headers: { authorization: 'Bearer abc' } });
    expect(authorized.status).toBe(200);
    expect(sim.requests.map((r) => [r.status, r.authorization])).toEqual([
      [401, undefined],
      [200, 'Bearer abc'],
    ]);
  });

  it('records method, path, raw query, status and time of every request', async () => {
    const sim = await start({ events: FILTER_EVENTS });
    const before = Date.now();
    await get(sim, `${LIST}?$filter=activityType eq 'x'&$top=5`);
    await get(sim, `${LIST}?$filter=nope`);
    await get(sim, '/beta/me');
    expect(sim.requests.map(({ method, path, query, status }) => ({ method, path, query, status }))).toEqual([
      { method: 'GET', path: LIST, query: '$filter=activityType%20eq%20%27x%27&$top=5', status: 200 },
      { method: 'GET', path: LIST, query: '$filter=nope', status: 400 },
      { method: 'GET', path: '/beta/me', query: '', status: 404 },
    ]);
    for (const r of sim.requests) expect(r.at).toBeGreaterThanOrEqual(before);
  });
});

describe('GraphSimulator through the real Graph SDK (doc §10.1 Way 1)', () => {
  const events = ['1', '2', '3', '4', '5'].map((n) => event(`e${n}`, `2025-01-10T08:0${n}:00.1234567Z`));

  /** The production chain with only its last handler swapped for one that sends to the simulator. */
  function sdkClient(sim: GraphSimulator): Client {
    const chain = MiddlewareFactory.getDefaultMiddlewareChain({ getAccessToken: async () => 'test' });
    const toSimulator: Middleware = {
      execute: async (context: Context) => {
        expect(typeof context.request).toBe('string');
        const url = (context.request as string).replace('https://graph.microsoft.com', sim.baseUrl);
        context.response = await fetch(url, context.options);
      },
    };
    chain[chain.length - 1] = toSimulator;
    return Client.initWithMiddleware({ middleware: chain, defaultVersion: 'beta' });
  }

  it('sends the token and follows @odata.nextLink with client.api(nextLink)', async () => {
    const sim = await start({ events, requireAuthorization: true });
    const client = sdkClient(sim);
    let page = (await client
      .api('/deviceManagement/auditEvents')
      .filter("activityDateTime ge 2025-01-10T08:00:00Z and activityOperationType ne 'Get'")
      .orderby('activityDateTime asc')
      .top(2)
      .get()) as { value: { id: string }[]; '@odata.nextLink'?: string };
    const seen = page.value.map((e) => e.id);
    while (page['@odata.nextLink'] !== undefined) {
      page = await client.api(page['@odata.nextLink']).get();
      seen.push(...page.value.map((e) => e.id));
    }
    expect(seen).toEqual(['e1', 'e2', 'e3', 'e4', 'e5']);
    expect(sim.requests).toHaveLength(3);
    for (const r of sim.requests) expect([r.path, r.status, r.authorization]).toEqual([LIST, 200, 'Bearer test']);
  });

  it('works with PageIterator', async () => {
    const sim = await start({ events });
    const client = sdkClient(sim);
    const first = await client.api('/deviceManagement/auditEvents').top(2).get();
    const seen: string[] = [];
    await new PageIterator(client, first, (item: { id: string }) => {
      seen.push(item.id);
      return true;
    }).iterate();
    expect(seen).toEqual(['e5', 'e4', 'e3', 'e2', 'e1']);
  });

  it("retries a 429 that carries Retry-After with the SDK's RetryHandler", async () => {
    const sim = await start({ events });
    sim.injectFault({ kind: 'status', status: 429, retryAfterSeconds: 1 });
    const client = sdkClient(sim);
    const page = await client
      .api('/deviceManagement/auditEvents')
      .top(10)
      .middlewareOptions([new RetryHandlerOptions(0, 2)])
      .get();
    expect(page.value.map((e: { id: string }) => e.id)).toEqual(['e5', 'e4', 'e3', 'e2', 'e1']);
    expect(sim.requests.map((r) => r.status)).toEqual([429, 200]);
  });

  it("surfaces a bad filter as a GraphError with Graph's code", async () => {
    const sim = await start({ events });
    const client = sdkClient(sim);
    const error = await client
      .api('/deviceManagement/auditEvents')
      .filter("activityType like 'x'")
      .get()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GraphError);
    expect([(error as GraphError).statusCode, (error as GraphError).code]).toEqual([400, 'BadRequest']);
  });
});
