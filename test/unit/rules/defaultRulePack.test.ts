import { describe, expect, it } from 'vitest';
import type { AlertRule } from '../../../src/rules/alertRule';
import {
  cloudPkiActivityTypes as T,
  defaultRulePack,
  defaultRulePackVersion,
} from '../../../src/rules/defaultRulePack';
import { compileRules, matchRules } from '../../../src/rules/matchRules';
import { planPackUpgrade } from '../../../src/rules/planPackUpgrade';
import { rulePackHistory } from '../../../src/rules/rulePackHistory';
import { sampleEvent } from '../../helpers/alertFixtures';

const compiled = compileRules(defaultRulePack);
const matched = (activityType: string, activityResult: string | null = 'Success') =>
  matchRules(compiled, sampleEvent({ activityType, activityResult })).map((r) => `${r.id}:${r.severity}`);

describe('default rule pack v2', () => {
  it('is version 2, every rule tagged pack@2, ids unique, most severe first', () => {
    expect(defaultRulePackVersion).toBe(2);
    expect(defaultRulePack.every((r) => r.origin === 'pack@2')).toBe(true);
    expect(new Set(defaultRulePack.map((r) => r.id)).size).toBe(defaultRulePack.length);
    const ranks = defaultRulePack.map((r) => ['critical', 'high', 'medium', 'low'].indexOf(r.severity));
    expect([...ranks].sort()).toEqual(ranks);
  });

  it.each([
    [T.caCertRevoked, ['cloudpki-ca-certificate-revoked:critical']],
    [T.deleted, ['cloudpki-ca-deleted:high']],
    [T.statusChanged, ['cloudpki-ca-status-changed:high']],
    [T.externalUploaded, ['cloudpki-external-ca-uploaded:high']],
    [T.created, ['cloudpki-ca-created:medium']],
    [T.patched, ['cloudpki-ca-updated:medium']],
    // The mass-revocation rule matches every revocation; its threshold decides whether it fires.
    [T.leafRevoked, ['cloudpki-leaf-mass-revocation:high', 'cloudpki-leaf-revoked:medium']],
    [T.searched, []],
    [T.read, []],
    [T.leafSearched, []],
  ])('considers %s → %j', (type, expected) => {
    expect(matched(type)).toEqual(expected);
  });

  it('covers all 10 documented activity types, reads only in the disabled rule', () => {
    expect(Object.values(T)).toHaveLength(10);
    for (const type of Object.values(T))
      expect(defaultRulePack.some((r) => r.activityTypes?.includes(type))).toBe(true);
    expect(defaultRulePack.find((r) => r.id === 'cloudpki-reads')).toMatchObject({
      enabled: false,
      activityTypes: [T.searched, T.read, T.leafSearched],
    });
  });

  it.each([
    [T.deleted, 'Failure', ['cloudpki-ca-deleted:high', 'cloudpki-action-failed:medium']],
    [T.searched, 'Forbidden', ['cloudpki-action-failed:medium']],
    [T.leafSearched, 'Failure', ['cloudpki-action-failed:medium']],
    [
      'Rekey CloudCertificationAuthority',
      'Failure',
      ['cloudpki-action-failed:medium', 'cloudpki-unknown-activity:medium'],
    ],
    [T.deleted, null, ['cloudpki-ca-deleted:high']],
  ])('a failed Cloud PKI action: %s with result %s → %j', (type, result, expected) => {
    expect(matched(type, result)).toEqual(expected);
  });

  it.each([
    ['Rekey CloudCertificationAuthority', ['cloudpki-unknown-activity:medium']],
    ['Renew CloudCertificationAuthorityCertificate', ['cloudpki-unknown-activity:medium']],
    ['ExportCloudCertificationAuthorityCrl Something', ['cloudpki-unknown-activity:medium']],
    ['Create DeviceEnrollmentConfiguration', []],
    ['delete cloudcertificationauthority', ['cloudpki-ca-deleted:high']],
  ])('an unknown Cloud PKI activity type: %s → %j', (type, expected) => {
    expect(matched(type)).toEqual(expected);
  });

  it('mass revocation: 20 or more by the same actor within 10 minutes, realerting at most hourly', () => {
    expect(defaultRulePack.find((r) => r.id === 'cloudpki-leaf-mass-revocation')).toMatchObject({
      severity: 'high',
      threshold: { count: 20, windowInMinutes: 10, groupBy: 'actor' },
      realertInMinutes: 60,
    });
  });
});

