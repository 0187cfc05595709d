import { afterEach, describe, expect, it } from 'vitest';
import { GraphAuditSource } from '../../src/audit/graphAuditSource';
import { MemoryGraphCapabilityStore } from '../../src/audit/graphCapabilities';
import { createGraphClient } from '../../src/audit/graphClient';
import { GraphReadError } from '../../src/audit/graphReadError';
import type { PollWindow } from '../../src/audit/pollWindow';
import { GraphSimulator } from '../../src/local/graphSimulator';
import { type GraphServerMode, graphServerModes } from '../../src/local/graphServerModes';
import { createLogger } from '../../src/shared/logger';

const events = Array.from({ length: 12 }, (_, i) => ({
  id: `e${String(i).padStart(2, '0')}`,
  activityDateTime: `2026-01-10T08:${String(i).padStart(2, '0')}:00.1234567Z`,
  activityType: 'Delete CloudCertificationAuthority',
  activityOperationType: i === 3 ? 'Get' : 'Delete',
}));
const window: PollWindow = {
  from: new Date('2026-01-10T07:00:00Z'),
  to: new Date('2026-01-10T09:00:00Z'),
  basis: 'lookback',
};

let sims: GraphSimulator[] = [];
afterEach(async () => {
  await Promise.all(sims.map((s) => s.close()));
  sims = [];
});

async function setUp(options: { mode?: GraphServerMode; maxRetries?: number; timeoutInMs?: number } = {}) {
  const sim = await GraphSimulator.start({ events, mode: options.mode });
  sims.push(sim);
  const client = createGraphClient({
    rewriteToOrigin: sim.baseUrl,
    requestTimeoutInMs: options.timeoutInMs ?? 1_000,
    maxRetries: options.maxRetries ?? 2,
    retryDelayInSeconds: 0,
    random: () => 0.5,
  });
  const logs: string[] = [];
  const log = createLogger((level, line) => logs.push(`${level} ${line}`));
  const capabilities = new MemoryGraphCapabilityStore();
  const source = (extra: Partial<ConstructorParameters<typeof GraphAuditSource>[1]> = {}) =>
    new GraphAuditSource(client, { pageSize: 4, tenantId: 't1', capabilities, log, ...extra });
  return { sim, source, logs, capabilities };
}

async function readAll(
  source: GraphAuditSource,
  options = {},
): Promise<{ ids: string[]; pages: { n: number; hasMore: boolean; size: number }[] }> {
  const ids: string[] = [];
  const pages: { n: number; hasMore: boolean; size: number }[] = [];
  for await (const page of source.listPages(window, options)) {
    pages.push({ n: page.pageNumber, hasMore: page.hasMore, size: page.events.length });
    ids.push(...page.events.map((e) => (e as { id: string }).id));
  }
  return { ids, pages };
}

const nonGet = events.filter((e) => e.activityOperationType !== 'Get').map((e) => e.id);

