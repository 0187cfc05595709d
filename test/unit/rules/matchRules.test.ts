import { describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../../src/audit/auditEvent';
import type { AlertRule } from '../../../src/rules/alertRule';
import { compileRules, matchRules, ruleMatches } from '../../../src/rules/matchRules';
import { type AuditEventOverrides, sampleEvent, sampleResource } from '../../helpers/alertFixtures';

const event = (
  activityType: string | null,
  activityResult: string | null = 'Success',
  patch: AuditEventOverrides = {},
): AuditEvent => sampleEvent({ activityType, activityResult, ...patch });
const rule = (patch: Partial<AlertRule>): AlertRule => ({
  id: 'r',
  name: 'r',
  enabled: true,
  severity: 'high',
  activityTypes: ['Delete CloudCertificationAuthority'],
  channels: ['default'],
  ...patch,
});
const matches = (r: AlertRule, e: AuditEvent) => matchRules(compileRules([r]), e).length > 0;
const D = 'Delete CloudCertificationAuthority';

describe('matchRules: activity type and result', () => {
  it.each([
    ['exact type', rule({}), event(D), true],
    ['type compare ignores case', rule({}), event('delete cloudcertificationauthority'), true],
    ['other type', rule({}), event('Create CloudCertificationAuthority'), false],
    ['null type', rule({}), event(null), false],
    ['disabled rule', rule({ enabled: false }), event(D), false],
    [
      'suffix pattern',
      rule({ activityTypes: ['* CloudCertificationAuthority'] }),
      event('Patch CloudCertificationAuthority'),
      true,
    ],
    [
      'suffix pattern is anchored',
      rule({ activityTypes: ['* CloudCertificationAuthority'] }),
      event('RevokeLeafCertAsync CloudCertificationAuthorityLeafCertificate'),
      false,
    ],
    [
      'contains pattern',
      rule({ activityTypes: ['*CloudCertificationAuthority*'] }),
      event('RevokeLeafCertAsync CloudCertificationAuthorityLeafCertificate'),
      true,
    ],
    [
      'prefix pattern',
      rule({ activityTypes: ['revoke*'] }),
      event('RevokeLeafCertAsync CloudCertificationAuthorityLeafCertificate'),
      true,
    ],
    [
      'middle pattern',
      rule({ activityTypes: ['Revoke*Async *Leaf*'] }),
      event('RevokeLeafCertAsync CloudCertificationAuthorityLeafCertificate'),
      true,
    ],
    ['middle parts must not overlap the suffix', rule({ activityTypes: ['a*ab*b'] }), event('aab'), false],
    [
      'a dot in a pattern is literal',
      rule({ activityTypes: ['Delete.*'] }),
      event('DeleteX CloudCertificationAuthority'),
      false,
    ],
    ['one of several', rule({ activityTypes: ['Create X', D] }), event(D), true],
    ['result Success matches Success', rule({ result: 'Success' }), event(D, 'Success'), true],
    ['result Success rejects Failure', rule({ result: 'Success' }), event(D, 'Failure'), false],
    ['result Failure matches any non-success', rule({ result: 'Failure' }), event(D, 'ClientError'), true],
    ['result Failure rejects Success', rule({ result: 'Failure' }), event(D, 'success'), false],
    ['result Failure rejects unknown (null)', rule({ result: 'Failure' }), event(D, null), false],
    ['no result filter matches a failure too', rule({}), event(D, 'Failure'), true],
    [
      'category',
      rule({ activityTypes: undefined, categories: ['cloudpki'] }),
      event(D, 'Success', { category: 'CloudPki' }),
      true,
    ],
    [
      'other category',
      rule({ activityTypes: undefined, categories: ['Role'] }),
      event(D, 'Success', { category: 'CloudPki' }),
      false,
    ],
    [
      'null category',
      rule({ activityTypes: undefined, categories: ['Role'] }),
      event(D, 'Success', { category: null }),
      false,
    ],
    [
      'operation type',
      rule({ operationTypes: ['delete', 'Action'] }),
      event(D, 'Success', { activityOperationType: 'Delete' }),
      true,
    ],
    [
      'other operation type',
      rule({ operationTypes: ['Create'] }),
      event(D, 'Success', { activityOperationType: 'Delete' }),
      false,
    ],
    ['a rule without conditions matches nothing', rule({ activityTypes: undefined }), event(D), false],
  ])('%s', (_n, r, e, expected) => {
    expect(matches(r, e)).toBe(expected);
  });
});

describe('matchRules: actor include / exclude', () => {
  const admin = {
    userPrincipalName: 'PkiAdmin@Contoso.com',
    applicationId: '11111111-2222-3333-4444-555555555555',
    ipAddress: '10.1.2.3',
    type: 'ItPro',
  };
  const e = (actor: Partial<Record<keyof typeof admin, string | null>> = {}) =>
    event(D, 'Success', { actor: { ...admin, ...actor } });
  it.each([
    ['UPN exact, case-insensitive', { include: { userPrincipalNames: ['pkiadmin@contoso.com'] } }, e(), true],
    ['UPN pattern', { include: { userPrincipalNames: ['*@contoso.com'] } }, e(), true],
    ['UPN pattern, other domain', { include: { userPrincipalNames: ['*@fabrikam.com'] } }, e(), false],
    ['UPN missing', { include: { userPrincipalNames: ['*@contoso.com'] } }, e({ userPrincipalName: null }), false],
    [
      'application id',
      { include: { applicationIds: ['11111111-2222-3333-4444-555555555555'.toUpperCase()] } },
      e(),
      true,
    ],
    ['other application id', { include: { applicationIds: ['aaaaaaaa-2222-3333-4444-555555555555'] } }, e(), false],
    ['IPv4 in CIDR', { include: { ipAddresses: ['10.0.0.0/8'] } }, e(), true],
    ['IPv4 outside CIDR', { include: { ipAddresses: ['192.168.0.0/16'] } }, e(), false],
    ['IPv4 single address', { include: { ipAddresses: ['10.1.2.3'] } }, e(), true],
    [
      'IPv4-mapped IPv6 in an IPv4 range',
      { include: { ipAddresses: ['10.0.0.0/8'] } },
      e({ ipAddress: '::ffff:10.9.9.9' }),
      true,
    ],
    ['IPv6 in CIDR', { include: { ipAddresses: ['2001:db8::/32'] } }, e({ ipAddress: '2001:DB8:0:1::7' }), true],
    ['IPv6 outside CIDR', { include: { ipAddresses: ['2001:db8::/32'] } }, e({ ipAddress: '2001:db9::1' }), false],
    ['no IP on the event', { include: { ipAddresses: ['0.0.0.0/0'] } }, e({ ipAddress: null }), false],
    ['not an IP on the event', { include: { ipAddresses: ['0.0.0.0/0'] } }, e({ ipAddress: 'unknown' }), false],
    ['actor type', { include: { actorTypes: ['itpro', 'Partner'] } }, e(), true],
    ['other actor type', { include: { actorTypes: ['Application'] } }, e(), false],
    [
      'every given list must match (all match)',
      { include: { userPrincipalNames: ['*@contoso.com'], ipAddresses: ['10.0.0.0/8'] } },
      e(),
      true,
    ],
    [
      'every given list must match (one fails)',
      { include: { userPrincipalNames: ['*@contoso.com'], ipAddresses: ['192.168.0.0/16'] } },
      e(),
      false,
    ],
    [
      'exclude: the break-glass account never alerts',
      { exclude: { userPrincipalNames: ['pkiadmin@contoso.com'] } },
      e(),
      false,
    ],
    ['exclude: others still alert', { exclude: { userPrincipalNames: ['breakglass@contoso.com'] } }, e(), true],
    [
      'exclude: only from its IP range (lists combine with AND)',
      { exclude: { userPrincipalNames: ['pkiadmin@contoso.com'], ipAddresses: ['192.168.0.0/16'] } },
      e(),
      true,
    ],
    ['exclude by application', { exclude: { applicationIds: ['11111111-2222-3333-4444-555555555555'] } }, e(), false],
    [
      'include and exclude',
      { include: { userPrincipalNames: ['*@contoso.com'] }, exclude: { actorTypes: ['ItPro'] } },
      e(),
      false,
    ],
  ])('%s', (_n, actor, ev, expected) => {
    expect(matches(rule({ actor }), ev)).toBe(expected);
  });
});

describe('matchRules: resources and modified properties', () => {
  const e = event(D, 'Success', {
    resources: [
      sampleResource({
        displayName: 'Contoso Issuing CA 01',
        resourceId: 'CA-1',
        modifiedProperties: [{ name: 'CertificationAuthorityStatus', oldValue: 'active', newValue: 'paused' }],
      }),
      sampleResource({
        displayName: 'Contoso Root CA',
        resourceId: 'ca-root',
        modifiedProperties: [{ name: 'Limit', oldValue: null, newValue: '5' }],
      }),
    ],
  });
  it.each([
    ['resource id, case-insensitive', { resource: { ids: ['ca-1'] } }, true],
    ['other resource id', { resource: { ids: ['ca-2'] } }, false],
    ['name pattern on the second resource', { resource: { namePatterns: ['*Root*'] } }, true],
    ['name pattern, no resource', { resource: { namePatterns: ['*Fabrikam*'] } }, false],
    ['id and name must hold for the same resource', { resource: { ids: ['ca-1'], namePatterns: ['*Root*'] } }, false],
    ['id and name on the same resource', { resource: { ids: ['ca-root'], namePatterns: ['*Root*'] } }, true],
    ['property name pattern', { modifiedProperties: [{ name: '*Status' }] }, true],
    [
      'property old and new',
      { modifiedProperties: [{ name: '*status*', oldValue: 'Active', newValue: 'PAUSED' }] },
      true,
    ],
    ['property new value differs', { modifiedProperties: [{ name: '*Status*', newValue: 'active' }] }, false],
    ['property old value pattern', { modifiedProperties: [{ name: '*Status*', oldValue: 'act*' }] }, true],
    ['null old value never matches a pattern', { modifiedProperties: [{ name: 'Limit', oldValue: '*' }] }, false],
    [
      'any of several property criteria',
      { modifiedProperties: [{ name: 'Nope' }, { name: 'limit', newValue: '5' }] },
      true,
    ],
    [
      'a filter',
      { filter: "resources/any(r: r/modifiedProperties/any(p: p/displayName eq 'Limit' and p/newValue ge 5))" },
      true,
    ],
    ['a filter that fails', { filter: "actor/userPrincipalName eq 'someone@else.com'" }, false],
    [
      'all conditions together',
      {
        categories: ['CloudPki'],
        resource: { ids: ['CA-1'] },
        modifiedProperties: [{ name: '*Status' }],
        filter: "activityResult eq 'Success'",
      },
      true,
    ],
  ])('%s', (_n, patch, expected) => {
    expect(matches(rule(patch as Partial<AlertRule>), { ...e, category: 'CloudPki' })).toBe(expected);
  });

  it('a pathological pattern against long attacker-chosen text stays fast (no regex backtracking)', () => {
    const r = rule({ activityTypes: ['*a*a*a*a*a*a*a*a*a*a*a*a*b'] });
    const long = event('a'.repeat(5000));
    const started = performance.now();
    expect(matches(r, long)).toBe(false);
    expect(performance.now() - started).toBeLessThan(200);
  });
});

describe('matchRules', () => {
  it('returns the matching rules in rule order and skips disabled ones', () => {
    const rules = [
      rule({ id: 'a' }),
      rule({ id: 'b', enabled: false }),
      rule({ id: 'c', activityTypes: ['Create X'] }),
      rule({ id: 'd', activityTypes: ['*'.concat(' CloudCertificationAuthority')] }),
    ];
    const compiled = compileRules(rules);
    expect(compiled.map((c) => c.rule.id)).toEqual(['a', 'c', 'd']);
    expect(matchRules(compiled, event(D)).map((r) => r.id)).toEqual(['a', 'd']);
    expect(ruleMatches(compiled[1], event(D))).toBe(false);
  });

  it('compileRules rejects a rule whose filter does not parse (rules are validated before)', () => {
    expect(() => compileRules([rule({ filter: 'activityType eq' })])).toThrow(/at 16/);
  });
});
