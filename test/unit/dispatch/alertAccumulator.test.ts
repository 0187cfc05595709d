import { describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../../src/audit/auditEvent';
import { AlertAccumulator, alertIdFor } from '../../../src/dispatch/alertAccumulator';
import { defaultRulePack } from '../../../src/rules/defaultRulePack';

const ev = (id: string, ms: number): AuditEvent => ({
  id,
  activityDateTime: new Date(ms).toISOString(),
  activityTimeInMs: ms,
  activityType: 'x',
  activityResult: 'Success',
  activityOperationType: null,
  activity: null,
  category: null,
  componentName: null,
  correlationId: null,
  displayName: null,
  actor: {
    type: null,
    userPrincipalName: null,
    userId: null,
    applicationId: null,
    applicationDisplayName: null,
    servicePrincipalName: null,
    ipAddress: null,
    remoteTenantId: null,
    remoteUserId: null,
  },
  resources: [],
});
const [critical, high] = defaultRulePack;

describe('AlertAccumulator', () => {
  it('makes one alert per rule with the exact count and the earliest events as sample', () => {
    const acc = new AlertAccumulator(3);
    for (let i = 10; i >= 1; i--) acc.add(high, ev(`e${i}`, i * 1000));
    acc.add(critical, ev('c1', 5));
    const alerts = acc.drain('t1', new Date(0));
    expect(alerts.map((a) => a.alert.ruleId)).toEqual([critical.id, high.id]);
    const h = alerts[1];
    expect(h.alert.eventCount).toBe(10);
    expect(h.alert.events.map((e) => e.id)).toEqual(['e1', 'e2', 'e3']);
    expect(h.eventKeys).toHaveLength(10);
    expect(h.alert.firstEventTime).toBe(new Date(1000).toISOString());
    expect(h.alert.lastEventTime).toBe(new Date(10000).toISOString());
    expect(h.alert.id).toBe(alertIdFor('t1', high.id, 'e1'));
    expect(acc.size).toBe(0);
  });

  it('derives the same id from the same rule and first event, a different one otherwise', () => {
    expect(alertIdFor('t', 'r', 'e1')).toBe(alertIdFor('t', 'r', 'e1'));
    expect(alertIdFor('t', 'r', 'e1')).not.toBe(alertIdFor('t', 'r', 'e2'));
    expect(alertIdFor('t', 'r', 'e1')).not.toBe(alertIdFor('t2', 'r', 'e1'));
    expect(alertIdFor('t', 'r', 'e1')).toMatch(/^[0-9a-f]{32}$/);
  });
});
