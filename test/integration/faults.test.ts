import { afterEach, describe, expect, it } from 'vitest';
import type { GraphFault } from '../../src/local/graphSimulator';
import { cloudPkiActivityTypes as T } from '../helpers/alertFixtures';
import { graphEvent, minutesBefore } from '../helpers/graphEvents';
import { acceptedCards, deliveredAlertIds, type Pipeline, startPipeline } from '../helpers/pipeline';

// Five events of five rules: five alerts expected, two events per Graph page.
const scenarioTypes = [T.caDeleted, T.caCertificateRevoked, T.caStatusChanged, T.externalCaUploaded, T.caCreated];
const expectedRules = [
  'cloudpki-ca-certificate-revoked',
  'cloudpki-ca-created',
  'cloudpki-ca-deleted',
  'cloudpki-ca-status-changed',
  'cloudpki-external-ca-uploaded',
];

let p: Pipeline;
afterEach(async () => p?.close());

async function scenario(env: Record<string, string> = {}) {
  p = await startPipeline({ env: { GRAPH_PAGE_SIZE: '2', ...env } });
  p.sim.addEvents(scenarioTypes.map((type, i) => graphEvent({ type, at: minutesBefore(p.clock.now, 10 - i) })));
  return p;
}

/** Rule ids of delivered cards; throws on an unlabelled duplicate. */
function deliveredRules(): string[] {
  deliveredAlertIds(p);
  return [...new Set(acceptedCards(p).map((c) => /rule ([a-z0-9-]+)/.exec(c.text)?.[1] ?? '?'))].sort();
}

/** Runs cycles a minute apart until nothing is pending (bounded). */
async function settle(runs = 6) {
  const s = p.services();
  for (let i = 0; i < runs; i++) {
    p.advance(2);
    await s.cycle(p.log);
  }
}

describe('Graph faults are survived with nothing lost', () => {
  it.each<[string, GraphFault, { times?: number; on?: 'firstPage' | 'nextPage' }]>([
    ['429 with Retry-After', { kind: 'status', status: 429, retryAfterSeconds: 1 }, { on: 'nextPage' }],
    ['429 without Retry-After', { kind: 'status', status: 429 }, { on: 'nextPage' }],
    ['503', { kind: 'status', status: 503 }, { on: 'nextPage' }],
    ['504 beyond the retry budget', { kind: 'status', status: 504 }, { on: 'nextPage', times: 5 }],
    ['500 (not retried by the SDK)', { kind: 'status', status: 500 }, { on: 'nextPage' }],
    ['a hanging page', { kind: 'hang' }, { on: 'nextPage' }],
    ['malformed JSON', { kind: 'malformedJson' }, { on: 'nextPage' }],
    ['401 on the first page', { kind: 'status', status: 401 }, { on: 'firstPage' }],
  ])('%s', async (_name, fault, options) => {
    await scenario();
    p.sim.injectFault(fault, options);
    const first = await p.services().cycle(p.log);
    await settle();
    expect(deliveredRules()).toEqual(expectedRules);
    expect(acceptedCards(p)).toHaveLength(5);
    if (first.pollError) expect(p.logs.some((l) => l.includes('Reading Graph audit events failed'))).toBe(true);
  });

  it('a backlog bigger than the page budget is worked off over several runs, the checkpoint moving only over what was read', async () => {
    await scenario({ GRAPH_MAX_PAGES_PER_RUN: '1' });
    const s = p.services();
    const r1 = await s.cycle(p.log);
    expect(r1.poll).toMatchObject({ budgetExhausted: true });
    expect(r1.poll!.pages).toBeLessThanOrEqual(2);
    const checkpoints: string[] = [];
    for (let i = 0; i < 30 && !(await s.checkpoints.get(p.tenantId))?.checkpoint.complete; i++) {
      p.advance(1);
      const r = await s.cycle(p.log);
      expect(r.poll!.pages).toBeLessThanOrEqual(2); // one page of budget, at most one more to learn a slice length
      checkpoints.push((await s.checkpoints.get(p.tenantId))!.checkpoint.scannedTo);
    }
    expect([...checkpoints].sort()).toEqual(checkpoints); // never backwards
    expect((await s.checkpoints.get(p.tenantId))?.checkpoint.complete).toBe(true);
    await settle();
    expect(deliveredRules()).toEqual(expectedRules);
    expect(p.cards().filter((c) => !c.watchdog)).toHaveLength(5); // + the watchdog's "falling behind" pair while the backlog lasts
  });
});

describe('Teams faults are retried on later runs with nothing lost', () => {
  it.each([
    ['500', { status: 500 }],
    ['timeout', { status: 202, hang: true }],
    ['429 with Retry-After', { status: 429, headers: { 'retry-after': '30' } }],
    ['200 with an error in the body', { status: 200, body: 'Microsoft Teams endpoint returned HTTP error 429' }],
  ])('%s', async (_name, response) => {
    await scenario();
    p.teams.respondWith(response, 5);
    const r1 = await p.services().cycle(p.log);
    expect(r1.delivery.retrying).toBeGreaterThan(0);
    await settle(8);
    expect(deliveredRules()).toEqual(expectedRules);
    expect(acceptedCards(p)).toHaveLength(5);
    expect(p.cards().filter((c) => c.possibleDuplicate)).toEqual([]);
  });

  it('honours Retry-After: no new attempt before it elapses', async () => {
    await scenario();
    p.teams.respondWith({ status: 429, headers: { 'retry-after': '600' } }, 1);
    const s = p.services();
    await s.cycle(p.log);
    expect(p.teams.requests).toHaveLength(5); // one 429, four accepted
    p.advance(5);
    await s.cycle(p.log);
    const stuck = (await s.outbox.listAlerts(p.tenantId))
      .flatMap((a) => a.deliveries)
      .filter((d) => d.lastStatus === 429);
    expect(stuck).toHaveLength(1);
    expect(Date.parse(stuck[0].nextAttemptAt) - Date.parse('2026-11-25T10:00:00Z')).toBeGreaterThanOrEqual(600_000);
    expect(p.teams.requests).toHaveLength(5); // not retried 5 minutes later
    p.advance(6);
    await s.cycle(p.log);
    expect(deliveredRules()).toEqual(expectedRules);
  });

  it('a permanent 400 is not retried', async () => {
    await scenario();
    p.teams.respondWith({ status: 400, body: 'bad' }, 1);
    const r = await p.services().cycle(p.log);
    expect(r.delivery).toMatchObject({ failed: 1, sent: 4 });
    await settle(2);
    expect(p.teams.requests).toHaveLength(5);
  });

  it('a delivery still failing after DELIVERY_MAX_AGE_MINUTES is dead-lettered', async () => {
    await scenario({ DELIVERY_MAX_AGE_MINUTES: '10' });
    p.teams.respondWith({ status: 503 }, Infinity);
    await settle(15);
    // Rule alerts only: the watchdog's "channel failing" message to the same (only) channel dead-letters too.
    const deliveries = (await p.services().outbox.listAlerts(p.tenantId))
      .filter((a) => !a.alert.ruleId.startsWith('watchdog:'))
      .flatMap((a) => a.deliveries);
    expect(deliveries.map((d) => d.state)).toEqual(['dead', 'dead', 'dead', 'dead', 'dead']);
    expect(p.logs.some((l) => l.includes('dead-lettered'))).toBe(true);
  });
});
