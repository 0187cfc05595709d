import { describe, expect, it } from 'vitest';
import { digestIdFor, foldAlerts } from '../../../src/dispatch/digest';
import { mayRaiseNotice, noticeAlert, noticeIdFor } from '../../../src/dispatch/failoverNotice';
import { decideGroup, groupIdFor, groupWindowFor } from '../../../src/dispatch/groupDecision';
import { sampleAlert, sampleEvent } from '../../helpers/alertFixtures';

const now = new Date('2026-01-01T12:00:00Z');
const at = (minutes: number) => new Date(now.getTime() + minutes * 60_000).toISOString();

describe('decideGroup', () => {
  it.each([
    ['no window yet', undefined, undefined, 'send'],
    ['window ended', { lastSentAt: at(-15), windowEndsAt: at(-5) }, undefined, 'send'],
    ['window open', { lastSentAt: at(-3), windowEndsAt: at(7) }, undefined, 'hold'],
    ['window ends exactly now', { lastSentAt: at(-10), windowEndsAt: at(0) }, undefined, 'send'],
    ['realert time not over', { lastSentAt: at(-20), windowEndsAt: at(-10) }, 60, 'suppress'],
    ['realert wins over an open window', { lastSentAt: at(-3), windowEndsAt: at(7) }, 60, 'suppress'],
    ['realert time over', { lastSentAt: at(-61), windowEndsAt: at(-51) }, 60, 'send'],
    ['realert 0 = off', { lastSentAt: at(-1), windowEndsAt: at(-1) }, 0, 'send'],
  ] as const)('%s → %s', (_name, window, realert, action) => {
    const decision = decideGroup(window, now, realert);
    expect(decision.action).toBe(action);
    if (decision.action === 'hold') expect(decision.until.toISOString()).toBe(window!.windowEndsAt);
    if (decision.action !== 'send')
      expect(decision.reason).toMatch(action === 'hold' ? /^group window/ : /^realert suppression/);
  });

  it('an alert that is never held (group window 0) is sent even inside an open window; realert still applies', () => {
    expect(decideGroup({ lastSentAt: at(-1), windowEndsAt: at(9) }, now, undefined, 0).action).toBe('send');
    expect(decideGroup({ lastSentAt: at(-1), windowEndsAt: at(9) }, now, 30, 0).action).toBe('suppress');
    expect(decideGroup({ lastSentAt: at(-1), windowEndsAt: at(9) }, now, undefined, 10).action).toBe('hold');
  });

  it('groups by rule and group key', () => {
    expect(groupIdFor({ ruleId: 'r', groupKey: 'a' })).not.toBe(groupIdFor({ ruleId: 'r', groupKey: 'b' }));
    expect(groupIdFor({ ruleId: 'r' })).toBe(groupIdFor({ ruleId: 'r', groupKey: '' }));
    expect(groupIdFor({ ruleId: 'r' })).toMatch(/^[0-9a-f]{32}$/);
  });
});

describe('groupWindowFor: the timing policy', () => {
  it.each([
    ['critical, auto', 'critical', undefined, 0],
    ['high, auto', 'high', undefined, 0],
    ['medium, auto', 'medium', undefined, 10],
    ['low, auto', 'low', undefined, 10],
    ['medium, none', 'medium', 'none', 0],
    ['high, 15 minutes', 'high', 15, 15],
    ['low, 3 minutes', 'low', 3, 3],
  ] as const)('%s → %i minutes', (_n, severity, groupWindow, minutes) => {
    expect(groupWindowFor({ severity, ...(groupWindow === undefined ? {} : { groupWindow }) }, 10)).toBe(minutes);
  });
});

describe('foldAlerts', () => {
  const a = sampleAlert({
    id: 'a',
    eventCount: 5000,
    severity: 'medium',
    createdAt: at(1),
    firstEventTime: at(-5),
    lastEventTime: at(-4),
    events: [sampleEvent({ id: 'e1', activityDateTime: at(-5) })],
  });
  const b = sampleAlert({
    id: 'b',
    eventCount: 3,
    severity: 'critical',
    createdAt: at(2),
    firstEventTime: at(-3),
    lastEventTime: at(-1),
    events: [sampleEvent({ id: 'e2', activityDateTime: at(-3) })],
  });

  it('keeps the exact total, the whole range, the most severe severity and every member id', () => {
    const digest = foldAlerts([b, a], 'digest.x');
    expect(digest).toMatchObject({
      id: 'digest.x',
      eventCount: 5003,
      severity: 'critical',
      firstEventTime: at(-5),
      lastEventTime: at(-1),
      digest: { alertIds: ['a', 'b'], since: at(1) },
    });
    expect(digest.events.map((e) => e.id)).toEqual(['e1', 'e2']);
  });

  it('digest ids change when the members change, not when their order does', () => {
    expect(digestIdFor(['x', 'y'])).toBe(digestIdFor(['y', 'x']));
    expect(digestIdFor(['x', 'y'])).not.toBe(digestIdFor(['x', 'y', 'z']));
  });
});

describe('failover notices', () => {
  it.each([
    ['an alert on another channel', 'alert', 'teams', 'mail', true],
    ['no failover channel', 'alert', 'teams', undefined, false],
    ['the failover channel itself failing', 'alert', 'mail', 'mail', false],
    ['a notice failing (never loops)', 'notice', 'teams', 'mail', false],
    ['a test send', 'test', 'teams', 'mail', false],
  ] as const)('%s → %s', (_name, kind, channel, failover, expected) => {
    expect(mayRaiseNotice({ kind }, channel, failover)).toBe(expected);
  });

  it('one deterministic notice per (channel, incident), addressed to the failover channel only', () => {
    const n = {
      channelId: 'teams',
      problem: 'dead' as const,
      reason: 'server-error 503',
      detail: 'x',
      alertId: 'a',
      alertRuleName: 'r',
      alertSeverity: 'medium' as const,
      alertEventCount: 1,
      incidentSince: at(0),
    };
    const p = noticeAlert('t1', n, 'mail', now);
    expect(p.alert.id).toBe(noticeIdFor('t1', 'teams', at(0)));
    expect(p).toMatchObject({
      channels: ['mail'],
      eventKeys: [],
      alert: { kind: 'notice', severity: 'high', notice: n },
    });
    expect(noticeIdFor('t1', 'teams', at(1))).not.toBe(p.alert.id);
  });
});