describe('GraphAuditSource against the Graph simulator (real SDK)', () => {
  it('sends only documented clauses: time filter, ne Get, $orderby desc, $top; never asc', async () => {
    const { sim, source } = await setUp();
    const { ids, pages } = await readAll(source());
    expect([...new Set(ids)].sort()).toEqual(nonGet);
    const first = decodeURIComponent(sim.requests[0].query).replace(/\+/g, ' ');
    expect(first).toContain(
      "activityDateTime ge 2026-01-10T07:00:00.000Z and activityDateTime le 2026-01-10T09:00:00.000Z and activityOperationType ne 'Get'",
    );
    expect(first).toContain('$orderby=activityDateTime desc');
    expect(first).toContain('$top=4');
    expect(sim.requests.some((r) => /asc/i.test(decodeURIComponent(r.query)))).toBe(false);
    // Pages smaller than $top, hasMore honest: true on all but the last.
    expect(pages.every((p) => p.size <= 3)).toBe(true);
    expect(pages.map((p) => p.hasMore)).toEqual([...pages.slice(1).map(() => true), false]);
  });

  it.each(graphServerModes)('reads every event in server mode %s', async (mode) => {
    const { source } = await setUp({ mode, timeoutInMs: 300 });
    const read = async () => readAll(source());
    // hanging-next-link: the first run times out on page 2 (a GraphReadError), the next run reads everything.
    const result = await read().catch(async (err: unknown) => {
      expect(mode).toBe('hanging-next-link');
      expect(err).toBeInstanceOf(GraphReadError);
      expect((err as GraphReadError).kind).toBe('timeout');
      expect((err as Error).message).toMatch(/page 2/);
      return read();
    });
    expect([...new Set(result.ids)].sort()).toEqual(nonGet);
  });

  it('on 400 to $orderby: retries without it, remembers it, logs it once and does not send it again', async () => {
    const { sim, source, logs, capabilities } = await setUp();
    sim.injectFault({ kind: 'status', status: 400 }, { on: 'firstPage' });
    const first = source();
    expect([...new Set((await readAll(first)).ids)].sort()).toEqual(nonGet);
    expect((await capabilities.get('t1'))?.orderBy).toMatchObject({ accepted: false });
    expect((await capabilities.get('t1'))?.operationTypeFilter).toBeUndefined();
    expect(logs.filter((l) => l.includes('refused $orderby'))).toHaveLength(1);
    const before = sim.requests.length;
    await readAll(first);
    await readAll(source()); // a new process: reads the store
    expect(sim.requests.slice(before).some((r) => r.query.includes('orderby'))).toBe(false);
    expect(logs.filter((l) => l.includes('refused'))).toHaveLength(1);
  });

  it('a 400 to every variant is thrown, naming the page, and nothing is remembered', async () => {
    const { sim, source, capabilities } = await setUp();
    sim.injectFault({ kind: 'status', status: 400 }, { on: 'firstPage', times: 10 });
    await expect(readAll(source())).rejects.toThrow(/Graph answered 400 BadRequest reading page 1/);
    expect(await capabilities.get('t1')).toBeUndefined();
  });

  it('429 without Retry-After beyond the retries: a readable, unwrapped Intune message, no query string', async () => {
    const { sim, source } = await setUp({ mode: 'intune-error-body', maxRetries: 1 });
    sim.injectFault({ kind: 'status', status: 429 }, { times: 5 });
    const err = (await readAll(source()).catch((e: unknown) => e)) as GraphReadError;
    expect(err).toBeInstanceOf(GraphReadError);
    expect(err.status).toBe(429);
    expect(err.message).toMatch(
      /^Graph answered 429 TooManyRequests reading page 1: An error has occurred - Operation ID \(for customer support\): [\w-]+ - Activity ID: [\w-]+ - Url: https:\/\/fef\.msua06\.manage\.microsoft\.com\/StatelessAuditingFEService\/deviceManagement\/auditEvents - /,
    );
    expect(err.message).not.toMatch(/[?&]\$filter|api-version|_version|\\"/);
    expect(err.message).toContain('gave up after 1 retries');
    expect(sim.requests).toHaveLength(2);
  });

  it('a deadline that has passed throws a deadline error before any request', async () => {
    const { sim, source } = await setUp();
    const err = (await readAll(source(), { deadline: new Date(Date.now() - 1) }).catch(
      (e: unknown) => e,
    )) as GraphReadError;
    expect(err.kind).toBe('deadline');
    expect(sim.requests).toHaveLength(0);
  });

  it('a retry wait that would pass the deadline is not waited for', async () => {
    const { sim, source } = await setUp();
    sim.injectFault({ kind: 'status', status: 429, retryAfterSeconds: 20 });
    const err = (await readAll(source(), { deadline: new Date(Date.now() + 5_000) }).catch(
      (e: unknown) => e,
    )) as GraphReadError;
    expect(err.status).toBe(429);
    expect(err.message).toContain("would pass the run's time budget");
    expect(sim.requests).toHaveLength(1);
  });

  it('Retry-After: 0 is retried at once', async () => {
    const { sim, source } = await setUp();
    sim.injectFault({ kind: 'status', status: 429, retryAfterSeconds: 0 });
    expect([...new Set((await readAll(source())).ids)].sort()).toEqual(nonGet);
    expect(sim.requests[1].status).toBe(200);
  });
});
