import { describe, expect, it } from 'vitest';
import { loadRulesWithPack } from '../../../src/admin/rulePack';
import type { AlertRule } from '../../../src/rules/alertRule';
import { defaultRulePack, defaultRulePackVersion } from '../../../src/rules/defaultRulePack';
import { parseRule } from '../../../src/rules/parseRule';
import { rulePackHistory } from '../../../src/rules/rulePackHistory';
import type { HistoryEntry, RuleHistory } from '../../../src/rules/ruleHistory';
import { mergeTenantRules, TenantScopedRules } from '../../../src/rules/tenantRules';
import { ValidationError } from '../../../src/shared/errors';
import { createLogger } from '../../../src/shared/logger';
import { InMemoryRuleRepository } from '../../fakes/inMemoryRuleRepository';

const home = 'home-tenant';
const contoso = '11111111-1111-4111-8111-111111111111';
const fabrikam = '22222222-2222-4222-8222-222222222222';
const meta = { by: 'test', at: '2026-11-25T10:00:00.000Z' };

const rule = (id: string, extra: Partial<AlertRule> = {}): AlertRule =>
  parseRule({
    id,
    name: `Rule ${id}`,
    enabled: true,
    severity: 'high',
    activityTypes: ['x'],
    channels: ['default'],
    ...extra,
  });

async function setUp() {
  const inner = new InMemoryRuleRepository();
  await inner.create(home, rule('a'), meta);
  await inner.create(home, rule('b', { excludeTenants: [contoso] }), meta);
  await inner.create(home, rule('c', { severity: 'critical' }), meta);
  await inner.create(contoso, rule('c', { severity: 'low', name: 'Contoso c' }), meta);
  await inner.create(contoso, rule('d'), meta);
  return { inner, scoped: new TenantScopedRules(inner, home) };
}

class MemoryHistory implements RuleHistory {
  readonly entries: { tenantId: string; entry: HistoryEntry }[] = [];
  async append(tenantId: string, entries: readonly HistoryEntry[]) {
    this.entries.push(...entries.map((entry) => ({ tenantId, entry })));
  }
  async list() {
    return [];
  }
}

const ids = (rules: readonly AlertRule[]) => rules.map((r) => r.id);
const log = createLogger(() => undefined);

describe('excludeTenants (rule field)', () => {
  it('takes tenant GUIDs and stores them in lower case', () => {
    expect(rule('a', { excludeTenants: ['AAAAAAAA-0000-4000-8000-00000000000A'] }).excludeTenants).toEqual([
      'aaaaaaaa-0000-4000-8000-00000000000a',
    ]);
  });

  it.each([
    ['a domain name', ['contoso.onmicrosoft.com'], 'excludeTenants[0]', 'must be a tenant id (GUID)'],
    ['an empty list', [], 'excludeTenants', 'must not be empty (omit the field instead)'],
    ['501 tenants', Array.from({ length: 501 }, () => contoso), 'excludeTenants', 'must have at most 500 entries'],
  ])('refuses %s, naming the field', (_label, value, field, message) => {
    let err: unknown;
    try {
      rule('a', { excludeTenants: value });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).problems).toContainEqual({ field, message });
  });
});

