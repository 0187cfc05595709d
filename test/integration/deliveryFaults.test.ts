import { afterEach, describe, expect, it } from 'vitest';
import { getAlertStatus } from '../../src/admin/alertStatus';
import type { ReceiverResponse } from '../helpers/httpReceiver';
import { type DeliveryPipeline, startDeliveryPipeline, threeRules } from '../helpers/deliveryPipeline';
import { acceptedCards, deliveredAlertIds } from '../helpers/pipeline';

let p: DeliveryPipeline;
afterEach(async () => p?.close());

async function scenario(env: Record<string, string> = {}) {
  p = await startDeliveryPipeline({ env });
  p.addEvents(threeRules);
  const first = await p.services().cycle(p.log);
  expect(first.poll?.alerts).toBe(3);
  return first;
}

/** Runs cycles `minutes` apart; returns, per cycle, how many Teams requests it made. */
async function cycles(count: number, minutes = 1): Promise<number[]> {
  const s = p.services();
  const perCycle: number[] = [];
  for (let i = 0; i < count; i++) {
    p.advance(minutes);
    const before = p.teams.requests.length;
    await s.cycle(p.log);
    perCycle.push(p.teams.requests.length - before);
  }
  return perCycle;
}

const notices = () => p.mails().filter((m) => m.subject.includes('Alert delivery failing on channel teams'));

const retryable: [string, ReceiverResponse][] = [
  ['429 with Retry-After', { status: 429, headers: { 'retry-after': '120' } }],
  ['500', { status: 500, body: 'upstream error' }],
  ['200 with an error in the body', { status: 200, body: 'Microsoft Teams endpoint returned HTTP error 429' }],
  ['too slow (past DELIVERY_TIMEOUT_MS)', { status: 202, delayMs: 1500 }],
];
const permanent: [string, ReceiverResponse][] = [
  ['400', { status: 400, body: { error: { code: 'TriggerInputSchemaMismatch' } } }],
  ['403', { status: 403 }],
  ['413', { status: 413 }],
];

describe('Teams answers 202: delivered at once, no notice', () => {
  it('202', async () => {
    const r = await scenario();
    expect(r.delivery).toMatchObject({ sent: 3, posts: 3, retrying: 0 });
    expect(deliveredAlertIds(p)).toHaveLength(3);
    expect(p.mails()).toEqual([]);
  });

  it('slow but within the timeout', async () => {
    p = await startDeliveryPipeline();
    p.teams.respondWith({ status: 202, delayMs: 400 }, Infinity);
    p.addEvents(threeRules);
    await p.services().cycle(p.log);
    expect(acceptedCards(p)).toHaveLength(3);
  });
});

describe('retryable failures: retried with backoff until delivered, nothing lost, no notice', () => {
  it.each(retryable)('%s', async (_name, response) => {
    p = await startDeliveryPipeline();
    p.teams.respondWith(response, 3); // every first attempt fails
    p.addEvents(threeRules);
    const r1 = await p.services().cycle(p.log);
    expect(r1.delivery).toMatchObject({ retrying: 3, sent: 0 });
    await cycles(8, 2);
    expect(deliveredAlertIds(p)).toHaveLength(3);
    expect(acceptedCards(p)).toHaveLength(3);
    expect(p.cards().filter((c) => c.possibleDuplicate)).toEqual([]);
    const deliveries = (await p.outbox()).flatMap((a) => a.deliveries).filter((d) => d.channelId === 'teams');
    expect(deliveries.map((d) => d.state)).toEqual(['sent', 'sent', 'sent']);
    expect(deliveries.every((d) => d.attempts === 2)).toBe(true);
    expect(notices()).toEqual([]);
  });

  it('Retry-After is honoured: no attempt before it, then delivered', async () => {
    p = await startDeliveryPipeline();
    p.teams.respondWith({ status: 429, headers: { 'retry-after': '600' } }, 3);
    p.addEvents(threeRules);
    await p.services().cycle(p.log);
    const quiet = await cycles(9, 1); // 9 minutes < 600 s
    expect(quiet.every((n) => n === 0)).toBe(true);
    await cycles(2, 1);
    expect(acceptedCards(p)).toHaveLength(3);
  });

  it('backoff grows: attempts get further apart while the receiver keeps failing', async () => {
    p = await startDeliveryPipeline({ env: { DELIVERY_RETRY_BASE_SECONDS: '60' } });
    p.teams.respondWith({ status: 503 }, Infinity);
    p.addEvents([threeRules[0]]);
    await p.services().cycle(p.log);
    const perCycle = await cycles(40, 1);
    const attemptsAt = perCycle.flatMap((n, i) => (n > 0 ? [i] : []));
    const gaps = attemptsAt.slice(1).map((t, i) => t - attemptsAt[i]);
    expect(attemptsAt.length).toBeLessThan(10);
    expect(gaps.every((g, i) => i === 0 || g >= gaps[i - 1])).toBe(true);
    expect(gaps.at(-1)!).toBeGreaterThanOrEqual(8);
  });
});

