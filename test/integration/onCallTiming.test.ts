import { afterEach, describe, expect, it } from 'vitest';
import { putChannel } from '../../src/admin/channelAdmin';
import type { AlertRule } from '../../src/rules/alertRule';
import { cloudPkiActivityTypes as T } from '../helpers/alertFixtures';
import { type DeliveryPipeline, startDeliveryPipeline } from '../helpers/deliveryPipeline';
import { graphEvent } from '../helpers/graphEvents';
import { type Receiver, startReceiver } from '../helpers/httpReceiver';
import { acceptedCards } from '../helpers/pipeline';

let p: DeliveryPipeline;
let pd: Receiver;
afterEach(async () => {
  await p?.close();
  await pd?.close();
});

/**
 * The pipeline with the product's defaults for timing: the built-in rule pack (seeded on the first run),
 * ALERT_GROUP_WINDOW_MINUTES at its default of 10, Teams and a PagerDuty channel as default channels.
 */
async function start() {
  pd = await startReceiver();
  p = await startDeliveryPipeline({
    env: { ALERT_GROUP_WINDOW_MINUTES: '10', PD_ROUTING_KEY: 'e93facc04764012d7bfb002500d5d1a6' },
  });
  await putChannel(
    p.services(),
    'pagerduty',
    {
      type: 'pagerduty',
      isDefault: true,
      settings: { routingKeySetting: 'PD_ROUTING_KEY', endpoint: `${pd.url}/v2/enqueue` },
    },
    { caller: 'test' },
  );
  return p.services();
}

const teamsCardsOf = (ruleId: string) => acceptedCards(p).filter((c) => c.text.includes(`rule ${ruleId}`));
const pagesOf = (ruleId: string) =>
  pd.requests
    .map((r) => r.body as { payload: { group: string; component: string } })
    .filter((e) => e.payload.group === ruleId);

describe('timing policy: no high-severity alert held behind a digest', () => {
  it('with the default group window, three deletions of three different CAs (one failed) within a few minutes are each delivered when detected, under every rule they match', async () => {
    const s = await start();
    const deletions = [
      { minute: 4, ca: 'Contoso Root CA', result: 'Success' },
      { minute: 5, ca: 'Contoso Issuing CA 01', result: 'Failure' },
      { minute: 7, ca: 'Contoso Issuing CA 02', result: 'Success' },
    ];
    const start0 = p.clock.now.getTime();
    for (const [i, d] of deletions.entries()) {
      p.clock.now = new Date(start0 + d.minute * 60_000 + 30_000);
      p.sim.addEvents([
        graphEvent({ type: T.caDeleted, at: new Date(p.clock.now.getTime() - 30_000), caName: d.ca, result: d.result }),
      ]);
      const run = await s.cycle(p.log);
      expect(run.delivery.held, `run ${i + 1}: nothing held for a digest`).toBe(0);
      // Delivered in the run that detected it: the Teams card and the page name this CA.
      expect(teamsCardsOf('cloudpki-ca-deleted')).toHaveLength(i + 1);
      expect(teamsCardsOf('cloudpki-ca-deleted')[i].text).toContain(d.ca);
      expect(pagesOf('cloudpki-ca-deleted').map((e) => e.payload.component)).toContain(d.ca);
    }
    // Every rule each deletion matches: the failed one also matches "Cloud PKI action failed" (medium).
    expect(teamsCardsOf('cloudpki-ca-deleted')).toHaveLength(3);
    expect(teamsCardsOf('cloudpki-action-failed')).toHaveLength(1);
    expect(teamsCardsOf('cloudpki-action-failed')[0].text).toContain('Contoso Issuing CA 01');
    expect(pagesOf('cloudpki-ca-deleted')).toHaveLength(3);
    expect(pagesOf('cloudpki-action-failed')).toHaveLength(1);
    const rows = (await p.outbox()).filter((a) => a.alert.ruleId.startsWith('cloudpki-'));
    expect(rows).toHaveLength(4);
    for (const row of rows)
      for (const d of row.deliveries.filter((x) => x.channelId !== 'oncall-mail'))
        expect([row.alert.ruleId, d.channelId, d.state, d.digestId]).toEqual([
          row.alert.ruleId,
          d.channelId,
          'sent',
          undefined,
        ]);
  });

  it('medium rules still get a digest by default', async () => {
    const s = await start();
    await s.rules.upsert(p.tenantId, {
      id: 'leaf-auto',
      name: 'Leaf revoked',
      enabled: true,
      severity: 'medium',
      activityTypes: [T.leafRevoked],
      channels: ['teams'],
    });
    for (let run = 0; run < 2; run++) {
      p.sim.addEvents([graphEvent({ type: T.leafRevoked, at: new Date(p.clock.now.getTime() - 20_000) })]);
      await s.cycle(p.log);
      p.advance(1);
    }
    expect(teamsCardsOf('leaf-auto')).toHaveLength(1); // the second is held for the digest
    p.advance(10);
    await s.cycle(p.log);
    expect(teamsCardsOf('leaf-auto')).toHaveLength(2);
    expect(new Set(teamsCardsOf('leaf-auto').map((c) => c.alertId)).size).toBe(2); // the held alert, once the window ended
  });

  // Needs src/state/tableOutbox.ts (toAlert) to read the alert's `groupWindow` back from its row; until
  // then the Table outbox drops it and every rule behaves as `auto` (groupWindowFor is unit-tested).
  it('a rule can opt out of the digest (groupWindow none) or into a window of its own (minutes)', async () => {
    const s = await start();
    const rules: AlertRule[] = [
      {
        id: 'leaf-none',
        name: 'Leaf revoked (no digest)',
        enabled: true,
        severity: 'medium',
        activityTypes: [T.leafRevoked],
        channels: ['teams'],
        groupWindow: 'none',
      },
      {
        id: 'ca-windowed',
        name: 'CA deleted (digest)',
        enabled: true,
        severity: 'high',
        activityTypes: [T.caDeleted],
        channels: ['teams'],
        groupWindow: 5,
      },
    ];
    for (const r of rules) await s.rules.upsert(p.tenantId, r);
    for (let run = 0; run < 2; run++) {
      p.sim.addEvents([
        graphEvent({ type: T.leafRevoked, at: new Date(p.clock.now.getTime() - 20_000) }),
        graphEvent({ type: T.caDeleted, at: new Date(p.clock.now.getTime() - 20_000) }),
      ]);
      await s.cycle(p.log);
      p.advance(1);
    }
    expect(teamsCardsOf('leaf-none')).toHaveLength(2);
    expect(teamsCardsOf('ca-windowed')).toHaveLength(1);
    p.advance(5);
    await s.cycle(p.log);
    expect(teamsCardsOf('ca-windowed')).toHaveLength(2);
  });
});