describe('TenantScopedRules', () => {
  it("gives a registered tenant the global rules minus its exclusions, a global rule replaced by the tenant's rule of the same id, plus the tenant's own", async () => {
    const { scoped } = await setUp();
    const { rules, problems } = await scoped.list(contoso);
    expect(ids(rules)).toEqual(['a', 'c', 'd']);
    expect(rules.find((r) => r.id === 'c')).toMatchObject({ name: 'Contoso c', severity: 'low' });
    expect(problems).toEqual([]);
  });

  it('gives another tenant every global rule and none of the first tenant’s', async () => {
    const { scoped } = await setUp();
    const { rules } = await scoped.list(fabrikam);
    expect(ids(rules)).toEqual(['a', 'b', 'c']);
    expect(rules.find((r) => r.id === 'c')?.severity).toBe('critical');
  });

  it('gives the home tenant its own partition (the global rules)', async () => {
    const { scoped } = await setUp();
    expect(ids((await scoped.list(home)).rules)).toEqual(['a', 'b', 'c']);
  });

  it('reports bad rows of both partitions, prefixed with the partition; a broken tenant override keeps the global rule', async () => {
    const { inner, scoped } = await setUp();
    inner.putDocument(home, 'broken', { id: 'broken', name: 'x' });
    inner.putDocument(contoso, 'a', { id: 'a', name: 'bad override', enabled: 'yes' });
    const { rules, problems } = await scoped.list(contoso);
    expect(ids(rules)).toEqual(['a', 'c', 'd']);
    expect(rules.find((r) => r.id === 'a')?.name).toBe('Rule a');
    expect(problems.map((p) => [p.ruleId, p.message.split(':')[0]])).toEqual([
      ['broken', 'global rules (home tenant)'],
      ['a', `rules of tenant ${contoso}`],
    ]);
  });

  it('never seeds the pack into a tenant partition: an empty home partition gets it instead', async () => {
    const inner = new InMemoryRuleRepository();
    const scoped = new TenantScopedRules(inner, home);
    expect(await scoped.seedIfEmpty(contoso, defaultRulePack, defaultRulePackVersion)).toBe(defaultRulePack.length);
    expect((await inner.listStored(contoso)).rules).toEqual([]);
    expect((await inner.listStored(home)).rules).toHaveLength(defaultRulePack.length);
    // Home already has rules: nothing is written anywhere.
    expect(await scoped.seedIfEmpty(fabrikam, defaultRulePack, defaultRulePackVersion)).toBe(0);
    expect((await inner.listStored(fabrikam)).rules).toEqual([]);
  });

  it('addresses the partition it is given for admin reads and writes', async () => {
    const { inner, scoped } = await setUp();
    const etag = await scoped.create(fabrikam, rule('e'), meta);
    expect((await inner.get(fabrikam, 'e'))?.etag).toBe(etag);
    expect((await scoped.listStored(contoso)).rules.map((r) => r.id)).toEqual(['c', 'd']);
    expect(await inner.get(home, 'e')).toBeUndefined();
  });
});

describe('mergeTenantRules', () => {
  it("ignores excludeTenants on a tenant's own rule", () => {
    const own = rule('x', { excludeTenants: [contoso] });
    expect(ids(mergeTenantRules(contoso, { rules: [], problems: [] }, { rules: [own], problems: [] }).rules)).toEqual([
      'x',
    ]);
  });
});

describe('loadRulesWithPack across tenants', () => {
  it("a registered tenant's first run seeds the pack into the home partition (history there), never its own, and gets the pack", async () => {
    const rules = new InMemoryRuleRepository();
    const history = new MemoryHistory();
    const loaded = await loadRulesWithPack({
      tenantId: contoso,
      homeTenantId: home,
      rules,
      history,
      clock: () => new Date(meta.at),
      log,
    });
    expect(ids(loaded.rules)).toEqual(ids([...defaultRulePack].sort((a, b) => a.id.localeCompare(b.id))));
    expect((await rules.listStored(contoso)).rules).toEqual([]);
    expect((await rules.listStored(home)).pack.version).toBe(defaultRulePackVersion);
    expect(new Set(history.entries.map((e) => e.tenantId))).toEqual(new Set([home]));
  });

  it('upgrades an old pack only in the home partition; the tenant partition keeps just its own rules', async () => {
    const rules = new InMemoryRuleRepository();
    const history = new MemoryHistory();
    // A home partition of pack v1 without a version row (a first-release table): upgraded to the current pack.
    for (const r of rulePackHistory.get(1)!) await rules.upsert(home, r);
    await rules.create(contoso, rule('own'), meta);
    const loaded = await loadRulesWithPack({
      tenantId: contoso,
      homeTenantId: home,
      rules,
      history,
      clock: () => new Date(meta.at),
      log,
    });
    expect(ids(loaded.rules)).toContain('own');
    expect(loaded.rules.length).toBe(defaultRulePack.length + 1);
    expect((await rules.listStored(home)).pack.version).toBe(defaultRulePackVersion);
    expect((await rules.listStored(contoso)).rules.map((r) => r.id)).toEqual(['own']);
    expect((await rules.listStored(contoso)).pack.version).toBe(0);
  });

  it('merges exclusions and overrides like TenantScopedRules.list', async () => {
    const { inner, scoped } = await setUp();
    await inner.savePackVersion(home, defaultRulePackVersion, undefined);
    const loaded = await loadRulesWithPack({
      tenantId: contoso,
      homeTenantId: home,
      rules: scoped,
      history: new MemoryHistory(),
      clock: () => new Date(meta.at),
      log,
    });
    expect(loaded).toEqual(await scoped.list(contoso));
  });
});
