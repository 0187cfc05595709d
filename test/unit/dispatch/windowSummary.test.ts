import { describe, expect, it } from 'vitest';
import { mergeCheckpointExtra } from '../../../src/app/pollExtras';
import { thresholdAlert } from '../../../src/app/thresholds';
import type { ChangeWindow } from '../../../src/dispatch/changeWindow';
import { SuppressionAccumulator, windowSummaryAlert } from '../../../src/dispatch/windowSummary';
import type { AlertRule } from '../../../src/rules/alertRule';
import { sampleEvent, sampleResource } from '../../helpers/alertFixtures';

const window: ChangeWindow = {
  id: 'cw-1',
  scope: { caIds: ['ca-a'] },
  start: '2026-11-25T10:00:00.000Z',
  end: '2026-11-25T11:00:00.000Z',
  reason: 'Rotate CA A',
  owner: 'pki-team',
  createdBy: 'alice',
  createdAt: '2026-11-25T09:59:00.000Z',
};
const rule = (id: string, severity: AlertRule['severity']): AlertRule => ({
  id,
  name: id,
  enabled: true,
  severity,
  activityTypes: ['x'],
  channels: ['default'],
});
const ev = (n: number, upn: string, ca: string) =>
  sampleEvent({
    id: `e${n}`,
    activityDateTime: `2026-11-25T10:0${n}:00.0000000Z`,
    actor: { userPrincipalName: upn },
    resources: [sampleResource({ displayName: ca })],
  });
const now = new Date('2026-11-25T11:01:00.000Z');

describe('suppressed matches and the window summary', () => {
  it('records one suppressed alert per (window, rule, actor, CA) with stable ids, and sums them into one summary', () => {
    const acc = new SuppressionAccumulator(10);
    const deleted = rule('ca-deleted', 'high');
    const revoked = rule('ca-revoked', 'critical');
    acc.add(window, deleted, ev(1, 'alice@contoso.com', 'CA A'));
    acc.add(window, deleted, ev(2, 'ALICE@contoso.com', 'CA A'));
    acc.add(window, deleted, ev(3, 'bob@contoso.com', 'CA A'));
    acc.add(window, revoked, ev(4, 'alice@contoso.com', 'CA B'));
    const records = acc.drain('t', now);
    expect(records.map((r) => [r.alert.ruleId, r.alert.eventCount, r.alert.suppressedBy])).toEqual(
      expect.arrayContaining([
        ['ca-deleted', 2, 'cw-1'],
        ['ca-deleted', 1, 'cw-1'],
        ['ca-revoked', 1, 'cw-1'],
      ]),
    );
    expect(records).toHaveLength(3);
    const again = new SuppressionAccumulator(10);
    again.add(window, deleted, ev(1, 'alice@contoso.com', 'CA A'));
    expect(records.map((r) => r.alert.id)).toContain(again.drain('t', now)[0].alert.id);

    const summary = windowSummaryAlert(
      't',
      window,
      records.map((r) => r.alert),
      ['teams', 'teams'],
      now,
      2,
    );
    expect(summary.alert).toMatchObject({
      ruleId: 'window:cw-1',
      ruleName: 'Change window ended: 4 suppressed matches',
      severity: 'critical',
      eventCount: 4,
      firstEventTime: ev(1, '', '').activityDateTime,
    });
    expect(summary.alert.events.map((e) => e.id)).toEqual(['e1', 'e2']);
    expect(summary.alert.ruleDescription).toContain(
      'Rules: ca-deleted ×3, ca-revoked ×1. CAs: CA A ×3, CA B ×1. Actors: alice@contoso.com ×3, bob@contoso.com ×1.',
    );
    expect(summary.alert.ruleDescription).toContain('owner pki-team, reason: Rotate CA A');
    expect(summary.channels).toEqual(['teams']);
    expect(windowSummaryAlert('t', window, [], [], now, 2).alert.id).toBe(summary.alert.id);
  });
});

describe('mergeCheckpointExtra (a checkpoint save that met a concurrent change keeps the earlier window end)', () => {
  it.each<[string, string | undefined, string | undefined, string | undefined]>([
    ['ours earlier', '2026-01-01T10:00:00.000Z', '2026-01-01T11:00:00.000Z', '2026-01-01T10:00:00.000Z'],
    ['theirs earlier', '2026-01-01T12:00:00.000Z', '2026-01-01T11:00:00.000Z', '2026-01-01T11:00:00.000Z'],
    ['we cleared it, they have one', '', '2026-01-01T11:00:00.000Z', '2026-01-01T11:00:00.000Z'],
    ['both none', '', undefined, ''],
    ['we did not check windows', undefined, '2026-01-01T11:00:00.000Z', undefined],
  ])('%s', (_name, ours, theirs, expected) => {
    const latest = {
      checkpoint: { scannedTo: 'x', complete: true },
      etag: 'e',
      ...(theirs ? { windowSummaryDueAt: theirs } : {}),
    };
    expect(
      mergeCheckpointExtra(ours === undefined ? {} : { windowSummaryDueAt: ours }, latest).windowSummaryDueAt,
    ).toBe(expected);
  });
});

describe('thresholdAlert', () => {
  it('names the count, the group key and the CAs, claims no events, and is stable for the same first event', () => {
    const r: AlertRule = {
      ...rule('mass', 'high'),
      threshold: { count: 20, windowInMinutes: 10, groupBy: 'actor' },
      description: 'Many revocations.',
      realertInMinutes: 60,
    };
    const events = [ev(3, 'alice@contoso.com', 'CA A'), ev(1, 'alice@contoso.com', 'CA B')];
    const g = { rule: r, key: 'alice@contoso.com', sample: events, last: events[0], cas: new Set(['CA A', 'CA B']) };
    const decision = {
      fire: true,
      count: 22,
      state: {
        buckets: [
          [Math.floor(Date.parse('2026-11-25T09:55:00Z') / 60_000), 12],
          [Math.floor(events[0].activityTimeInMs / 60_000), 10],
        ] as [number, number][],
      },
    };
    const a = thresholdAlert('t', g, decision, now, 10);
    expect(a.eventKeys).toEqual([]);
    expect(a.alert).toMatchObject({
      eventCount: 22,
      groupKey: 'alice@contoso.com',
      realertInMinutes: 60,
      lastEventTime: events[0].activityDateTime,
      firstEventTime: '2026-11-25T09:55:00.000Z',
    });
    expect(a.alert.ruleDescription).toBe(
      '22 matching events within 10 min by alice@contoso.com (threshold 20). CAs: CA A, CA B. Many revocations.',
    );
    expect(a.alert.events.map((e) => e.id)).toEqual(['e1', 'e3']);
    expect(thresholdAlert('t', g, decision, now, 10).alert.id).toBe(a.alert.id);
  });
});
