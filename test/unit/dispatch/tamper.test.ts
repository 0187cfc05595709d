import { describe, expect, it } from 'vitest';
import type { ChangeWindow } from '../../../src/dispatch/changeWindow';
import { mostSevere, protectedRulesCoveredBy, ruleTamperKind, tamperAlert } from '../../../src/dispatch/tamper';
import type { AlertRule } from '../../../src/rules/alertRule';

const rule = (over: Partial<AlertRule> = {}): AlertRule => ({
  id: 'r',
  name: 'R',
  enabled: true,
  severity: 'critical',
  activityTypes: ['x'],
  channels: ['default'],
  ...over,
});

describe('ruleTamperKind', () => {
  it.each<[string, AlertRule | undefined, AlertRule | undefined, string | undefined]>([
    ['critical deleted', rule(), undefined, 'deleted'],
    ['high disabled', rule({ severity: 'high' }), rule({ severity: 'high', enabled: false }), 'disabled'],
    ['critical lowered to medium', rule(), rule({ severity: 'medium' }), 'downgraded'],
    ['critical lowered to high', rule(), rule({ severity: 'high' }), undefined],
    ['critical renamed', rule(), rule({ name: 'Other' }), undefined],
    ['medium deleted', rule({ severity: 'medium' }), undefined, undefined],
    ['already disabled critical deleted', rule({ enabled: false }), undefined, undefined],
    ['disabled critical re-enabled', rule({ enabled: false }), rule(), undefined],
    ['created', undefined, rule(), undefined],
  ])('%s → %s', (_name, before, after, expected) => {
    expect(ruleTamperKind(before, after)).toBe(expected);
  });
});

describe('protectedRulesCoveredBy', () => {
  const rules = [
    rule({ id: 'crit' }),
    rule({ id: 'high', severity: 'high' }),
    rule({ id: 'med', severity: 'medium' }),
    rule({ id: 'off', enabled: false }),
  ];
  const w = (scope: ChangeWindow['scope']) => ({ scope }) as ChangeWindow;
  it.each<[string, ChangeWindow['scope'], string[]]>([
    ['a medium rule only', { ruleIds: ['med'] }, []],
    ['a critical rule', { ruleIds: ['crit', 'med'] }, ['crit']],
    ['a CA (every rule)', { caIds: ['ca'] }, ['crit', 'high']],
    ['an actor (every rule)', { actors: ['a@b'] }, ['crit', 'high']],
    ['a disabled critical rule', { ruleIds: ['off'] }, []],
  ])('%s → %j', (_name, scope, ids) => {
    expect(protectedRulesCoveredBy(w(scope), rules).map((r) => r.id)).toEqual(ids);
  });
});

describe('tamperAlert', () => {
  it('is an alert with no events, a deterministic id and de-duplicated channels', () => {
    const notice = {
      tenantId: 't',
      ruleId: 'tamper:r',
      historyId: 'h1',
      severity: 'high' as const,
      title: 'T',
      description: 'D',
      channels: ['teams', 'teams', 'mail'],
      at: new Date('2026-11-25T10:00:00Z'),
    };
    const a = tamperAlert(notice);
    expect(a).toMatchObject({
      channels: ['teams', 'mail'],
      eventKeys: [],
      alert: { ruleId: 'tamper:r', eventCount: 0, events: [], firstEventTime: '2026-11-25T10:00:00.000Z' },
    });
    expect(tamperAlert(notice).alert.id).toBe(a.alert.id);
    expect(tamperAlert({ ...notice, historyId: 'h2' }).alert.id).not.toBe(a.alert.id);
    expect(tamperAlert({ ...notice, channels: [] }).channels).toEqual(['default']);
    expect(mostSevere(['medium', 'critical', 'high'])).toBe('critical');
  });
});
