import { afterEach, describe, expect, it } from 'vitest';
import { tableNames } from '../../src/state/tableClients';
import type { LedgerEntry } from '../../src/watch/runLedger';
import { cloudPkiActivityTypes as T } from '../helpers/alertFixtures';
import { graphEvent, minutesBefore } from '../helpers/graphEvents';
import { type Pipeline, startPipeline, webhookSecret } from '../helpers/pipeline';

let p: Pipeline;
afterEach(async () => p?.close());

const iso = (d: Date) => d.toISOString();
const ledger = async () => (await p.services().watch.store.list(p.tenantId, new Date(0))).reverse(); // oldest first

/** Every run with coverage starts at or before the frontier left by the runs before it: no range skipped. */
function expectContiguous(entries: LedgerEntry[]) {
  let frontier: string | undefined;
  for (const e of entries) {
    if (e.coveredTo && frontier)
      expect(Date.parse(e.windowFrom), `run ${e.startedAt} starts after the frontier`).toBeLessThanOrEqual(
        Date.parse(frontier),
      );
    if (e.frontier) frontier = e.frontier;
  }
}

describe('coverage ledger', () => {
  it('records window, coverage, pages, events, rules, matches, alerts, deliveries, errors and missed occurrences of each run', async () => {
    p = await startPipeline({ env: { GRAPH_PAGE_SIZE: '2', GRAPH_MAX_PAGES_PER_RUN: '2' } });
    const t0 = p.clock.now;
    const types = [
      T.caDeleted,
      T.caCertificateRevoked,
      T.caStatusChanged,
      T.externalCaUploaded,
      T.caCreated,
      T.caPatched,
    ];
    p.sim.addEvents(types.map((type, i) => graphEvent({ type, at: minutesBefore(t0, 10 - i) })));
    const s = () => p.services();
    await s().cycle(p.log); // 1: budget of 2 pages → 4 events, partial coverage
    p.advance(1);
    p.sim.injectFault({ kind: 'status', status: 403 }, { times: 1 });
    await s().cycle(p.log, { trigger: 'timer', pastDue: true }); // 2: Graph 403, a missed occurrence
    p.advance(1);
    await s().cycle(p.log); // 3: goes on from the checkpoint (re-reading the lookback)
    p.advance(1);
    p.sim.injectFault({ kind: 'status', status: 500 }, { times: 1 });
    await s().cycle(p.log, { trigger: 'cli' }); // 4: Graph 500
    p.advance(1);
    await s().cycle(p.log); // 5: lookback re-reads the old events; budget again → partial, behind the frontier

    const e = await ledger();
    expect(e.map((x) => [x.basis, x.pollFailed, x.graphStatus, x.pastDue, x.trigger])).toEqual([
      ['first-run', false, 0, false, 'timer'],
      ['lookback', true, 403, true, 'timer'],
      ['lookback', false, 0, false, 'timer'],
      ['lookback', true, 500, false, 'cli'],
      ['lookback', false, 0, false, 'timer'],
    ]);
    // 1: a budget of 2 pages does not cover the hour: partial coverage, some alerts, the rules evaluated.
    expect(e[0]).toMatchObject({
      windowFrom: iso(minutesBefore(t0, 60)),
      windowTo: iso(t0),
      budgetExhausted: true,
      rulesEvaluated: 10,
    });
    expect(e[0].pages).toBeLessThanOrEqual(3);
    expect(e[1]).toMatchObject({ coveredTo: '', events: 0, error: expect.stringMatching(/403/) });
    expect(e[3]).toMatchObject({ coveredTo: '', error: expect.stringMatching(/500/) });
    // Quiet runs until caught up: every one of the six events alerted exactly once, and no range skipped.
    for (let i = 0; i < 30 && !(await s().checkpoints.get(p.tenantId))?.checkpoint.complete; i++) {
      p.advance(1);
      await s().cycle(p.log);
    }
    const all = await ledger();
    expect(all.reduce((n, x) => n + x.alerts, 0)).toBe(6);
    expect(all.filter((x) => x.gapFrom)).toEqual([]);
    const frontiers = all.map((x) => x.frontier);
    expect([...frontiers].sort()).toEqual(frontiers);
    for (const x of e) expect(x.graphRequests).toBeGreaterThan(0);
    expectContiguous(e);
    expect(JSON.stringify(e)).not.toContain(webhookSecret);
  });

  it('an idle poll costs 1 Graph request and at most 3 Table transactions (checkpoint, ledger row and watchdog state share one)', async () => {
    p = await startPipeline();
    const s = p.services();
    await s.cycle(p.log);
    p.advance(1);
    await s.cycle(p.log); // warm: tables exist, rules seeded
    p.advance(1);
    const tables0 = s.counters.tableRequests.count;
    const graph0 = s.counters.graphRequests;
    const r = await s.cycle(p.log);
    expect(s.counters.graphRequests - graph0).toBe(1);
    expect(s.counters.tableRequests.count - tables0).toBeLessThanOrEqual(3);
    expect(r.watch?.entry.tableRequests).toBe(s.counters.tableRequests.count - tables0);
  });

  it('keeps LEDGER_RETENTION_DAYS of rows: older rows are removed by the hourly cleanup', async () => {
    p = await startPipeline({ env: { LEDGER_RETENTION_DAYS: '1' } });
    await p.services().cycle(p.log);
    p.advance(60);
    await p.services().cycle(p.log);
    expect(await ledger()).toHaveLength(2);
    p.advance(24 * 60 - 30);
    await p.services().cycle(p.log);
    const left = await ledger();
    expect(left.map((x) => x.startedAt)).toEqual([iso(minutesBefore(p.clock.now, 24 * 60 - 30)), iso(p.clock.now)]);
    expect(p.logs.some((l) => l.includes('Ledger cleanup removed 1 run row(s) older than 1 days'))).toBe(true);
  });

  it('a run that crashed after moving the checkpoint (its coverage unrecorded) does not make a false gap', async () => {
    p = await startPipeline({ env: { LOOKBACK_MINUTES: '15' } });
    await p.services().cycle(p.log);
    p.advance(60); // a 1 h outage: the next run catches up 60 min, more than the lookback
    const crash = (step: string) => {
      if (step === 'checkpoint-advanced') throw new Error('simulated crash after the checkpoint moved');
    };
    const crashed = await p.services({ afterPollStep: crash }).cycle(p.log);
    expect(crashed.watch?.entry).toMatchObject({ pollFailed: true, coveredTo: '' });
    p.advance(1);
    const next = await p.services().cycle(p.log);
    expect(next.watch?.entry).toMatchObject({ gapFrom: '', windowFrom: iso(minutesBefore(p.clock.now, 16)) });
    expect(next.watch?.transitions.map((t) => t.incident.key)).not.toContain('coverage-gap');
  });

  it('rebuilds the frontier from the ledger when the watchdog state row is lost too, so a gap is still found', async () => {
    p = await startPipeline({ env: { INITIAL_LOOKBACK_MINUTES: '30' } });
    await p.services().cycle(p.log);
    const pollState = await p.services().tables.get(tableNames.pollState);
    await pollState.deleteEntity(p.tenantId, 'checkpoint');
    await pollState.deleteEntity(p.tenantId, 'checkpoint.watchdog');
    p.advance(120);
    const r = await p.services().cycle(p.log);
    expect(r.watch?.entry).toMatchObject({
      gapFrom: iso(minutesBefore(p.clock.now, 120)),
      gapTo: iso(minutesBefore(p.clock.now, 30)),
    });
    expect(r.watch?.transitions.map((t) => `${t.change} ${t.incident.key}`)).toEqual(['opened coverage-gap']);
  });
});
