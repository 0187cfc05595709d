import { afterEach, describe, expect, it } from 'vitest';
import type { PollStep } from '../../src/app/runPoll';
import { replayEvents } from '../../src/app/replayEvents';
import { defaultRulePack } from '../../src/rules/defaultRulePack';
import { cloudPkiActivityTypes as T } from '../helpers/alertFixtures';
import { graphEvent, minutesBefore } from '../helpers/graphEvents';
import { acceptedCards, deliveredAlertIds, type Pipeline, startPipeline } from '../helpers/pipeline';

/**
 * One regression test per row of the table in the detection-core issue: inputs that lost alerts or wedged
 * the pipeline before the per-match design. Each runs the real pipeline (Azurite, the Graph simulator through
 * the SDK, a real receiver) and checks the end state: what was alerted and delivered, and that later runs
 * are healthy.
 */

let p: Pipeline;
afterEach(async () => p?.close());

class Crash extends Error {}

/** Cycles until nothing is pending, then the alerts stored per rule (eventCount summed). */
async function settle(runs = 3) {
  let last;
  for (let i = 0; i < runs; i++) {
    last = await p.services().cycle(p.log);
    p.advance(3);
  }
  const alerts = await p.services().outbox.listAlerts(p.tenantId, { limit: 1000 });
  const byRule = new Map<string, number>();
  for (const { alert } of alerts)
    if (!alert.ruleId.startsWith('watchdog:'))
      byRule.set(alert.ruleId, (byRule.get(alert.ruleId) ?? 0) + alert.eventCount);
  const pending = alerts.flatMap((a) => a.deliveries).filter((d) => d.state === 'pending' || d.state === 'sending');
  deliveredAlertIds(p); // throws on an unlabelled duplicate card
  return { byRule, last, pending, alerts };
}

const at = (minutes: number, ms = 0) => new Date(minutesBefore(p.clock.now, minutes).getTime() + ms);

