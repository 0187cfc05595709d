import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BacktestProgress } from '../../src/app/backtest';
import { backtestHandler } from '../../src/functions/backtest';
import type { AlertRule } from '../../src/rules/alertRule';
import { cloudPkiActivityTypes as T } from '../helpers/alertFixtures';
import { callApi } from '../helpers/apiCalls';
import { graphEvent, minutesBefore } from '../helpers/graphEvents';
import { type Pipeline, startPipeline, usePipelineEnvironment } from '../helpers/pipeline';

const caDeleted: AlertRule = {
  id: 'draft-ca-deleted',
  name: 'CA deleted (draft)',
  enabled: false,
  severity: 'high',
  activityTypes: [T.caDeleted],
  channels: ['default'],
};
const massRevocation: AlertRule = {
  id: 'draft-mass',
  name: 'Mass revocation (draft)',
  enabled: true,
  severity: 'high',
  activityTypes: [T.leafRevoked],
  threshold: { count: 20, windowInMinutes: 10, groupBy: 'actor' },
  channels: ['default'],
};
const daysAgo = (p: Pipeline, d: number) => minutesBefore(p.clock.now, d * 24 * 60);
const burst = (p: Pipeline, n: number, upn: string, at: Date) =>
  Array.from({ length: n }, (_, i) => graphEvent({ type: T.leafRevoked, upn, at: new Date(at.getTime() + i * 5_000) }));

describe('backtest (use case, Graph simulator through the Graph SDK)', () => {
  let p: Pipeline;
  beforeEach(async () => {
    p = await startPipeline();
  });
  afterEach(async () => p.close());

  function history() {
    // 250 events over four days: 3 CA deletions, a burst of 25 revocations by alice, 10 by bob, noise.
    p.sim.addEvents([
      ...Array.from({ length: 212 }, (_, i) =>
        graphEvent({ type: T.caCreated, at: new Date(daysAgo(p, 4).getTime() + i * 60_000) }),
      ),
      graphEvent({ type: T.caDeleted, at: daysAgo(p, 3) }),
      graphEvent({ type: T.caDeleted, at: daysAgo(p, 2) }),
      graphEvent({ type: T.caDeleted, at: daysAgo(p, 1) }),
      ...burst(p, 25, 'alice@contoso.com', daysAgo(p, 2)),
      ...burst(p, 10, 'bob@contoso.com', daysAgo(p, 2)),
    ]);
  }

  it('reads the range page by page and reports what a draft rule (even a disabled one) would have fired, windows ignored', async () => {
    history();
    const progress: BacktestProgress[] = [];
    const s = p.services();
    const r = await s.admin.backtest(
      { rule: caDeleted, from: daysAgo(p, 5).toISOString(), to: p.clock.now.toISOString() },
      { onProgress: (x) => progress.push(x) },
    );
    expect(r).toMatchObject({
      source: 'graph',
      windowsIgnored: true,
      truncated: false,
      scanned: { events: 250, malformed: 0 },
      matches: 3,
    });
    expect(r.scanned.pages).toBeLessThanOrEqual(4); // pages capped below $top (strict simulator)
    expect(r.notes[0]).toMatch(/Change windows are ignored/);
    expect(r.firedEvents.count).toBe(3);
    expect(r.alerts).toMatchObject({ count: 3, truncated: false });
    expect(r.alerts.items.map((a) => a.eventCount)).toEqual([1, 1, 1]);
    expect(progress.map((x) => x.pages)).toEqual(Array.from({ length: r.scanned.pages }, (_, i) => i + 1));
    expect(s.counters.graphRequests).toBe(r.scanned.pages);
    expect(p.sim.requests[0].query).toContain('activityDateTime');
  });

  it('evaluates thresholds over the range: only the actor who reached it fires, and runs group the alerts', async () => {
    history();
    const r = await p
      .services()
      .admin.backtest({ rule: massRevocation, from: daysAgo(p, 5).toISOString(), to: p.clock.now.toISOString() });
    expect(r.matches).toBe(35);
    // The 20th revocation fires with the 19 before it; the 5 after it fire as the burst goes on.
    expect(r.firedEvents.count).toBe(25);
    expect(new Set(r.firedEvents.items.map((e) => e.actor))).toEqual(new Set(['alice@contoso.com']));
    expect(r.alerts.items.every((a) => a.groupKey === 'alice@contoso.com')).toBe(true);
    expect(r.alerts.items.reduce((n, a) => n + a.eventCount, 0)).toBe(25);
  });

  it('cuts a long range at BACKTEST_MAX_PAGES and says where it stopped', async () => {
    await p.close();
    p = await startPipeline({ env: { BACKTEST_MAX_PAGES: '2' } });
    history();
    const r = await p
      .services()
      .admin.backtest({ rule: caDeleted, from: daysAgo(p, 5).toISOString(), to: p.clock.now.toISOString() });
    expect(r.truncated).toBe(true);
    expect(r.scanned.pages).toBe(2);
    expect(r.range?.scannedTo).toBeDefined();
    expect(r.notes.at(-1)).toContain('page budget (2 pages)');
  });

  it('runs over inline events without touching Graph, and caps the lists while counting everything', async () => {
    const events = Array.from({ length: 150 }, (_, i) =>
      graphEvent({ type: T.caDeleted, at: new Date(daysAgo(p, 1).getTime() + i * 60_000) }),
    );
    const s = p.services();
    const r = await s.admin.backtest({ rule: caDeleted, events: [...events, { id: 'broken' }] });
    expect(r).toMatchObject({ source: 'inline', matches: 150, scanned: { events: 150, malformed: 1 } });
    expect(r.firedEvents).toMatchObject({ count: 150, truncated: true });
    expect(r.firedEvents.items).toHaveLength(100);
    expect(r.alerts).toMatchObject({ count: 150, truncated: true });
    expect(r.alerts.items).toHaveLength(50);
    expect(s.counters.graphRequests).toBe(0);
  });

  it('backtests a saved rule by id', async () => {
    const s = p.services();
    await s.rules.create(
      p.tenantId,
      { ...caDeleted, id: 'saved-ca-deleted' },
      { by: 'test', at: p.clock.now.toISOString() },
    );
    const r = await s.admin.backtest({
      ruleId: 'saved-ca-deleted',
      events: [graphEvent({ type: T.caDeleted, at: daysAgo(p, 1) })],
    });
    expect(r.rule.id).toBe('saved-ca-deleted');
    expect(r.firedEvents.count).toBe(1);
  });
});

