import { describe, expect, it } from 'vitest';
import { AlertAccumulator, type PendingAlert } from '../../src/dispatch/alertAccumulator';
import type { MatchRef, MatchWrite, Outbox, QuarantineItem } from '../../src/dispatch/outbox';
import type { AlertRule } from '../../src/rules/alertRule';
import { defaultRulePack } from '../../src/rules/defaultRulePack';
import { sampleEvent } from '../helpers/alertFixtures';

/** A fresh, empty outbox and the tenant to use (each call: a new tenant, so tests never see each other's rows). */
export type OutboxFactory = () => Promise<{ outbox: Outbox; tenantId: string }> | { outbox: Outbox; tenantId: string };

const bySeverity = (severity: AlertRule['severity']) =>
  defaultRulePack.find((r) => r.severity === severity && !r.threshold)!;
const [critical, high, medium] = [bySeverity('critical'), bySeverity('high'), bySeverity('medium')];
const from = Date.parse('2026-11-20T09:00:00Z');

function pending(tenantId: string, rule: AlertRule, ids: string[], at = '2026-11-20T10:00:00.0000000Z'): PendingAlert {
  const acc = new AlertAccumulator(5);
  ids.forEach((id, i) =>
    acc.add(rule, sampleEvent({ id, activityDateTime: at, activityTimeInMs: Date.parse(at) + i })),
  );
  return acc.drain(tenantId, new Date(at))[0];
}
const matchesOf = (p: PendingAlert): MatchRef[] =>
  p.eventKeys.map((k) => ({ ruleId: p.alert.ruleId, eventId: k.id, timeInMs: k.timeInMs }));
const alertWrite = (p: PendingAlert, channels = ['teams']): MatchWrite => ({
  matches: matchesOf(p),
  recordedAs: p.alert.id,
  alert: p,
  channels,
});

/** Writes and returns the new version; fails the test on a conflict. */
async function written(
  outbox: Outbox,
  tenantId: string,
  write: MatchWrite,
  version: string | undefined,
): Promise<string | undefined> {
  const r = await outbox.recordMatches(tenantId, write, version);
  expect(r.outcome).toBe('written');
  return r.outcome === 'written' ? r.version : undefined;
}

/**
 * The behaviours of an Outbox that the pipeline relies on (docs/detection-model.md), for any implementation:
 * src/state/tableOutbox.ts on Azurite and test/fakes/inMemoryOutbox.ts run this same suite.
 */
