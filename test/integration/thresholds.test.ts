import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Services } from '../../src/composition/services';
import type { AlertRule } from '../../src/rules/alertRule';
import { defaultRulePackVersion } from '../../src/rules/defaultRulePack';
import { tableNames } from '../../src/state/tableClients';
import { cloudPkiActivityTypes as T } from '../helpers/alertFixtures';
import { graphEvent, minutesBefore } from '../helpers/graphEvents';
import { acceptedCards, type Pipeline, startPipeline } from '../helpers/pipeline';

const massRevocation: AlertRule = {
  id: 'mass-revocation',
  name: 'Mass leaf revocation',
  enabled: true,
  severity: 'high',
  activityTypes: [T.leafRevoked],
  threshold: { count: 20, windowInMinutes: 10, groupBy: 'actor' },
  channels: ['default'],
};

let p: Pipeline;
beforeEach(async () => {
  p = await startPipeline();
  // Only the threshold rule: the pack version is recorded so no pack rule is added.
  const s = p.services();
  await s.rules.create(p.tenantId, massRevocation, { by: 'test', at: p.clock.now.toISOString() });
  await s.rules.savePackVersion(p.tenantId, defaultRulePackVersion, undefined);
});
afterEach(async () => p.close());

const revocations = (n: number, upn: string, startMinutesAgo: number, caName = 'Contoso Issuing CA 01') =>
  Array.from({ length: n }, (_, i) =>
    graphEvent({
      type: T.leafRevoked,
      upn,
      caName,
      at: new Date(minutesBefore(p.clock.now, startMinutesAgo).getTime() + i * 5_000),
    }),
  );

const tableRequests = (s: Services) => new Map(s.counters.tableRequests.byTable);
/** Cards of the threshold rule (the watchdog may post about the clock jumps these tests make). */
const thresholdCards = () => acceptedCards(p).filter((c) => c.text.includes('rule mass-revocation'));

describe('threshold rules', () => {
  it('count across runs and restarts: 12 + 10 revocations by one actor within 10 minutes give ONE alert naming the count, the actor and the CAs', async () => {
    p.sim.addEvents([...revocations(12, 'alice@contoso.com', 6), ...revocations(5, 'bob@contoso.com', 6)]);
    const r1 = await p.services().cycle(p.log); // a fresh "process" per run: counts live in ThresholdState
    expect(r1.poll).toMatchObject({ events: 17, matches: 17, thresholdCounted: 17, alerts: 0 });
    expect(thresholdCards()).toHaveLength(0);

    p.advance(2);
    p.sim.addEvents(revocations(10, 'alice@contoso.com', 2, 'Contoso Issuing CA 02'));
    const r2 = await p.services().cycle(p.log);
    expect(r2.poll).toMatchObject({ thresholdCounted: 10, alerts: 1, duplicates: 17 });
    const cards = thresholdCards();
    expect(cards).toHaveLength(1);
    expect(cards[0].text).toContain('22 events');
    expect(cards[0].text).toContain('22 matching events within 10 min by alice@contoso.com (threshold 20)');
    expect(cards[0].text).toContain('CAs: Contoso Issuing CA 02');

    // Re-reads are de-duplicated: nothing is counted twice, nothing alerts again; bob stays below.
    p.advance(1);
    const r3 = await p.services().cycle(p.log);
    expect(r3.poll).toMatchObject({ thresholdCounted: 0, alerts: 0 });
    expect(thresholdCards()).toHaveLength(1);
  });

  it('stays silent below the threshold, and counts each actor apart', async () => {
    p.sim.addEvents([...revocations(10, 'alice@contoso.com', 8), ...revocations(10, 'bob@contoso.com', 8)]);
    await p.services().cycle(p.log);
    p.advance(3);
    p.sim.addEvents([...revocations(9, 'alice@contoso.com', 2), ...revocations(9, 'bob@contoso.com', 2)]);
    const r = await p.services().cycle(p.log);
    expect(r.poll).toMatchObject({ thresholdCounted: 18, alerts: 0 });
    expect(thresholdCards()).toHaveLength(0);
    // Counters live beside the matches they counted (one transaction), in the outbox partition.
    const client = await p.services().tables.get(tableNames.outbox);
    const rows = [];
    for await (const e of client.listEntities({
      queryOptions: { filter: `PartitionKey eq '${p.tenantId}' and RowKey ge 't|' and RowKey lt 't}'` },
    }))
      rows.push(e.groupKey);
    expect(rows.sort()).toEqual(['alice@contoso.com', 'bob@contoso.com']);
  });

  it('events outside the window do not count together', async () => {
    p.sim.addEvents(revocations(15, 'alice@contoso.com', 40));
    await p.services().cycle(p.log);
    p.advance(30);
    p.sim.addEvents(revocations(15, 'alice@contoso.com', 2));
    const r = await p.services().cycle(p.log);
    expect(r.poll?.thresholdCounted).toBe(15);
    expect(thresholdCards()).toHaveLength(0);
  });

  it('Table transactions do not grow per event: 200 matching events cost about what 20 do', async () => {
    const cost = async (n: number, upn: string) => {
      const s = p.services();
      await s.cycle(p.log); // checkpoint written
      await s.tables.get(tableNames.outbox); // created once per process, not per run
      p.advance(1);
      p.sim.addEvents(
        revocations(n, upn, 1).map((e, i) => ({
          ...e,
          activityDateTime: new Date(minutesBefore(p.clock.now, 1).getTime() + i * 200).toISOString(),
        })),
      );
      const before = tableRequests(s);
      const total0 = s.counters.tableRequests.count;
      const r = await s.cycle(p.log);
      expect(r.poll?.thresholdCounted).toBe(n);
      const after = tableRequests(s);
      const delta = (t: string) => (after.get(t) ?? 0) - (before.get(t) ?? 0);
      return { total: s.counters.tableRequests.count - total0, outbox: delta(tableNames.outbox) };
    };
    const small = await cost(20, 'carol@contoso.com');
    const big = await cost(200, 'dave@contoso.com');
    // Per run: the match version, the recorded matches, the rule's counters, one transaction per (rule, actor)
    // for the threshold and one for the per-event rule's alert, the deliveries: whatever the number of events.
    // (and the delivery stage's reads and updates of two alerts).
    expect(small.outbox).toBeLessThanOrEqual(14);
    expect(big.outbox).toBeLessThanOrEqual(small.outbox + 1);
    expect(big.total - small.total).toBeLessThanOrEqual(1);
    expect(thresholdCards()).toHaveLength(2);
  });
});