describe('a delivery still failing after DELIVERY_MAX_AGE_MINUTES is dead-lettered, with one failover notice', () => {
  it.each(retryable)(
    '%s',
    async (_name, response) => {
      p = await startDeliveryPipeline({ env: { DELIVERY_MAX_AGE_MINUTES: '10', DELIVERY_RETRY_BASE_SECONDS: '30' } });
      p.teams.respondWith(response, Infinity);
      p.addEvents(threeRules);
      await p.services().cycle(p.log);
      await cycles(20, 1);
      const teams = (await p.outbox()).flatMap((a) => a.deliveries).filter((d) => d.channelId === 'teams');
      expect(teams.map((d) => d.state)).toEqual(['dead', 'dead', 'dead']);
      // Nothing lost: each dead alert stays queryable with its last error.
      for (const d of teams) {
        const status = await getAlertStatus(p.services(), d.alertId);
        expect(status.deliveries.find((x) => x.channelId === 'teams')).toMatchObject({ state: 'dead' });
      }
      // Exactly one notice for the incident, delivered through the outbox to the failover channel.
      expect(notices()).toHaveLength(1);
      expect(notices()[0]).toMatchObject({ severity: 'critical', to: ['pki-oncall@contoso.com'] });
      expect(notices()[0].text).toMatch(/still failing after the maximum delivery age/);
      const noticeRow = (await p.outbox()).find((a) => a.alert.kind === 'notice')!;
      expect(noticeRow.deliveries).toMatchObject([{ channelId: 'oncall-mail', state: 'sent' }]);
    },
    60_000,
  );
});

describe('permanent failures: failed at once (not retried), one failover notice per incident', () => {
  it.each(permanent)('%s', async (_name, response) => {
    p = await startDeliveryPipeline();
    p.teams.respondWith(response, 3);
    p.addEvents(threeRules);
    const r1 = await p.services().cycle(p.log);
    expect(r1.delivery).toMatchObject({ failed: 3, notices: 1 });
    await cycles(3, 2);
    expect(p.teams.requests).toHaveLength(3); // never retried
    expect(notices()).toHaveLength(1);
    expect(notices()[0].text).toContain('permanent failure');
    const states = (await p.outbox())
      .flatMap((a) => a.deliveries)
      .filter((d) => d.channelId === 'teams')
      .map((d) => [d.state, d.lastStatus]);
    expect(states).toEqual([0, 1, 2].map(() => ['failed', Number(response.status)]));
  });

  it('a success closes the incident; the next failure raises a new notice', async () => {
    p = await startDeliveryPipeline();
    p.teams.respondWith({ status: 404 }, 1);
    p.addEvents([threeRules[0]]);
    await p.services().cycle(p.log);
    expect(notices()).toHaveLength(1);
    p.addEvents([threeRules[1]], 0);
    await cycles(1); // 202: closes the incident
    expect(acceptedCards(p)).toHaveLength(1);
    p.teams.respondWith({ status: 404 }, 1);
    p.addEvents([threeRules[2]], 0);
    await cycles(1);
    expect(notices()).toHaveLength(2);
  });

  it('a failing failover channel never raises a notice about itself (no loop)', async () => {
    p = await startDeliveryPipeline();
    p.teams.respondWith({ status: 410 }, Infinity);
    p.mail.respondWith({ status: 500 }, Infinity);
    p.addEvents(threeRules);
    await p.services().cycle(p.log);
    await cycles(5, 3);
    const rows = await p.outbox();
    expect(rows.filter((a) => a.alert.kind === 'notice')).toHaveLength(1);
    expect(rows.find((a) => a.alert.kind === 'notice')!.deliveries[0].state).toBe('pending');
  });
});
