import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AlertRule } from '../../src/rules/alertRule';
import { defaultRulePack, defaultRulePackVersion } from '../../src/rules/defaultRulePack';
import { rulePackHistory } from '../../src/rules/rulePackHistory';
import { tableNames } from '../../src/state/tableClients';
import { cloudPkiActivityTypes as T } from '../helpers/alertFixtures';
import { graphEvent, minutesBefore } from '../helpers/graphEvents';
import { type Pipeline, startPipeline } from '../helpers/pipeline';

let p: Pipeline;
beforeEach(async () => {
  p = await startPipeline();
});
afterEach(async () => p.close());

/** A row as the first release wrote it: one column per field, lists as JSON text, no pack version row. */
const legacyRow = (tenantId: string, r: AlertRule) => ({
  partitionKey: tenantId,
  rowKey: r.id,
  name: r.name,
  enabled: r.enabled,
  severity: r.severity,
  activityTypes: JSON.stringify(r.activityTypes),
  result: r.result ?? '',
  channels: JSON.stringify(r.channels),
  description: r.description ?? '',
  updatedAt: '2026-01-01T00:00:00.000Z',
});

async function pollWithAnEvent() {
  p.advance(1);
  p.sim.addEvents([graphEvent({ type: T.caCreated, at: minutesBefore(p.clock.now, 1) })]);
  return p.services().cycle(p.log);
}

describe('default rule pack', () => {
  it('seeds an empty table with the current pack, records its version and a history entry per rule', async () => {
    await pollWithAnEvent();
    const s = p.services();
    const { rules, pack } = await s.rules.listStored(p.tenantId);
    expect(pack.version).toBe(defaultRulePackVersion);
    expect(rules.map((r) => r.rule)).toEqual([...defaultRulePack].sort((a, b) => a.id.localeCompare(b.id)));
    const h = await s.admin.history.list(p.tenantId, 'rule', 'cloudpki-ca-deleted');
    expect(h).toMatchObject([{ action: 'pack-seed', who: 'system:pack-seed' }]);
  });

  it('upgrades a first-release table: new pack rules added, untouched ones updated, an admin edit kept; recorded as system:pack-upgrade, once', async () => {
    const v1 = rulePackHistory.get(1)!;
    const client = await p.services().tables.get(tableNames.rules);
    for (const r of v1) {
      const edited = r.id === 'cloudpki-ca-status-changed' ? { ...r, severity: 'critical' as const } : r;
      await client.createEntity(legacyRow(p.tenantId, edited));
    }
    const run = await pollWithAnEvent();
    expect(run.poll?.ruleProblems).toBe(0);
    const s = p.services();
    const { rules, pack } = await s.rules.listStored(p.tenantId);
    expect(pack.version).toBe(defaultRulePackVersion);
    const byId = new Map(rules.map((r) => [r.id, r.rule!]));
    const current = new Map(defaultRulePack.map((r) => [r.id, r]));
    // Added: the pack rules v1 did not have.
    for (const id of defaultRulePack.map((r) => r.id).filter((id) => !v1.some((r) => r.id === id)))
      expect(byId.get(id)).toEqual(current.get(id));
    // Updated (it was untouched and v2 changed it): now the v2 rule, tagged with its origin.
    expect(byId.get('cloudpki-ca-deleted')).toEqual(current.get('cloudpki-ca-deleted'));
    // The admin's edit is kept.
    expect(byId.get('cloudpki-ca-status-changed')?.severity).toBe('critical');
    const h = await s.admin.history.list(p.tenantId, 'rule', 'cloudpki-ca-deleted');
    expect(h).toHaveLength(1);
    expect(h[0]).toMatchObject({
      action: 'pack-upgrade',
      who: 'system:pack-upgrade',
      before: { description: v1.find((r) => r.id === 'cloudpki-ca-deleted')!.description },
      after: current.get('cloudpki-ca-deleted'),
    });
    expect(await s.admin.history.list(p.tenantId, 'rule', 'cloudpki-ca-status-changed')).toHaveLength(0);
    expect(
      p.logs.some(
        (l) =>
          l.includes(`Rule pack upgraded from version 1 to ${defaultRulePackVersion}`) &&
          l.includes('cloudpki-ca-status-changed'),
      ),
    ).toBe(true);

    // The next runs do not plan again.
    await pollWithAnEvent();
    expect(await s.admin.history.list(p.tenantId, 'rule', 'cloudpki-ca-deleted')).toHaveLength(1);
  });
});
