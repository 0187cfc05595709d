import { afterEach, describe, expect, it } from 'vitest';
import { getAlertStatus } from '../../src/admin/alertStatus';
import type { AlertRule } from '../../src/rules/alertRule';
import { cloudPkiActivityTypes as T } from '../helpers/alertFixtures';
import { graphEvent } from '../helpers/graphEvents';
import { type Pipeline, startPipeline } from '../helpers/pipeline';

let p: Pipeline;
afterEach(async () => p?.close());

const caId = '96c8868d-868d-96c8-8d86-c8968d86c896';
const rules: AlertRule[] = [
  {
    id: 'leaf-revoked',
    name: 'Leaf certificates revoked',
    enabled: true,
    severity: 'medium',
    activityTypes: [T.leafRevoked],
    channels: ['default'],
  },
  {
    id: 'ca-revoked',
    name: 'CA certificate revoked',
    enabled: true,
    severity: 'critical',
    activityTypes: [T.caCertificateRevoked],
    channels: ['default'],
    realertInMinutes: 30,
    runbookUrl: 'https://wiki.contoso.com/pki/ca-revoked',
  },
];

async function start(env: Record<string, string> = {}) {
  p = await startPipeline({ env: { ALERT_GROUP_WINDOW_MINUTES: '10', ...env } });
  const s = p.services();
  for (const r of rules) await s.rules.upsert(p.tenantId, r);
  return s;
}

/** `count` events of one type in the last minute (distinct ids). */
function burst(type: string, count: number) {
  const end = p.clock.now.getTime() - 5_000;
  p.sim.addEvents(
    Array.from({ length: count }, (_, i) =>
      graphEvent({ type, at: new Date(end - 50_000 + Math.floor((i * 50_000) / count)) }),
    ),
  );
}

// Only this test's rules count: the default pack may also be present and match the same events.
const postsOf = (ruleId: string) => p.teams.requests.filter((r) => r.rawBody.includes(`rule ${ruleId}`));
const posts = (ruleId = 'leaf-revoked') => postsOf(ruleId).length;

describe('group window: later alerts of a group are folded into one follow-up digest', () => {
  it('a burst of 10,000 revocations over four runs after a first card produces exactly one digest card', async () => {
    const s = await start({ GRAPH_PAGE_SIZE: '1000' });
    burst(T.leafRevoked, 1);
    await s.cycle(p.log);
    expect(posts()).toBe(1);
    for (let run = 0; run < 4; run++) {
      p.advance(1);
      burst(T.leafRevoked, 2_500);
      const r = await s.cycle(p.log);
      expect(r.delivery.held).toBeGreaterThanOrEqual(1);
    }
    expect(posts()).toBe(1); // all held while the window is open
    p.advance(6); // past the window opened by the first card
    await s.cycle(p.log);
    expect(posts()).toBe(2);
    const digest = JSON.stringify(postsOf('leaf-revoked')[1].body);
    const folded = (await s.outbox.listAlerts(p.tenantId)).filter((a) => a.alert.ruleId === 'leaf-revoked').length - 1;
    expect(digest).toContain(`Follow-up digest: ${folded} alerts of this rule`);
    expect(digest).toContain('10000 events in total');
    expect(Buffer.byteLength(postsOf('leaf-revoked')[1].rawBody)).toBeLessThanOrEqual(20 * 1024);
    // Nothing lost: every alert's delivery is sent, the four folded ones under one digest id.
    const deliveries = (await s.outbox.listAlerts(p.tenantId))
      .filter((a) => a.alert.ruleId === 'leaf-revoked')
      .flatMap((a) => a.deliveries);
    expect(deliveries.every((d) => d.state === 'sent')).toBe(true);
    expect(new Set(deliveries.filter((d) => d.digestId).map((d) => d.digestId)).size).toBe(1);
    expect(deliveries.filter((d) => d.digestId)).toHaveLength(folded);
    // The digest opened a new window: nothing more is posted until it ends.
    p.advance(1);
    burst(T.leafRevoked, 3);
    await s.cycle(p.log);
    expect(posts()).toBe(2);
    p.cards(); // every card parses with the Adaptive Cards SDK
  }, 60_000);

  it('other groups are not held by a group window', async () => {
    const s = await start();
    burst(T.leafRevoked, 1);
    await s.cycle(p.log);
    p.advance(1);
    burst(T.caCertificateRevoked, 1);
    await s.cycle(p.log);
    expect(posts()).toBe(1);
    expect(posts('ca-revoked')).toBe(1);
  });
});

