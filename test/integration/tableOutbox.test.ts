import { randomUUID } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { AlertAccumulator, type PendingAlert } from '../../src/dispatch/alertAccumulator';
import type { MatchRef } from '../../src/dispatch/outbox';
import { defaultRulePack } from '../../src/rules/defaultRulePack';
import { RequestCounter, TableClients, tableNames } from '../../src/state/tableClients';
import { TableOutbox } from '../../src/state/tableOutbox';
import { sampleEvent } from '../helpers/alertFixtures';

function setup() {
  const counter = new RequestCounter();
  const tenant = `t${randomUUID().replace(/-/g, '').slice(0, 10)}`;
  const tables = new TableClients({ connectionString: inject('tablesConnectionString'), tablePrefix: tenant, counter });
  return { outbox: new TableOutbox(tables), tables, tenant, counter };
}

const rule = defaultRulePack[1];
function pending(
  tenant: string,
  ids: string[],
  at = '2026-11-20T10:00:00.0000000Z',
  r = rule,
  extra: Record<string, unknown> = {},
): PendingAlert {
  const acc = new AlertAccumulator(5);
  ids.forEach((id, i) =>
    acc.add(r, sampleEvent({ id, activityDateTime: at, activityTimeInMs: Date.parse(at) + i, ...extra })),
  );
  return acc.drain(tenant, new Date(at))[0];
}
const matchesOf = (p: PendingAlert): MatchRef[] =>
  p.eventKeys.map((k) => ({ ruleId: p.alert.ruleId, eventId: k.id, timeInMs: k.timeInMs }));
const from = Date.parse('2026-11-20T09:00:00Z');

