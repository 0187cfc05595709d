import { describe, expect, it } from 'vitest';
import type { AlertRule } from '../../../src/rules/alertRule';
import { planImport } from '../../../src/rules/planImport';
import type { StoredRule } from '../../../src/rules/ruleRepository';

const rule = (id: string, over: Partial<AlertRule> = {}): AlertRule => ({
  id,
  name: id,
  enabled: true,
  severity: 'high',
  activityTypes: ['x'],
  channels: ['default'],
  ...over,
});
const stored = (r: AlertRule): StoredRule => ({ id: r.id, etag: `etag-${r.id}`, rule: r });

describe('planImport', () => {
  it('adds, changes (field by field), deletes and leaves equal rules; origin never counts', () => {
    const current = [stored(rule('keep', { origin: 'pack@2' })), stored(rule('edit')), stored(rule('gone'))];
    const broken: StoredRule = {
      id: 'broken',
      etag: 'etag-broken',
      problems: [{ field: 'severity', message: 'bad' }],
      raw: { id: 'broken', severity: 'urgent' },
    };
    const plan = planImport(
      [...current, broken],
      [rule('keep'), rule('edit', { severity: 'low' }), rule('new'), rule('broken')],
    );
    expect(plan.add.map((r) => r.id)).toEqual(['new']);
    expect(plan.unchanged).toEqual(['keep']);
    expect(plan.change.map((c) => [c.id, c.etag])).toEqual([
      ['edit', 'etag-edit'],
      ['broken', 'etag-broken'],
    ]);
    expect(plan.change[0].fields).toEqual([{ field: 'severity', before: 'high', after: 'low' }]);
    expect(plan.delete.map((d) => [d.id, d.etag])).toEqual([['gone', 'etag-gone']]);
  });
});