describe('planPackUpgrade', () => {
  const v1 = rulePackHistory.get(1)!;
  const v1Rule = (id: string) => v1.find((r) => r.id === id)!;
  const v2Rule = (id: string) => defaultRulePack.find((r) => r.id === id)!;
  const newInV2 = defaultRulePack.filter((r) => !v1.some((o) => o.id === r.id)).map((r) => r.id);
  const plan = (existing: AlertRule[]) => planPackUpgrade(existing, defaultRulePack, defaultRulePackVersion);

  it('an empty table gets the whole pack', () => {
    expect(plan([])).toMatchObject({ fromVersion: 0, add: defaultRulePack, update: [], keep: [] });
  });

  it('an untouched v1 table: every v1 rule updated, the new rules added', () => {
    const p = plan([...v1]);
    expect(p.fromVersion).toBe(1);
    expect(p.update).toEqual(defaultRulePack.filter((r) => v1.some((o) => o.id === r.id)));
    expect(p.add.map((r) => r.id)).toEqual(newInV2);
    expect(p.keep).toEqual([]);
    expect([...p.add, ...p.update].every((r) => r.origin === 'pack@2')).toBe(true);
    expect(newInV2).toEqual(['cloudpki-leaf-mass-revocation', 'cloudpki-action-failed', 'cloudpki-unknown-activity']);
  });

  it.each([
    ['a v1 rule the admin disabled', { ...v1Rule('cloudpki-ca-created'), enabled: false }, 'edited'],
    ['a v1 rule with another severity', { ...v1Rule('cloudpki-leaf-revoked'), severity: 'high' as const }, 'edited'],
    [
      'a rule tagged pack@1 whose content differs from pack 1 (edited without clearing origin)',
      { ...v1Rule('cloudpki-ca-deleted'), origin: 'pack@1', channels: ['teams'] },
      'edited',
    ],
    ['a rule tagged with an unknown pack version', { ...v1Rule('cloudpki-ca-deleted'), origin: 'pack@7' }, 'newer'],
    [
      'a rule from pack 2 an admin edited (origin cleared)',
      { ...v2Rule('cloudpki-action-failed'), origin: undefined, severity: 'high' as const },
      'edited',
    ],
    [
      'a rule from pack 2 edited without clearing origin',
      { ...v2Rule('cloudpki-action-failed'), severity: 'high' as const },
      'edited',
    ],
    [
      'an admin rule that happens to use a new pack id',
      {
        id: 'cloudpki-unknown-activity',
        name: 'Mine',
        enabled: true,
        severity: 'low' as const,
        categories: ['Role'],
        channels: ['default'],
      },
      'edited',
    ],
    ['a pack 2 rule as it is', v2Rule('cloudpki-action-failed'), 'current'],
    [
      'a pack 2 rule with its keys in another order',
      Object.fromEntries(Object.entries(v2Rule('cloudpki-ca-deleted')).reverse()) as unknown as AlertRule,
      'current',
    ],
  ])('keeps %s', (_n, stored, reason) => {
    const p = plan([...v1.filter((r) => r.id !== stored.id), stored]);
    expect(p.keep).toContain(stored.id);
    expect(p.reasons[stored.id]).toBe(reason);
    expect([...p.add, ...p.update].map((r) => r.id)).not.toContain(stored.id);
  });

  it.each([
    ['a v1 rule whose content did not change in v2 (stamps the origin)', v1Rule('cloudpki-ca-created')],
    ['a v1 rule whose text changed in v2', v1Rule('cloudpki-ca-deleted')],
    ['a rule tagged pack@1 whose content is pack 1', { ...v1Rule('cloudpki-ca-deleted'), origin: 'pack@1' }],
    [
      'a pack 2 rule whose origin was cleared but content kept',
      { ...v2Rule('cloudpki-action-failed'), origin: undefined },
    ],
  ])('updates %s', (_n, stored) => {
    const p = plan([...v1.filter((r) => r.id !== stored.id), stored]);
    expect(p.update).toContainEqual(v2Rule(stored.id));
    expect(p.reasons[stored.id]).toBe('untouched');
  });

  it('does not re-add a pack rule an admin deleted, but adds the rules new since their version', () => {
    const p = plan(v1.filter((r) => r.id !== 'cloudpki-ca-created'));
    expect(p.reasons['cloudpki-ca-created']).toBe('deleted');
    expect(p.keep).toContain('cloudpki-ca-created');
    expect(p.add.map((r) => r.id)).toEqual(newInV2);
  });

  it('a pack 2 tenant that deleted a new rule does not get it back', () => {
    const p = plan(defaultRulePack.filter((r) => r.id !== 'cloudpki-unknown-activity'));
    expect(p).toMatchObject({ fromVersion: 2, add: [], update: [] });
    expect(p.reasons['cloudpki-unknown-activity']).toBe('deleted');
  });

  it('never touches rules that are not in the pack', () => {
    const mine: AlertRule = {
      id: 'my-rule',
      name: 'Mine',
      enabled: true,
      severity: 'low',
      categories: ['Role'],
      channels: ['default'],
    };
    const p = plan([...v1, mine]);
    expect([...p.add, ...p.update].map((r) => r.id)).not.toContain('my-rule');
    expect(p.keep).not.toContain('my-rule');
  });

  it('running the plan and planning again changes nothing (idempotent)', () => {
    const first = plan([...v1]);
    const after = [...v1.map((r) => first.update.find((u) => u.id === r.id) ?? r), ...first.add];
    const again = plan(after);
    expect(again).toMatchObject({ fromVersion: 2, add: [], update: [] });
    expect(again.keep.length).toBe(defaultRulePack.length);
  });
});