describe('realert suppression (rule realertInMinutes)', () => {
  it('matches within realertInMinutes after a card are recorded, not sent; after it, the next one is sent', async () => {
    const s = await start();
    burst(T.caCertificateRevoked, 1);
    await s.cycle(p.log);
    const suppressedIds: string[] = [];
    for (const minutes of [5, 10]) {
      p.advance(minutes);
      burst(T.caCertificateRevoked, 1);
      const r = await s.cycle(p.log);
      expect(r.delivery.suppressed).toBeGreaterThanOrEqual(1);
    }
    for (const { alert, deliveries } of await s.outbox.listAlerts(p.tenantId))
      if (alert.ruleId === 'ca-revoked' && deliveries[0].state === 'suppressed') suppressedIds.push(alert.id);
    expect(suppressedIds).toHaveLength(2);
    const status = await getAlertStatus(s, suppressedIds[0]);
    expect(status.deliveries[0]).toMatchObject({
      state: 'suppressed',
      note: expect.stringMatching(/^realert suppression/),
    });
    expect(posts('ca-revoked')).toBe(1);
    p.advance(20); // 35 minutes after the card
    burst(T.caCertificateRevoked, 1);
    await s.cycle(p.log);
    expect(posts('ca-revoked')).toBe(2);
  });
});

describe('CA details from Graph Cloud PKI resources, and the runbook link', () => {
  it('shows name, type, status and validity read through the Graph SDK, and the rule runbook', async () => {
    const s = await start();
    p.sim.pki.addCertificationAuthority({
      id: caId,
      displayName: 'Contoso Issuing CA 01',
      cloudCertificationAuthorityType: 'issuingCertificationAuthority',
      certificationAuthorityStatus: 'revoked',
      validityStartDateTime: '2024-01-01T00:00:00Z',
      validityEndDateTime: '2030-01-01T00:00:00Z',
    });
    p.sim.addEvents([graphEvent({ type: T.caCertificateRevoked, at: new Date(p.clock.now.getTime() - 60_000), caId })]);
    await s.cycle(p.log);
    const card = JSON.stringify(postsOf('ca-revoked')[0].body);
    expect(card).toContain('"text":"CA details"');
    expect(card).toContain('"text":" · issuing CA"');
    expect(card).toContain('"text":"revoked"');
    expect(card).toContain('Valid 2024-01-01 00:00:00 UTC – 2030-01-01 00:00:00 UTC');
    expect(card).toContain(
      '{"type":"Action.OpenUrl","title":"Open runbook","url":"https://wiki.contoso.com/pki/ca-revoked"}',
    );
    expect(p.sim.pki.caReads).toBeGreaterThanOrEqual(1);
    p.cards();
  });

  it.each([
    [403, 'no permission to read Cloud PKI CAs'],
    [404, 'CA not found, it may have been deleted'],
  ])('Graph %i: the card still goes out and says "CA details unavailable"', async (status, reason) => {
    const s = await start();
    if (status === 403) p.sim.pki.setCaReadStatus(403);
    p.sim.addEvents([graphEvent({ type: T.caCertificateRevoked, at: new Date(p.clock.now.getTime() - 60_000), caId })]);
    await s.cycle(p.log);
    expect(posts('ca-revoked')).toBe(1);
    const card = JSON.stringify(postsOf('ca-revoked')[0].body);
    expect(card).toContain('CA details unavailable');
    expect(card).toContain(reason);
    p.cards();
  });
});

describe('a crash between a digest POST and its recording', () => {
  it('resends the digest once, labelled as a possible duplicate, and records every member as sent', async () => {
    const s = await start();
    burst(T.leafRevoked, 1);
    await s.cycle(p.log);
    for (let run = 0; run < 2; run++) {
      p.advance(1);
      burst(T.leafRevoked, 5);
      await s.cycle(p.log);
    }
    p.advance(10);
    let crashed = false;
    const crashing = p.services({
      afterDeliveryStep: (step) => {
        if (step === 'delivery-sent' && !crashed) {
          crashed = true;
          throw new Error('crash after the digest POST');
        }
      },
    });
    await expect(crashing.cycle(p.log)).rejects.toThrow('crash after the digest POST');
    p.advance(3); // past the lease
    await p.services().cycle(p.log);
    const leaf = postsOf('leaf-revoked');
    expect(leaf).toHaveLength(3);
    expect(leaf[1].rawBody).toContain('Follow-up digest');
    expect(leaf[2].rawBody).toContain('Follow-up digest');
    expect(leaf[1].rawBody).not.toContain('Possible duplicate');
    expect(leaf[2].rawBody).toContain('Possible duplicate');
    const deliveries = (await s.outbox.listAlerts(p.tenantId))
      .filter((a) => a.alert.ruleId === 'leaf-revoked')
      .flatMap((a) => a.deliveries);
    expect(deliveries.every((d) => d.state === 'sent')).toBe(true);
    p.cards();
  });
});