describe('detection regressions (one per input that broke the old core)', () => {
  it('1. the same event id twice in one window (same page and across pages) alerts once, and later runs stay healthy', async () => {
    p = await startPipeline({ env: { GRAPH_PAGE_SIZE: '3' } });
    const e = graphEvent({ type: T.caDeleted, at: at(5), id: 'dup-1' });
    p.sim.addEvents([
      e,
      e,
      graphEvent({ type: T.caStatusChanged, at: at(4) }),
      graphEvent({ type: T.caStatusChanged, at: at(4) }),
      e,
    ]);
    const { byRule, last, pending } = await settle();
    expect(byRule.get('cloudpki-ca-deleted')).toBe(1);
    expect(byRule.get('cloudpki-ca-status-changed')).toBe(2);
    expect(last?.pollError).toBeUndefined();
    expect(pending).toEqual([]);
  });

  it('2. an alert whose samples serialise past 30,000 characters (a PEM) is stored reduced, delivered, and cleanup works', async () => {
    p = await startPipeline();
    const pem = `-----BEGIN CERTIFICATE-----\n${'MIIB'.repeat(20_000)}\n-----END CERTIFICATE-----`;
    p.sim.addEvents(
      [1, 2, 3].map((i) =>
        graphEvent({
          type: T.externalCaUploaded,
          at: at(5 - i),
          caName: `CA ${i}`,
          modified: [{ displayName: 'Certificate', oldValue: null, newValue: pem }],
        }),
      ),
    );
    const { byRule, pending, alerts } = await settle();
    expect(byRule.get('cloudpki-external-ca-uploaded') ?? [...byRule.values()].reduce((a, b) => a + b, 0)).toBe(3);
    expect(pending).toEqual([]);
    expect(alerts.some((a) => a.alert.sampleReduced)).toBe(true);
    expect(acceptedCards(p).length).toBeGreaterThanOrEqual(1);
    await expect(
      p.services().outbox.cleanup(p.tenantId, p.clock.now, { seenBefore: p.clock.now, deliveredBefore: p.clock.now }),
    ).resolves.toBeDefined();
  });

  it('3. one event matching several rules alerts under each of them (a failed CA deletion)', async () => {
    p = await startPipeline();
    p.sim.addEvents([graphEvent({ type: T.caDeleted, at: at(3), result: 'Failure' })]);
    const { byRule } = await settle();
    expect(byRule.get('cloudpki-ca-deleted')).toBe(1);
    expect(byRule.get('cloudpki-action-failed')).toBe(1);
    const rules = new Set(acceptedCards(p).map((c) => /rule ([a-z0-9-]+)/.exec(c.text)?.[1]));
    expect([...rules].sort()).toEqual(['cloudpki-action-failed', 'cloudpki-ca-deleted']);
  });

  it.each<PollStep>(['group-written', 'outbox-written'])(
    '4. a crash after the plain alerts are written (%s) does not lose the threshold alert',
    async (step) => {
      p = await startPipeline();
      p.sim.addEvents(
        Array.from({ length: 25 }, (_, i) =>
          graphEvent({ type: T.leafRevoked, at: at(8, i * 1000), upn: 'mallory@contoso.com' }),
        ),
      );
      let crashed = false;
      const crashing = p.services({
        afterPollStep: (s) => {
          if (s === step && !crashed) {
            crashed = true;
            throw new Crash(s);
          }
        },
      });
      await expect(crashing.poll(p.log)).rejects.toBeInstanceOf(Crash);
      const { byRule, alerts } = await settle();
      expect(byRule.get('cloudpki-leaf-revoked')).toBe(25);
      expect(alerts.filter((a) => a.alert.ruleId === 'cloudpki-leaf-mass-revocation').length).toBeGreaterThanOrEqual(1);
    },
  );

  it('5. more events in one millisecond than page size × page budget cannot livelock: a later critical event alerts', async () => {
    p = await startPipeline({ env: { GRAPH_PAGE_SIZE: '5', GRAPH_MAX_PAGES_PER_RUN: '4' } });
    const burstAt = at(10);
    p.sim.addEvents(Array.from({ length: 40 }, () => graphEvent({ type: T.leafRevoked, at: burstAt })));
    p.sim.addEvents([graphEvent({ type: T.caCertificateRevoked, at: at(9) })]);
    const { byRule } = await settle(8);
    expect(byRule.get('cloudpki-leaf-revoked')).toBe(40);
    expect(byRule.get('cloudpki-ca-certificate-revoked')).toBe(1);
    expect((await p.services().checkpoints.get(p.tenantId))?.checkpoint.complete).toBe(true);
  });

  it('6. a late event inside the lookback is alerted while a backlog is worked off', async () => {
    p = await startPipeline({
      env: { GRAPH_PAGE_SIZE: '10', GRAPH_MAX_PAGES_PER_RUN: '4', INITIAL_LOOKBACK_MINUTES: '600' },
    });
    p.sim.addEvents(Array.from({ length: 300 }, (_, i) => graphEvent({ type: T.caPatched, at: at(590 - i) })));
    const r1 = await p.services().cycle(p.log);
    expect(r1.poll?.budgetExhausted).toBe(true);
    const checkpoint = (await p.services().checkpoints.get(p.tenantId))!.checkpoint;
    // Became visible now, but happened 5 minutes before the backlog's checkpoint: inside the lookback.
    p.sim.addEvents([
      graphEvent({ type: T.caDeleted, at: new Date(Date.parse(checkpoint.scannedTo) - 5 * 60_000), id: 'late-1' }),
    ]);
    p.advance(1);
    await p.services().cycle(p.log);
    const deleted = (await p.services().outbox.listAlerts(p.tenantId, { limit: 1000 })).filter(
      (a) => a.alert.ruleId === 'cloudpki-ca-deleted',
    );
    expect(deleted.map((a) => a.alert.eventCount)).toEqual([1]);
  });

  it('7. an event id longer than the Table key limit (with key characters) is alerted, and the next runs are healthy', async () => {
    p = await startPipeline();
    p.sim.addEvents([graphEvent({ type: T.caDeleted, at: at(3), id: `${'a/b#c?d\\'.repeat(400)}` })]);
    const { byRule, last, pending } = await settle();
    expect(byRule.get('cloudpki-ca-deleted')).toBe(1);
    expect(last?.pollError).toBeUndefined();
    expect(pending).toEqual([]);
  });

  it('8. a crash inside the outbox stage of a 150-event alert leaves no second card and exact counts', async () => {
    p = await startPipeline();
    p.sim.addEvents(Array.from({ length: 150 }, (_, i) => graphEvent({ type: T.caPatched, at: at(9, i * 100) })));
    let crashed = false;
    const crashing = p.services({
      afterPollStep: (s) => {
        if (s === 'group-written' && !crashed) {
          crashed = true;
          throw new Crash(s);
        }
      },
    });
    await expect(crashing.poll(p.log)).rejects.toBeInstanceOf(Crash);
    const { byRule } = await settle();
    expect(byRule.get('cloudpki-ca-updated')).toBe(150);
    const cards = acceptedCards(p).filter((c) => c.text.includes('rule cloudpki-ca-updated'));
    expect(cards.filter((c) => !c.possibleDuplicate)).toHaveLength(1);
    expect(cards[0].text).toContain('150 events');
  });

  it('9. unbounded text reaching threshold state (a 33k-character UPN, 7k-character CA names, a lone surrogate) fires and does not wedge', async () => {
    p = await startPipeline();
    const upns = [`${'u'.repeat(33_000)}@contoso.com`, 'lone\ud800surrogate@contoso.com'];
    for (const upn of upns)
      p.sim.addEvents(
        Array.from({ length: 21 }, (_, i) =>
          graphEvent({ type: T.leafRevoked, at: at(8, i * 1000), upn, caName: `CA ${i % 5} ${'N'.repeat(7000)}` }),
        ),
      );
    const { alerts, last } = await settle();
    expect(alerts.filter((a) => a.alert.ruleId === 'cloudpki-leaf-mass-revocation').length).toBe(2);
    expect(last?.pollError).toBeUndefined();
    expect(await p.services().outbox.listQuarantine(p.tenantId)).toEqual([]);
  });

  it('10. a lone surrogate in an event id and U+2028 in a CA name are stored, and later writes still work', async () => {
    p = await startPipeline();
    p.sim.addEvents([
      graphEvent({ type: T.caDeleted, at: at(5), id: 'id-\udc00-x' }),
      graphEvent({ type: T.caStatusChanged, at: at(4), caName: 'CA\u2028line\u2029para' }),
    ]);
    await settle(1);
    p.sim.addEvents([graphEvent({ type: T.caCertificateRevoked, at: at(1) })]);
    const { byRule, pending } = await settle();
    expect([
      byRule.get('cloudpki-ca-deleted'),
      byRule.get('cloudpki-ca-status-changed'),
      byRule.get('cloudpki-ca-certificate-revoked'),
    ]).toEqual([1, 1, 1]);
    expect(pending).toEqual([]);
  });

  it('11. replay with a duplicated event counts it once', () => {
    const now = new Date('2026-11-25T10:00:00Z');
    const e = graphEvent({ type: T.caDeleted, at: now, id: 'r-1' });
    const { summary, alerts } = replayEvents([e, e, graphEvent({ type: T.caDeleted, at: now })], defaultRulePack);
    expect(summary).toMatchObject({ events: 2, repeated: 1 });
    expect(alerts.filter((a) => a.ruleId === 'cloudpki-ca-deleted').map((a) => a.eventCount)).toEqual([2]);
  });
});
