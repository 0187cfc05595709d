import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Services } from '../../src/composition/services';
import { parseChannel } from '../../src/notifiers/channel';
import { defaultRulePack, defaultRulePackVersion } from '../../src/rules/defaultRulePack';
import { parseRule } from '../../src/rules/parseRule';
import { cloudPkiActivityTypes as T } from '../helpers/alertFixtures';
import { graphEvent, minutesBefore } from '../helpers/graphEvents';
import { type Receiver, startReceiver } from '../helpers/httpReceiver';
import { type Pipeline, startPipeline } from '../helpers/pipeline';

// A registered tenant's poll on the real parts (Azurite, the Graph simulator, loopback receivers): the global
// rules of the home partition (the pack, seeded there) merged with the tenant's own, its own channel, and every
// alert naming the tenant. The simulator answers every tenant with the same events.
const meta = { by: 'test', at: '2026-11-25T10:00:00.000Z' };
let p: Pipeline;
let contosoTeams: Receiver;
const contoso = randomUUID();
const fabrikam = randomUUID();

beforeEach(async () => {
  contosoTeams = await startReceiver();
  p = await startPipeline({
    env: {
      CONTOSO_TEAMS_URL: `${contosoTeams.url}/workflows/0123456789abcdef/triggers/manual/paths/invoke?api-version=1&sig=contoso`,
    },
  });
});
afterEach(async () => {
  await p.close();
  await contosoTeams.close();
});

async function setUp(home: Services) {
  const homeId = home.config.tenancy.homeTenantId;
  // The pack, as the home tenant's first run seeds it.
  await home.rules.seedIfEmpty(homeId, defaultRulePack, defaultRulePackVersion);
  for (const [id, displayName] of [
    [contoso, 'Contoso'],
    [fabrikam, 'Fabrikam'],
  ])
    await home.tenants.store.put({ id, displayName, enabled: true, authState: 'unknown', addedAt: meta.at });
  await home.channelStore.upsert(
    contoso,
    parseChannel({ id: 'contoso-teams', type: 'teams', settings: { urlSetting: 'CONTOSO_TEAMS_URL' } }),
    { updatedBy: 'test' },
  );
  // A global rule every tenant but Contoso gets, and Contoso's own version of a pack rule.
  const base = { enabled: true, activityTypes: [T.caDeleted], channels: ['default'] };
  await home.rules.create(
    homeId,
    parseRule({
      ...base,
      id: 'not-for-contoso',
      name: 'Deleted (global)',
      severity: 'high',
      excludeTenants: [contoso],
    }),
    meta,
  );
  await home.rules.create(
    contoso,
    parseRule({
      ...base,
      id: 'cloudpki-ca-deleted',
      name: 'Contoso: CA deleted',
      severity: 'low',
      channels: ['contoso-teams'],
    }),
    meta,
  );
}

describe("a registered tenant's poll", () => {
  it('matches the global rules minus its exclusions with its own override, seeds nothing into its partition, and names the tenant', async () => {
    const home = p.services();
    await setUp(home);
    p.sim.addEvents([graphEvent({ type: T.caDeleted, at: minutesBefore(p.clock.now, 1) })]);
    const tenant = home.tenants.forTenant(contoso, 'Contoso');
    const run = await tenant.cycle(p.log);
    expect(run.pollError).toBeUndefined();

    const alerts = (await home.outbox.listAlerts(contoso)).map((a) => a.alert);
    expect(alerts.map((a) => [a.ruleId, a.severity, a.tenantName])).toEqual([
      ['cloudpki-ca-deleted', 'low', 'Contoso'],
    ]);
    // The pack went to the home partition only; Contoso's partition holds just its own rule.
    expect((await home.rules.listStored(contoso)).rules.map((r) => r.id)).toEqual(['cloudpki-ca-deleted']);
    expect((await home.rules.listStored(home.config.tenancy.homeTenantId)).pack.version).toBeGreaterThan(0);
    // Delivered to Contoso's own channel, the card naming the tenant; nothing to the global Teams channel.
    const cards = contosoTeams.requests.map((r) => JSON.stringify(r.body));
    expect(cards).toHaveLength(1);
    expect(cards[0]).toContain('"text":"Tenant"');
    expect(cards[0]).toContain(`(${contoso})`);
    expect(p.teams.requests).toHaveLength(0);
  });

  it("another tenant gets the global rules (the excluded one too) on the global channels; Contoso's rules and channel never apply to it", async () => {
    const home = p.services();
    await setUp(home);
    p.sim.addEvents([graphEvent({ type: T.caDeleted, at: minutesBefore(p.clock.now, 1) })]);
    const run = await home.tenants.forTenant(fabrikam, 'Fabrikam').cycle(p.log);
    expect(run.pollError).toBeUndefined();
    const alerts = (await home.outbox.listAlerts(fabrikam)).map((a) => a.alert);
    expect(alerts.map((a) => [a.ruleId, a.severity, a.tenantName]).sort()).toEqual([
      ['cloudpki-ca-deleted', 'high', 'Fabrikam'],
      ['not-for-contoso', 'high', 'Fabrikam'],
    ]);
    expect(contosoTeams.requests).toHaveLength(0);
    expect(p.teams.requests.map((r) => JSON.stringify(r.body)).every((c) => c.includes('Fabrikam'))).toBe(true);
    expect(p.teams.requests).toHaveLength(2);
  });

  it("each tenant's services list the merged rules (what its backtest, health and window summaries read)", async () => {
    const home = p.services();
    await setUp(home);
    const ids = async (id: string) => {
      const { rules } = await home.tenants.forTenant(id).rules.list(id);
      return new Map(rules.map((r) => [r.id, r.severity]));
    };
    const contosoRules = await ids(contoso);
    expect(contosoRules.get('cloudpki-ca-deleted')).toBe('low');
    expect(contosoRules.has('cloudpki-ca-created')).toBe(true);
    expect(contosoRules.has('not-for-contoso')).toBe(false);
    const fabrikamRules = await ids(fabrikam);
    expect(fabrikamRules.get('cloudpki-ca-deleted')).toBe('high');
    expect(fabrikamRules.has('not-for-contoso')).toBe(true);
    expect(fabrikamRules.size).toBe(defaultRulePack.length + 1);
  });
});