export function outboxContract(name: string, factory: OutboxFactory): void {
  describe(`Outbox contract: ${name}`, () => {
    it('records per match: an event under two rules is two matches, each recorded on its own', async () => {
      const { outbox, tenantId } = await factory();
      const v0 = (await outbox.loadMatches(tenantId, from)).version;
      const byCritical = pending(tenantId, critical, ['e1', 'e/2#?']);
      const v1 = await written(outbox, tenantId, alertWrite(byCritical), v0);
      let seen = await outbox.loadMatches(tenantId, from);
      expect([
        seen.has(critical.id, 'e1'),
        seen.has(critical.id, 'e/2#?'),
        seen.has(high.id, 'e1'),
        seen.has(critical.id, 'e3'),
      ]).toEqual([true, true, false, false]);
      expect(seen.size).toBe(2);
      // The same event matched by a second rule: a second match, with an alert of its own.
      const byHigh = pending(tenantId, high, ['e1']);
      await written(outbox, tenantId, alertWrite(byHigh), v1);
      seen = await outbox.loadMatches(tenantId, from);
      expect([seen.has(critical.id, 'e1'), seen.has(high.id, 'e1')]).toEqual([true, true]);
      expect(seen.size).toBe(3);
      expect((await outbox.listAlerts(tenantId)).map((a) => a.alert.id).sort()).toEqual(
        [byCritical.alert.id, byHigh.alert.id].sort(),
      );
    });

    it('loads the matches of events from a time on, as a snapshot with the version it was read at', async () => {
      const { outbox, tenantId } = await factory();
      const early = pending(tenantId, critical, ['old'], '2026-11-20T08:00:00.0000000Z');
      const late = pending(tenantId, high, ['new'], '2026-11-20T10:00:00.0000000Z');
      const v1 = await written(outbox, tenantId, alertWrite(early), undefined);
      const snapshot = await outbox.loadMatches(tenantId, from);
      expect(snapshot.version).toBe(v1);
      await written(outbox, tenantId, alertWrite(late), v1);
      expect([snapshot.has(critical.id, 'old'), snapshot.has(high.id, 'new')]).toEqual([false, false]);
      const now = await outbox.loadMatches(tenantId, from);
      expect([now.has(critical.id, 'old'), now.has(high.id, 'new')]).toEqual([false, true]);
      expect(now.version).not.toBe(v1);
      expect((await outbox.loadMatches(tenantId, 0)).has(critical.id, 'old')).toBe(true);
    });

    it('a write with a stale version writes nothing: no match, no alert, no delivery, no counter', async () => {
      const { outbox, tenantId } = await factory();
      const v0 = (await outbox.loadMatches(tenantId, from)).version;
      expect(v0).toBeUndefined();
      const first = pending(tenantId, critical, ['e1']);
      const v1 = await written(outbox, tenantId, alertWrite(first), v0);
      // A run that read before that write (v0): refused whole.
      const late = pending(tenantId, high, ['e9']);
      const counter = {
        ruleId: high.id,
        groupKey: 'alice@contoso.com',
        state: { buckets: [[29_000_000, 1]] as [number, number][] },
        lastEventAt: '2026-11-20T10:00:00Z',
        updatedAt: '2026-11-20T10:00:00Z',
      };
      expect(await outbox.recordMatches(tenantId, { ...alertWrite(late), counter }, v0)).toEqual({
        outcome: 'conflict',
      });
      const seen = await outbox.loadMatches(tenantId, from);
      expect(seen.has(high.id, 'e9')).toBe(false);
      expect(seen.version).toBe(v1);
      expect(await outbox.getAlert(tenantId, late.alert.id)).toBeUndefined();
      expect(await outbox.getAlertStatus(tenantId, late.alert.id)).toBeUndefined();
      expect(await outbox.loadCounters(tenantId, high.id)).toEqual([]);
      expect((await outbox.listDue(tenantId, new Date('2026-11-21T00:00:00Z'))).map((d) => d.alertId)).toEqual([
        first.alert.id,
      ]);
      // A made-up version is stale too; the current one writes.
      expect(await outbox.recordMatches(tenantId, alertWrite(late), 'W/"not-a-version"')).toEqual({
        outcome: 'conflict',
      });
      await written(outbox, tenantId, alertWrite(late), v1);
    });

    it('an alert is written with its deliveries and matches; the same alert id again is a conflict that writes nothing', async () => {
      const { outbox, tenantId } = await factory();
      const p = pending(tenantId, critical, ['e1', 'e2']);
      const v1 = await written(outbox, tenantId, alertWrite(p, ['teams', 'mail']), undefined);
      const status = (await outbox.getAlertStatus(tenantId, p.alert.id))!;
      expect(status.alert).toEqual(p.alert);
      expect(await outbox.getAlert(tenantId, p.alert.id)).toEqual(p.alert);
      expect(
        status.deliveries.map((d) => ({
          id: d.id,
          channelId: d.channelId,
          state: d.state,
          attempts: d.attempts,
          priority: d.priority,
          possibleDuplicate: d.possibleDuplicate,
          nextAttemptAt: d.nextAttemptAt,
        })),
      ).toEqual([
        {
          id: `${p.alert.id}.mail`,
          channelId: 'mail',
          state: 'pending',
          attempts: 0,
          priority: 0,
          possibleDuplicate: false,
          nextAttemptAt: p.alert.createdAt,
        },
        {
          id: `${p.alert.id}.teams`,
          channelId: 'teams',
          state: 'pending',
          attempts: 0,
          priority: 0,
          possibleDuplicate: false,
          nextAttemptAt: p.alert.createdAt,
        },
      ]);
      // The same alert id (a concurrent run rebuilt the same first event) with a current version: refused, matches unrecorded.
      const again = {
        ...alertWrite(p, ['teams']),
        matches: [{ ruleId: critical.id, eventId: 'e3', timeInMs: from + 3 }],
      };
      expect(await outbox.recordMatches(tenantId, again, v1)).toEqual({ outcome: 'conflict' });
      expect((await outbox.loadMatches(tenantId, from)).has(critical.id, 'e3')).toBe(false);
      expect((await outbox.getAlertStatus(tenantId, p.alert.id))!.deliveries).toHaveLength(2);
    });

    it('a threshold counter is ETag-guarded: created once, updated only from the version read, dropped in a write', async () => {
      const { outbox, tenantId } = await factory();
      const state = { buckets: [[29_000_000, 3]] as [number, number][] };
      const counter = {
        ruleId: 'mass',
        groupKey: 'alice@contoso.com',
        state,
        lastEventAt: '2026-11-20T10:00:00Z',
        updatedAt: '2026-11-20T10:00:00Z',
      };
      const m = (id: string, t = 1): MatchRef[] => [{ ruleId: 'mass', eventId: id, timeInMs: from + t }];
      let v = await written(outbox, tenantId, { matches: m('r1'), recordedAs: 'threshold:mass', counter }, undefined);
      await written(
        outbox,
        tenantId,
        { matches: m('x1'), recordedAs: 'threshold:other', counter: { ...counter, ruleId: 'other' } },
        v,
      ).then((nv) => (v = nv));
      const [stored, ...rest] = await outbox.loadCounters(tenantId, 'mass');
      expect(rest).toEqual([]);
      expect({
        ruleId: stored.ruleId,
        groupKey: stored.groupKey,
        state: stored.state,
        lastEventAt: stored.lastEventAt,
      }).toEqual({ ruleId: 'mass', groupKey: 'alice@contoso.com', state, lastEventAt: counter.lastEventAt });
      expect(stored.etag).toBeTruthy();
      // A writer that read no counter (no etag) collides with the row now there; its matches stay unrecorded.
      expect(
        await outbox.recordMatches(tenantId, { matches: m('r2', 2), recordedAs: 'threshold:mass', counter }, v),
      ).toEqual({ outcome: 'conflict' });
      expect((await outbox.loadMatches(tenantId, from)).has('mass', 'r2')).toBe(false);
      const next = { buckets: [[29_000_000, 4]] as [number, number][] };
      v = await written(
        outbox,
        tenantId,
        { matches: m('r2', 2), recordedAs: 'threshold:mass', counter: { ...counter, state: next, etag: stored.etag } },
        v,
      );
      // The ETag read before that update is stale now, even with the current version.
      expect(
        await outbox.recordMatches(
          tenantId,
          { matches: m('r3', 3), recordedAs: 'threshold:mass', counter: { ...counter, etag: stored.etag } },
          v,
        ),
      ).toEqual({ outcome: 'conflict' });
      const [updated] = await outbox.loadCounters(tenantId, 'mass');
      expect(updated.state).toEqual(next);
      expect(updated.etag).not.toBe(stored.etag);
      await written(
        outbox,
        tenantId,
        { matches: m('r3', 3), recordedAs: 'threshold:mass', dropCounters: [updated] },
        v,
      );
      expect(await outbox.loadCounters(tenantId, 'mass')).toEqual([]);
      expect((await outbox.loadCounters(tenantId, 'other')).map((c) => c.groupKey)).toEqual(['alice@contoso.com']);
      const seen = await outbox.loadMatches(tenantId, from);
      expect(['r1', 'r2', 'r3'].map((id) => seen.has('mass', id))).toEqual([true, true, true]);
    });

    it("keeps the alert's tenant name (cards, payloads and the alerts API name the tenant from it)", async () => {
      const { outbox, tenantId } = await factory();
      const p = pending(tenantId, high, ['t1']);
      const named = { ...p, alert: { ...p.alert, tenantName: 'Contoso Retail' } };
      expect(await outbox.writeAlert(named, ['teams'])).toBe('created');
      expect((await outbox.getAlert(tenantId, p.alert.id))?.tenantName).toBe('Contoso Retail');
      expect((await outbox.listAlerts(tenantId)).map((a) => a.alert.tenantName)).toEqual(['Contoso Retail']);
      const unnamed = pending(tenantId, high, ['t2']);
      await written(outbox, tenantId, alertWrite(unnamed), (await outbox.loadMatches(tenantId, from)).version);
      expect((await outbox.getAlert(tenantId, unnamed.alert.id))?.tenantName).toBeUndefined();
    });

    it('writeAlert records an alert without matches, once: the second write is a conflict; the match version does not move', async () => {
      const { outbox, tenantId } = await factory();
      const v1 = await written(outbox, tenantId, alertWrite(pending(tenantId, high, ['e1'])), undefined);
      const notice = pending(tenantId, critical, ['n1']);
      expect(await outbox.writeAlert(notice, ['teams', 'mail'])).toBe('created');
      expect(await outbox.writeAlert(notice, ['teams', 'mail', 'pager'])).toBe('conflict');
      expect((await outbox.getAlertStatus(tenantId, notice.alert.id))!.deliveries.map((d) => d.channelId)).toEqual([
        'mail',
        'teams',
      ]);
      const seen = await outbox.loadMatches(tenantId, from);
      expect(seen.version).toBe(v1);
      expect(seen.has(critical.id, 'n1')).toBe(false);
    });

    it('lists due deliveries, most severe first, then oldest; a sending one only once its lease ran out', async () => {
      const { outbox, tenantId } = await factory();
      const mediumOld = pending(tenantId, medium, ['m1'], '2026-11-20T10:00:00.0000000Z');
      const criticalNew = pending(tenantId, critical, ['c1'], '2026-11-20T10:05:00.0000000Z');
      const highMid = pending(tenantId, high, ['h1'], '2026-11-20T10:02:00.0000000Z');
      for (const p of [mediumOld, criticalNew, highMid]) expect(await outbox.writeAlert(p, ['teams'])).toBe('created');
      expect((await outbox.listDue(tenantId, new Date('2026-11-20T10:03:00Z'))).map((d) => d.alertId)).toEqual([
        highMid.alert.id,
        mediumOld.alert.id,
      ]);
      const due = await outbox.listDue(tenantId, new Date('2026-11-20T11:00:00Z'));
      expect(due.map((d) => [d.alertId, d.priority])).toEqual([
        [criticalNew.alert.id, 0],
        [highMid.alert.id, 1],
        [mediumOld.alert.id, 2],
      ]);
      const [c, h, m] = due;
      await outbox.updateDelivery(tenantId, c, {
        state: 'sending',
        leaseUntil: '2026-11-20T11:05:00.000Z',
        attempts: 1,
      });
      await outbox.updateDelivery(tenantId, h, { state: 'sent', sentAt: '2026-11-20T11:00:00.000Z' });
      await outbox.updateDelivery(tenantId, m, {
        state: 'pending',
        nextAttemptAt: '2026-11-20T12:00:00.000Z',
        attempts: 1,
      });
      expect(await outbox.listDue(tenantId, new Date('2026-11-20T11:01:00Z'))).toEqual([]);
      const later = await outbox.listDue(tenantId, new Date('2026-11-20T12:00:00Z'));
      expect(later.map((d) => [d.alertId, d.state, d.attempts])).toEqual([
        [criticalNew.alert.id, 'sending', 1],
        [mediumOld.alert.id, 'pending', 1],
      ]);
    });

    it('a delivery is claimed by ETag: of two claims from one read only the first wins; the winner goes on with its new ETag', async () => {
      const { outbox, tenantId } = await factory();
      const p = pending(tenantId, critical, ['e1']);
      await outbox.writeAlert(p, ['teams']);
      const [d] = await outbox.listDue(tenantId, new Date('2026-11-21T00:00:00Z'));
      const claimed = await outbox.updateDelivery(tenantId, d, {
        state: 'sending',
        leaseUntil: '2026-11-21T00:01:00.000Z',
        attempts: 1,
      });
      expect(claimed).toMatchObject({ id: d.id, state: 'sending', attempts: 1 });
      expect(claimed!.etag).not.toBe(d.etag);
      expect(await outbox.updateDelivery(tenantId, d, { state: 'sending' })).toBeUndefined();
      const sent = await outbox.updateDelivery(tenantId, claimed!, {
        state: 'sent',
        sentAt: '2026-11-21T00:00:30.000Z',
        lastStatus: 200,
      });
      expect(sent).toMatchObject({ state: 'sent', lastStatus: 200 });
      const [stored] = (await outbox.getAlertStatus(tenantId, p.alert.id))!.deliveries;
      expect(stored).toMatchObject({
        state: 'sent',
        attempts: 1,
        sentAt: '2026-11-21T00:00:30.000Z',
        lastStatus: 200,
        etag: sent!.etag,
      });
      expect(
        await outbox.updateDelivery(tenantId, { ...d, channelId: 'gone', etag: sent!.etag }, { state: 'sent' }),
      ).toBeUndefined();
    });

    it('cleanup removes matches older than the retention and finished old alerts; keeps pending ones and anything recent', async () => {
      const { outbox, tenantId } = await factory();
      const oldDone = pending(tenantId, critical, ['a1'], '2026-10-01T00:00:00.0000000Z');
      const oldPending = pending(tenantId, high, ['b1'], '2026-10-01T00:00:01.0000000Z');
      const recent = pending(tenantId, medium, ['c1'], '2026-11-20T00:00:00.0000000Z');
      let v: string | undefined;
      for (const p of [oldDone, oldPending, recent]) v = await written(outbox, tenantId, alertWrite(p), v);
      const due = await outbox.listDue(tenantId, new Date('2026-11-21T00:00:00Z'));
      await outbox.updateDelivery(
        tenantId,
        due.find((d) => d.alertId === oldDone.alert.id)!,
        { state: 'sent' },
      );
      const { deleted } = await outbox.cleanup(tenantId, new Date('2026-11-21T00:00:00Z'), {
        seenBefore: new Date('2026-11-01T00:00:00Z'),
        deliveredBefore: new Date('2026-11-01T00:00:00Z'),
      });
      expect(deleted).toBe(4); // two old match rows, the finished alert and its delivery
      expect((await outbox.listAlerts(tenantId)).map((a) => a.alert.id).sort()).toEqual(
        [oldPending.alert.id, recent.alert.id].sort(),
      );
      expect(await outbox.getAlert(tenantId, oldDone.alert.id)).toBeUndefined();
      const seen = await outbox.loadMatches(tenantId, 0);
      expect([seen.has(critical.id, 'a1'), seen.has(high.id, 'b1'), seen.has(medium.id, 'c1')]).toEqual([
        false,
        false,
        true,
      ]);
      expect(seen.version).toBe(v);
      expect((await outbox.listDue(tenantId, new Date('2026-11-21T00:00:00Z'))).map((d) => d.alertId).sort()).toEqual(
        [oldPending.alert.id, recent.alert.id].sort(),
      );
    });

    it('quarantine: the item with its matches recorded in one versioned write; listed, replaced, removed', async () => {
      const { outbox, tenantId } = await factory();
      const p = pending(tenantId, critical, ['q1']);
      const item: QuarantineItem = {
        id: p.alert.id,
        kind: 'alert',
        ruleId: critical.id,
        reason: 'refused',
        createdAt: '2026-11-20T10:00:00Z',
        matchCount: 1,
        alert: p.alert,
        channels: ['teams'],
        retries: 0,
      };
      const r = await outbox.quarantine(tenantId, item, matchesOf(p), undefined);
      expect(r.outcome).toBe('written');
      expect(
        await outbox.quarantine(
          tenantId,
          { ...item, id: 'other' },
          [{ ruleId: critical.id, eventId: 'q2', timeInMs: from }],
          undefined,
        ),
      ).toEqual({ outcome: 'conflict' });
      const seen = await outbox.loadMatches(tenantId, from);
      expect([seen.has(critical.id, 'q1'), seen.has(critical.id, 'q2')]).toEqual([true, false]);
      expect(seen.version).toBe(r.outcome === 'written' ? r.version : 'unreachable');
      expect(await outbox.listQuarantine(tenantId)).toEqual([item]);
      expect(await outbox.getAlert(tenantId, p.alert.id)).toBeUndefined();
      await outbox.updateQuarantine(tenantId, item.id, { ...item, retries: 1 });
      expect((await outbox.listQuarantine(tenantId)).map((q) => q.retries)).toEqual([1]);
      await outbox.updateQuarantine(tenantId, item.id, undefined);
      await outbox.updateQuarantine(tenantId, item.id, undefined);
      expect(await outbox.listQuarantine(tenantId)).toEqual([]);
    });

    it('lists the matches a change window suppressed (alerts without deliveries), and newest alerts first', async () => {
      const { outbox, tenantId } = await factory();
      const quiet = pending(tenantId, critical, ['s1'], '2026-11-20T10:00:00.0000000Z');
      quiet.alert.suppressedBy = 'window-1';
      const loud = pending(tenantId, high, ['l1'], '2026-11-20T10:01:00.0000000Z');
      const v = await written(outbox, tenantId, alertWrite(quiet, []), undefined);
      await written(outbox, tenantId, alertWrite(loud), v);
      expect((await outbox.listSuppressed(tenantId, 'window-1')).map((a) => a.id)).toEqual([quiet.alert.id]);
      expect(await outbox.listSuppressed(tenantId, 'window-2')).toEqual([]);
      const listed = await outbox.listAlerts(tenantId);
      expect(listed.map((a) => [a.alert.id, a.deliveries.length])).toEqual([
        [loud.alert.id, 1],
        [quiet.alert.id, 0],
      ]);
      expect((await outbox.listAlerts(tenantId, { limit: 1 })).map((a) => a.alert.id)).toEqual([loud.alert.id]);
      expect(await outbox.getAlertStatus(tenantId, 'no-such-alert')).toBeUndefined();
    });
  });
}