describe('TableOutbox on Azurite: matches, alerts and counters in one transaction', () => {
  it('records an alert, its deliveries and its matches at once; per rule; a stale version is refused whole', async () => {
    const { outbox, tenant, counter } = setup();
    const p = pending(tenant, ['e1', 'e2', 'e/3#?']);
    const v0 = (await outbox.loadMatches(tenant, from)).version;
    const before = counter.count;
    const r = await outbox.recordMatches(
      tenant,
      { matches: matchesOf(p), recordedAs: p.alert.id, alert: p, channels: ['teams', 'mail'] },
      v0,
    );
    expect(r.outcome).toBe('written');
    expect(counter.count - before).toBe(1);
    const seen = await outbox.loadMatches(tenant, from);
    expect(['e1', 'e2', 'e/3#?'].map((id) => seen.has(rule.id, id))).toEqual([true, true, true]);
    expect(seen.has('another-rule', 'e1')).toBe(false); // an event matching two rules is two matches
    expect(seen.has(rule.id, 'e4')).toBe(false);
    // A concurrent run that read before the write: its write is refused and nothing of it lands.
    const other = pending(tenant, ['e9'], undefined, defaultRulePack[2]);
    expect(
      await outbox.recordMatches(
        tenant,
        { matches: matchesOf(other), recordedAs: other.alert.id, alert: other, channels: ['teams'] },
        v0,
      ),
    ).toEqual({ outcome: 'conflict' });
    expect((await outbox.loadMatches(tenant, from)).has(defaultRulePack[2].id, 'e9')).toBe(false);
    const [entry] = await outbox.listAlerts(tenant);
    expect(entry.alert).toEqual(p.alert);
    expect(entry.deliveries.map((d) => [d.channelId, d.state, d.priority])).toEqual([
      ['mail', 'pending', 1],
      ['teams', 'pending', 1],
    ]);
    expect(await outbox.listAlerts(tenant)).toHaveLength(1);
  });

  it('records 10,000 matches of one alert in one transaction', async () => {
    const { outbox, tenant, counter } = setup();
    const p = pending(
      tenant,
      Array.from({ length: 10_000 }, (_, i) => `ev-${i}`),
    );
    const v = (await outbox.loadMatches(tenant, from)).version;
    const before = counter.count;
    expect(
      (
        await outbox.recordMatches(
          tenant,
          { matches: matchesOf(p), recordedAs: p.alert.id, alert: p, channels: ['teams'] },
          v,
        )
      ).outcome,
    ).toBe('written');
    expect(counter.count - before).toBe(1);
    const seen = await outbox.loadMatches(tenant, from);
    expect(seen.size).toBe(10_000);
  });

  it('stores any event: a 200,000-character PEM, U+2028, lone surrogates and a 5,000-character id with key characters', async () => {
    const { outbox, tenant } = setup();
    const pem = `-----BEGIN CERTIFICATE-----\n${'A'.repeat(200_000)}\n-----END CERTIFICATE-----`;
    const longId = `${'x/#?\\'.repeat(1000)}\ud800`;
    const p = pending(tenant, [longId, 'e2'], undefined, rule, {
      resources: [
        {
          displayName: `CA \u2028 name \udc00 ${'n'.repeat(7000)}`,
          type: 'CloudCertificationAuthority',
          resourceId: 'ca1',
          modifiedProperties: [{ name: 'Certificate', oldValue: null, newValue: pem }],
        },
      ],
      actor: { ...sampleEvent().actor, userPrincipalName: `${'u'.repeat(33_000)}@contoso.com` },
    });
    const v = (await outbox.loadMatches(tenant, from)).version;
    expect(
      (
        await outbox.recordMatches(
          tenant,
          { matches: matchesOf(p), recordedAs: p.alert.id, alert: p, channels: ['teams'] },
          v,
        )
      ).outcome,
    ).toBe('written');
    expect((await outbox.loadMatches(tenant, from)).has(rule.id, longId)).toBe(true);
    const stored = (await outbox.getAlert(tenant, p.alert.id))!;
    expect(stored.eventCount).toBe(2);
    expect(stored.sampleReduced).toBe(true);
    expect(stored.events.length).toBeGreaterThanOrEqual(1);
    expect(JSON.stringify(stored.events)).toContain('more characters]');
    expect(JSON.stringify(stored.events)).not.toMatch(/\u2028/);
  });

  it('a threshold counter is written with the matches it counted; a stale counter is refused with them', async () => {
    const { outbox, tenant } = setup();
    const v = (await outbox.loadMatches(tenant, from)).version;
    const counter = {
      ruleId: 'mass',
      groupKey: `alice\ud800@contoso.com/${'k'.repeat(2000)}`,
      state: { buckets: [[29_000_000, 3]] as [number, number][] },
      lastEventAt: '2026-11-20T10:00:00Z',
      updatedAt: '2026-11-20T10:00:00Z',
    };
    const m: MatchRef[] = [{ ruleId: 'mass', eventId: 'r1', timeInMs: from + 1 }];
    const r = await outbox.recordMatches(tenant, { matches: m, recordedAs: 'threshold:mass', counter }, v);
    expect(r.outcome).toBe('written');
    const [stored] = await outbox.loadCounters(tenant, 'mass');
    expect(stored.state).toEqual(counter.state);
    // A second writer that read no counter (no etag) collides with the row now there.
    const again = await outbox.recordMatches(
      tenant,
      { matches: [{ ruleId: 'mass', eventId: 'r2', timeInMs: from + 2 }], recordedAs: 'threshold:mass', counter },
      r.outcome === 'written' ? r.version : undefined,
    );
    expect(again).toEqual({ outcome: 'conflict' });
    expect((await outbox.loadMatches(tenant, from)).has('mass', 'r2')).toBe(false);
    const ok = await outbox.recordMatches(
      tenant,
      {
        matches: [{ ruleId: 'mass', eventId: 'r2', timeInMs: from + 2 }],
        recordedAs: 'threshold:mass',
        counter: { ...counter, etag: stored.etag },
      },
      r.outcome === 'written' ? r.version : undefined,
    );
    expect(ok.outcome).toBe('written');
  });

  it('markers of the per-event design still count as recorded, for every rule', async () => {
    const { outbox, tenant, tables } = setup();
    const client = await tables.get(tableNames.outbox);
    await client.createEntity({ partitionKey: tenant, rowKey: `e|2026-11-20T10:00:00.000Z|old%2fid`, alertId: 'x' });
    const seen = await outbox.loadMatches(tenant, from);
    expect(seen.has('any-rule', 'old/id')).toBe(true);
    expect(seen.has('any-rule', 'other')).toBe(false);
  });

  it('only the first of two claims of a delivery wins (ETag)', async () => {
    const { outbox, tenant } = setup();
    await outbox.writeAlert(pending(tenant, ['e1']), ['teams']);
    const [d] = await outbox.listDue(tenant, new Date('2026-11-20T10:00:00Z'));
    expect(await outbox.updateDelivery(tenant, d, { state: 'sending' })).toBeDefined();
    expect(await outbox.updateDelivery(tenant, d, { state: 'sending' })).toBeUndefined();
  });

  it('quarantine: an item is kept with its matches recorded, listed, and removed', async () => {
    const { outbox, tenant } = setup();
    const p = pending(tenant, ['q1']);
    const v = (await outbox.loadMatches(tenant, from)).version;
    const item = {
      id: p.alert.id,
      kind: 'alert' as const,
      ruleId: rule.id,
      reason: 'refused',
      createdAt: '2026-11-20T10:00:00Z',
      matchCount: 1,
      alert: p.alert,
      channels: ['teams'],
      retries: 0,
    };
    expect((await outbox.quarantine(tenant, item, matchesOf(p), v)).outcome).toBe('written');
    expect((await outbox.loadMatches(tenant, from)).has(rule.id, 'q1')).toBe(true);
    expect(await outbox.listQuarantine(tenant)).toEqual([item]);
    await outbox.updateQuarantine(tenant, item.id, undefined);
    expect(await outbox.listQuarantine(tenant)).toEqual([]);
  });

  it('cleanup removes old match records, legacy markers and finished alerts, and keeps anything still pending', async () => {
    const { outbox, tenant, tables } = setup();
    const oldDone = pending(tenant, ['a1'], '2026-10-01T00:00:00.0000000Z');
    const oldPending = pending(tenant, ['b1'], '2026-10-01T00:00:01.0000000Z', defaultRulePack[2]);
    const recent = pending(tenant, ['c1'], '2026-11-20T00:00:00.0000000Z', defaultRulePack[3]);
    let v = (await outbox.loadMatches(tenant, 0)).version;
    for (const p of [oldDone, oldPending, recent]) {
      const r = await outbox.recordMatches(
        tenant,
        { matches: matchesOf(p), recordedAs: p.alert.id, alert: p, channels: ['teams'] },
        v,
      );
      v = r.outcome === 'written' ? r.version : v;
    }
    await (
      await tables.get(tableNames.outbox)
    ).createEntity({ partitionKey: tenant, rowKey: 'e|2026-10-01T00:00:00.000Z|legacy', alertId: 'x' });
    const due = await outbox.listDue(tenant, new Date('2026-11-21T00:00:00Z'));
    await outbox.updateDelivery(
      tenant,
      due.find((d) => d.alertId === oldDone.alert.id)!,
      { state: 'sent' },
    );
    const { deleted } = await outbox.cleanup(tenant, new Date('2026-11-21T00:00:00Z'), {
      seenBefore: new Date('2026-11-01T00:00:00Z'),
      deliveredBefore: new Date('2026-11-01T00:00:00Z'),
    });
    expect(deleted).toBe(5); // two old match rows, the legacy marker, the finished alert and its delivery
    expect((await outbox.listAlerts(tenant)).map((a) => a.alert.id).sort()).toEqual(
      [oldPending.alert.id, recent.alert.id].sort(),
    );
    const seen = await outbox.loadMatches(tenant, 0);
    expect([seen.has(rule.id, 'a1'), seen.has(defaultRulePack[3].id, 'c1')]).toEqual([false, true]);
  });
});
