import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ruleSchemaVersion } from '../../../src/rules/alertRule';
import { defaultRulePack } from '../../../src/rules/defaultRulePack';
import { compileRules, matchRules } from '../../../src/rules/matchRules';
import { parseRule } from '../../../src/rules/parseRule';
import { rulePackHistory } from '../../../src/rules/rulePackHistory';
import { ValidationError } from '../../../src/shared/errors';
import { sampleEvent, sampleResource } from '../../helpers/alertFixtures';

const valid = {
  id: 'ca-deleted',
  name: 'CA deleted',
  enabled: true,
  severity: 'high',
  activityTypes: ['Delete CloudCertificationAuthority'],
  channels: ['default'],
};

/** A rule using every field of the model. */
const full = {
  id: 'full-rule',
  name: 'Everything',
  enabled: true,
  severity: 'critical',
  activityTypes: ['* CloudCertificationAuthority', 'Delete CloudCertificationAuthority'],
  categories: ['CloudPki'],
  operationTypes: ['Delete', 'Action'],
  result: 'Failure',
  actor: {
    include: {
      userPrincipalNames: ['*@contoso.com'],
      applicationIds: ['11111111-2222-3333-4444-555555555555'],
      ipAddresses: ['10.0.0.0/8', '2001:db8::/32', '192.0.2.7'],
      actorTypes: ['ItPro'],
    },
    exclude: { userPrincipalNames: ['breakglass@contoso.com'] },
  },
  resource: { ids: ['96c8868d-868d-96c8-8d86-c8968d86c896'], namePatterns: ['Contoso Root*'] },
  modifiedProperties: [{ name: '*Status*', oldValue: 'active', newValue: 'paused' }, { name: '*' }],
  filter: "resources/any(r: startswith(r/displayName, 'Contoso'))",
  threshold: { count: 20, windowInMinutes: 10, groupBy: 'actor' },
  channels: ['default', 'teams'],
  description: 'd',
  runbookUrl: 'https://contoso.example/runbooks/pki',
  owner: 'pki-team@contoso.com',
  tags: ['cloud-pki'],
  realertInMinutes: 60,
  origin: 'pack@2',
};

function problemsOf(input: unknown): { field: string; message: string }[] {
  try {
    parseRule(input);
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return (err as ValidationError).problems;
  }
  return expect.unreachable('parseRule accepted it');
}

