import { describe, expect, it } from 'vitest';
import type { StoredRule } from '../../../src/app/ruleRepository';
import { canonicalJson, diffFields, planImport } from '../../../src/app/ruleDiff';
import type { AlertRule } from '../../../src/rules/alertRule';

const rule = (id: string, over: Partial<AlertRule> = {}): AlertRule => ({ id, name: id, enabled: true, severity: 'high', activityTypes: ['x'], channels: ['default'], ...over });
const stored = (r: AlertRule): StoredRule => ({ id: r.id, etag: `etag-${r.id}`, rule: r });

describe('diffFields', () => {
  it.each<[string, unknown, unknown, { field: string; before?: unknown; after?: unknown }[]]>([
    ['equal with other key order', { a: 1, b: [1, 2] }, { b: [1, 2], a: 1 }, []],
    ['a changed scalar', { a: 1 }, { a: 2 }, [{ field: 'a', before: 1, after: 2 }]],
    ['an added field', { a: 1 }, { a: 1, b: 'x' }, [{ field: 'b', after: 'x' }]],
    ['a removed field', { a: 1, b: 'x' }, { a: 1 }, [{ field: 'b', before: 'x' }]],
    ['a nested field', { t: { count: 5, windowInMinutes: 10 } }, { t: { count: 9, windowInMinutes: 10 } }, [{ field: 't.count', before: 5, after: 9 }]],
    ['a list (compared whole)', { l: ['a', 'b'] }, { l: ['a'] }, [{ field: 'l', before: ['a', 'b'], after: ['a'] }]],
  ])('%s', (_name, before, after, expected) => {
    expect(diffFields(before, after)).toEqual(expected);
  });

  it('canonical JSON ignores key order and undefined', () => {
    expect(canonicalJson({ b: 1, a: { d: undefined, c: 2 } })).toBe('{"a":{"c":2},"b":1}');
  });
});

describe('planImport', () => {
  it('adds, changes (field by field), deletes and leaves equal rules; origin never counts', () => {
    const current = [stored(rule('keep', { origin: 'pack@2' })), stored(rule('edit')), stored(rule('gone'))];
    const broken: StoredRule = { id: 'broken', etag: 'etag-broken', problems: [{ field: 'severity', message: 'bad' }], raw: { id: 'broken', severity: 'urgent' } };
    const plan = planImport([...current, broken], [rule('keep'), rule('edit', { severity: 'low' }), rule('new'), rule('broken')]);
    expect(plan.add.map((r) => r.id)).toEqual(['new']);
    expect(plan.unchanged).toEqual(['keep']);
    expect(plan.change.map((c) => [c.id, c.etag])).toEqual([['edit', 'etag-edit'], ['broken', 'etag-broken']]);
    expect(plan.change[0].fields).toEqual([{ field: 'severity', before: 'high', after: 'low' }]);
    expect(plan.delete.map((d) => [d.id, d.etag])).toEqual([['gone', 'etag-gone']]);
  });
});
