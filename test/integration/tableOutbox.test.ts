import { randomUUID } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { AlertAccumulator } from '../../src/dispatch/alertAccumulator';
import { defaultRulePack } from '../../src/rules/defaultRulePack';
import { RequestCounter, TableClients } from '../../src/state/tableClients';
import { TableOutbox } from '../../src/state/tableOutbox';
import { sampleEvent } from '../helpers/alertFixtures';

function setup() {
  const counter = new RequestCounter();
  const tenant = `t${randomUUID().replace(/-/g, '').slice(0, 10)}`;
  const tables = new TableClients({ connectionString: inject('tablesConnectionString'), tablePrefix: tenant, counter });
  return { outbox: new TableOutbox(tables), tenant, counter };
}

function pending(tenant: string, ids: string[], at = '2026-11-20T10:00:00.0000000Z', rule = defaultRulePack[1]) {
  const acc = new AlertAccumulator(5);
  ids.forEach((id, i) => acc.add(rule, sampleEvent({ id, activityDateTime: at, activityTimeInMs: Date.parse(at) + i })));
  return acc.drain(tenant, new Date(at))[0];
}

describe('TableOutbox on Azurite', () => {
  it('writes the alert, its deliveries and event markers; re-writing the same alert is a conflict that writes nothing', async () => {
    const { outbox, tenant } = setup();
    const p = pending(tenant, ['e1', 'e2', 'e/3#?']);
    expect(await outbox.writeAlert(p, ['teams', 'mail'])).toBe('created');
    expect(await outbox.writeAlert(p, ['teams', 'mail'])).toBe('conflict');
    expect(await outbox.filterUnseen(tenant, [...p.eventKeys, { id: 'e4', timeInMs: p.eventKeys[0].timeInMs }])).toEqual([{ id: 'e4', timeInMs: p.eventKeys[0].timeInMs }]);
    const [entry] = await outbox.listAlerts(tenant);
    expect(entry.alert).toEqual(p.alert);
    expect(entry.deliveries.map((d) => [d.channelId, d.state, d.priority])).toEqual([['mail', 'pending', 1], ['teams', 'pending', 1]]);
  });

  it('another alert claiming an already-alerted event conflicts as a whole (no partial write)', async () => {
    const { outbox, tenant } = setup();
    await outbox.writeAlert(pending(tenant, ['e1', 'e2']), ['teams']);
    const acc = new AlertAccumulator(5);
    acc.add(defaultRulePack[1], sampleEvent({ id: 'e0', activityTimeInMs: Date.parse('2026-11-20T09:59:00Z') }));
    acc.add(defaultRulePack[1], sampleEvent({ id: 'e2', activityTimeInMs: Date.parse('2026-11-20T10:00:00Z') + 1 }));
    const overlapping = acc.drain(tenant, new Date())[0];
    expect(await outbox.writeAlert(overlapping, ['teams'])).toBe('conflict');
    expect(await outbox.listAlerts(tenant)).toHaveLength(1);
    expect((await outbox.filterUnseen(tenant, overlapping.eventKeys)).map((k) => k.id)).toEqual(['e0']);
  });

  it('marks every event of a 1,000-event alert, batching writes 100 at a time', async () => {
    const { outbox, tenant, counter } = setup();
    const ids = Array.from({ length: 1000 }, (_, i) => `ev-${i}`);
    const p = pending(tenant, ids);
    await outbox.filterUnseen(tenant, p.eventKeys); // creates the table
    const before = counter.count;
    await outbox.writeAlert(p, ['teams']);
    expect(counter.count - before).toBe(11);
    expect(await outbox.filterUnseen(tenant, p.eventKeys)).toEqual([]);
  });

  it('loads the alerted events of a time range in one query, and declines past its limit', async () => {
    const { outbox, tenant, counter } = setup();
    const p = pending(tenant, ['k1', 'k2', 'k3']);
    await outbox.writeAlert(p, ['teams']);
    const from = p.eventKeys[0].timeInMs;
    const before = counter.count;
    const seen = await outbox.loadSeen(tenant, from, from + 10, 100);
    expect(counter.count - before).toBe(1);
    expect(p.eventKeys.map((k) => seen!.has(k))).toEqual([true, true, true]);
    expect(seen!.has({ id: 'k4', timeInMs: from })).toBe(false);
    expect(seen!.has({ id: 'k1', timeInMs: from + 5 })).toBe(false);
    expect(await outbox.loadSeen(tenant, from, from + 10, 2)).toBeUndefined();
  });

  it('only the first of two claims of a delivery wins (ETag)', async () => {
    const { outbox, tenant } = setup();
    await outbox.writeAlert(pending(tenant, ['e1']), ['teams']);
    const [d] = await outbox.listDue(tenant, new Date('2026-11-20T10:00:00Z'));
    expect(await outbox.updateDelivery(tenant, d, { state: 'sending' })).toBeDefined();
    expect(await outbox.updateDelivery(tenant, d, { state: 'sending' })).toBeUndefined();
  });

  it('cleanup removes old event markers and finished alerts, and keeps anything still pending', async () => {
    const { outbox, tenant } = setup();
    const oldDone = pending(tenant, ['a1'], '2026-10-01T00:00:00.0000000Z');
    const oldPending = pending(tenant, ['b1'], '2026-10-01T00:00:01.0000000Z', defaultRulePack[2]);
    const recent = pending(tenant, ['c1'], '2026-11-20T00:00:00.0000000Z', defaultRulePack[3]);
    for (const p of [oldDone, oldPending, recent]) await outbox.writeAlert(p, ['teams']);
    const due = await outbox.listDue(tenant, new Date('2026-11-21T00:00:00Z'));
    await outbox.updateDelivery(tenant, due.find((d) => d.alertId === oldDone.alert.id)!, { state: 'sent' });
    const { deleted } = await outbox.cleanup(tenant, new Date('2026-11-21T00:00:00Z'), { seenBefore: new Date('2026-11-01T00:00:00Z'), deliveredBefore: new Date('2026-11-01T00:00:00Z') });
    expect(deleted).toBe(4); // two old markers, the finished alert and its delivery
    expect((await outbox.listAlerts(tenant)).map((a) => a.alert.id).sort()).toEqual([oldPending.alert.id, recent.alert.id].sort());
    expect((await outbox.filterUnseen(tenant, [...oldDone.eventKeys, ...recent.eventKeys])).map((k) => k.id)).toEqual(['a1']);
  });
});