describe('parseRule', () => {
  it('accepts a valid rule, a rule using every field, and every rule of every pack version unchanged', () => {
    expect(parseRule(valid)).toEqual(valid);
    expect(parseRule(full)).toEqual(full);
    for (const pack of rulePackHistory.values()) for (const r of pack) expect(parseRule(r)).toEqual(r);
    expect(rulePackHistory.get(2)).toBe(defaultRulePack);
  });

  it.each([
    [
      '$schema and schemaVersion are accepted and not returned',
      { $schema: '../schemas/alert-rule.schema.json', schemaVersion: ruleSchemaVersion },
      {},
    ],
    ['names are trimmed', { name: '  CA deleted  ' }, { name: 'CA deleted' }],
    [
      'threshold.groupBy defaults to actor',
      { threshold: { count: 5, windowInMinutes: 1 } },
      { threshold: { count: 5, windowInMinutes: 1, groupBy: 'actor' } },
    ],
    [
      'a filter alone is a match condition',
      { activityTypes: undefined, filter: "category eq 'x'" },
      { activityTypes: undefined },
    ],
    [
      'actor.include alone is a match condition',
      { activityTypes: undefined, actor: { include: { actorTypes: ['Partner'] } } },
      { activityTypes: undefined },
    ],
    [
      'a pattern of only * is allowed for a modified property',
      { modifiedProperties: [{ name: '*', newValue: '*' }] },
      {},
    ],
  ])('%s', (_n, patch, expectedPatch) => {
    const expected = JSON.parse(JSON.stringify({ ...valid, ...patch, ...expectedPatch }));
    delete expected.$schema;
    delete expected.schemaVersion;
    expect(parseRule({ ...valid, ...patch })).toEqual(expected);
  });

  it.each([
    ['severity', { severity: 'urgent' }, 'severity', 'must be one of critical, high, medium, low'],
    ['id', { id: 'Bad Id!' }, 'id', 'lowercase'],
    ['missing name', { name: undefined }, 'name', 'is required'],
    ['empty types', { activityTypes: [] }, 'activityTypes', 'must not be empty (omit the field instead)'],
    ['blank type', { activityTypes: ['ok', ' '] }, 'activityTypes[1]', 'must not be empty'],
    ['type of only *', { activityTypes: ['**'] }, 'activityTypes[0]', 'matches everything'],
    ['type with a control character', { activityTypes: ['Delete\u0007 X'] }, 'activityTypes[0]', 'control characters'],
    ['enabled', { enabled: 'yes' }, 'enabled', 'expected boolean'],
    ['result', { result: 'Maybe' }, 'result', 'Success or Failure'],
    ['channels', { channels: [] }, 'channels', 'at least one channel id'],
    ['channel id', { channels: ['default', 'Teams Channel'] }, 'channels[1]', 'lowercase'],
    ['unknown field', { colour: 'red' }, 'colour', 'not a known rule field'],
    ['schemaVersion', { schemaVersion: 2 }, 'schemaVersion', `must be ${ruleSchemaVersion}`],
    ['operation type', { operationTypes: ['Del ete'] }, 'operationTypes[0]', 'operation type'],
    ['category', { categories: [''] }, 'categories[0]', 'must not be empty'],
    [
      'UPN pattern',
      { actor: { exclude: { userPrincipalNames: ['a@contoso.com', 'b@contoso.com', '*'] } } },
      'actor.exclude.userPrincipalNames[2]',
      'matches everything',
    ],
    [
      'application id',
      { actor: { include: { applicationIds: ['not-a-guid'] } } },
      'actor.include.applicationIds[0]',
      'GUID',
    ],
    [
      'IP address',
      { actor: { include: { ipAddresses: ['10.0.0.300'] } } },
      'actor.include.ipAddresses[0]',
      'IPv4 / IPv6',
    ],
    [
      'CIDR prefix',
      { actor: { include: { ipAddresses: ['10.0.0.0/33'] } } },
      'actor.include.ipAddresses[0]',
      'prefix length must be 0-32',
    ],
    [
      'IPv6 CIDR prefix',
      { actor: { include: { ipAddresses: ['2001:db8::/129'] } } },
      'actor.include.ipAddresses[0]',
      '0-128',
    ],
    [
      'IP with a zone',
      { actor: { include: { ipAddresses: ['fe80::1%eth0'] } } },
      'actor.include.ipAddresses[0]',
      'IPv4 / IPv6',
    ],
    ['actor type', { actor: { include: { actorTypes: ['It Pro'] } } }, 'actor.include.actorTypes[0]', 'actor type'],
    ['unknown actor field', { actor: { include: { groups: ['x'] } } }, 'actor.include.groups', 'is not a known field'],
    ['empty actor', { actor: {} }, 'actor', 'must have include or exclude'],
    ['empty include', { actor: { include: {} } }, 'actor.include', 'must list at least one of userPrincipalNames'],
    ['empty resource', { resource: {} }, 'resource', 'must have ids or namePatterns'],
    ['resource name pattern', { resource: { namePatterns: ['*'] } }, 'resource.namePatterns[0]', 'matches everything'],
    [
      'modified property without name',
      { modifiedProperties: [{ newValue: 'paused' }] },
      'modifiedProperties[0].name',
      'is required',
    ],
    [
      'modified property field',
      { modifiedProperties: [{ name: 'Status', value: 'x' }] },
      'modifiedProperties[0].value',
      'is not a known field',
    ],
    [
      'filter syntax',
      { filter: "activityType eq 'x' and (category eq 'y'" },
      'filter',
      "at 41: expected ')' but found end of input",
    ],
    ['filter property', { filter: "actor/upn eq 'x'" }, 'filter', 'at 7: expected a property of actor'],
    ['filter length', { filter: `category eq '${'x'.repeat(2000)}'` }, 'filter', 'must be at most 2000 characters'],
    ['threshold count', { threshold: { count: 1, windowInMinutes: 10 } }, 'threshold.count', 'must be at least 2'],
    [
      'threshold count type',
      { threshold: { count: 2.5, windowInMinutes: 10 } },
      'threshold.count',
      'must be a whole number',
    ],
    [
      'threshold window low',
      { threshold: { count: 2, windowInMinutes: 0 } },
      'threshold.windowInMinutes',
      'must be at least 1',
    ],
    [
      'threshold window high',
      { threshold: { count: 2, windowInMinutes: 1441 } },
      'threshold.windowInMinutes',
      'at most 1440',
    ],
    [
      'threshold group',
      { threshold: { count: 2, windowInMinutes: 5, groupBy: 'ip' } },
      'threshold.groupBy',
      'actor, resource or none',
    ],
    ['runbook http', { runbookUrl: 'http://contoso.example/runbook' }, 'runbookUrl', 'must be an https:// URL'],
    ['runbook javascript', { runbookUrl: 'javascript:alert(1)' }, 'runbookUrl', 'must be an https:// URL'],
    ['runbook credentials', { runbookUrl: 'https://user:pw@contoso.example/' }, 'runbookUrl', 'user name or password'],
    ['tags', { tags: ['ok', 'x'.repeat(51)] }, 'tags[1]', 'at most 50 characters'],
    ['realert', { realertInMinutes: 0 }, 'realertInMinutes', 'at least 1'],
    ['origin', { origin: 'admin' }, 'origin', 'pack@<version>'],
    ['no match condition', { activityTypes: undefined }, 'rule', 'needs at least one match condition'],
    [
      'only an exclusion',
      { activityTypes: undefined, actor: { exclude: { userPrincipalNames: ['a@b.c'] } }, result: 'Failure' },
      'rule',
      'needs at least one match condition',
    ],
  ])('names the field for a bad %s', (_n, patch, field, message) => {
    const problems = problemsOf({ ...valid, ...patch });
    const problem = problems.find((p) => p.field === field);
    expect(problem, JSON.stringify(problems)).toBeDefined();
    expect(problem!.message).toContain(message);
  });

  it('names the rule and every problem in the message', () => {
    try {
      parseRule({ ...valid, severity: 'urgent', threshold: { count: 1, windowInMinutes: 0 } }, 'rules[3]');
      expect.unreachable();
    } catch (err) {
      expect((err as ValidationError).message).toBe(
        'rules[3] "ca-deleted": severity: must be one of critical, high, medium, low; threshold.count: must be at least 2; threshold.windowInMinutes: must be at least 1',
      );
    }
  });

  it('reports every problem at once, cross-field ones included', () => {
    expect(
      problemsOf({ id: 'x', name: '', enabled: true, severity: 'x', activityTypes: [], channels: ['default'] })
        .map((p) => p.field)
        .sort(),
    ).toEqual(['activityTypes', 'name', 'severity']);
    expect(
      problemsOf({ id: 'x', name: 'n', enabled: 1, severity: 'low', channels: ['default'], resource: {} })
        .map((p) => p.field)
        .sort(),
    ).toEqual(['enabled', 'resource']);
    expect(
      problemsOf({ id: 'x', name: 'n', enabled: 1, severity: 'low', channels: ['default'] })
        .map((p) => p.field)
        .sort(),
    ).toEqual(['enabled', 'rule']);
  });

  it.each([null, 'rule', 42, [], [valid]])('rejects a non-object (%j) as a ValidationError', (input) => {
    expect(problemsOf(input)).toEqual([{ field: 'rule', message: expect.stringContaining('expected object') }]);
  });
});

describe('docs/rules.md rule example', () => {
  it('is a valid rule that matches what it says', () => {
    const page = readFileSync(path.join(__dirname, '../../../docs/rules.md'), 'utf8');
    const block = /```json\n(\{\n {2}"\$schema"[\s\S]*?)```/.exec(page);
    expect(block, 'docs/rules.md has a rule example').not.toBeNull();
    const rule = parseRule(JSON.parse(block![1]));
    const paused = (upn: string, ca: string) =>
      sampleEvent({
        activityType: 'ChangeCloudCertificationAuthorityStatusAsync CloudCertificationAuthority',
        actor: { userPrincipalName: upn },
        resources: [
          sampleResource({
            displayName: ca,
            modifiedProperties: [{ name: 'Status', oldValue: 'active', newValue: 'paused' }],
          }),
        ],
      });
    const compiled = compileRules([rule]);
    expect(matchRules(compiled, paused('someone@contoso.com', 'Contoso Root CA')).length).toBe(1);
    expect(matchRules(compiled, paused('pki-alice@contoso.com', 'Contoso Root CA')).length).toBe(0);
    expect(matchRules(compiled, paused('someone@contoso.com', 'Contoso Issuing CA 01')).length).toBe(0);
  });
});