describe('POST /api/backtest', () => {
  const pipeline = usePipelineEnvironment();
  const post = (body: unknown) => callApi(backtestHandler, { method: 'POST', path: 'backtest', body });
  const iso = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString();

  it('answers 200 with the result', async () => {
    pipeline().sim.addEvents([graphEvent({ type: T.caDeleted, at: new Date(Date.now() - 3_600_000) })]);
    const res = await post({ rule: caDeleted, from: iso(2), to: iso(0) });
    expect(res).toMatchObject({ status: 200, body: { source: 'graph', matches: 1, windowsIgnored: true } });
  });

  it.each([
    ['both rule and ruleId', { rule: caDeleted, ruleId: 'x', from: iso(2), to: iso(1) }, 'rule'],
    ['neither rule nor ruleId', { from: iso(2), to: iso(1) }, 'rule'],
    [
      'an invalid draft rule',
      { rule: { ...caDeleted, severity: 'urgent' }, from: iso(2), to: iso(1) },
      'rule.severity',
    ],
    ['from after to', { rule: caDeleted, from: iso(1), to: iso(2) }, 'to'],
    ['a range over 365 days', { rule: caDeleted, from: iso(366), to: iso(0) }, 'to'],
    ['a start outside the audit retention', { rule: caDeleted, from: iso(400), to: iso(300) }, 'from'],
    ['a date that is not ISO', { rule: caDeleted, from: 'yesterday', to: iso(0) }, 'from'],
    ['events that are not a list', { rule: caDeleted, events: { value: [] } }, 'events'],
    ['both events and a range', { rule: caDeleted, events: [], from: iso(2), to: iso(1) }, 'from'],
  ])('answers 400 for %s', async (_name, body, field) => {
    const res = await post(body);
    expect(res.status).toBe(400);
    expect(res.body.error.problems.map((x: { field: string }) => x.field)).toContain(field);
  });

  it('answers 404 for an unknown saved rule', async () => {
    expect((await post({ ruleId: 'no-such-rule', events: [] })).status).toBe(404);
  });
});
