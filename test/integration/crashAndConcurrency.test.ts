import { afterEach, describe, expect, it } from 'vitest';
import type { PollStep } from '../../src/app/runPoll';
import { cloudPkiActivityTypes as T } from '../helpers/alertFixtures';
import { graphEvent, minutesBefore } from '../helpers/graphEvents';
import { acceptedCards, deliveredAlertIds, type Pipeline, startPipeline } from '../helpers/pipeline';

const types = [T.caDeleted, T.caCertificateRevoked, T.caStatusChanged, T.leafRevoked, T.leafRevoked, T.leafRevoked];
const expectedRules = [
  'cloudpki-ca-certificate-revoked',
  'cloudpki-ca-deleted',
  'cloudpki-ca-status-changed',
  'cloudpki-leaf-revoked',
];

let p: Pipeline;
afterEach(async () => p?.close());

class Crash extends Error {}

async function scenario() {
  p = await startPipeline({ env: { GRAPH_PAGE_SIZE: '2' } });
  p.sim.addEvents(types.map((type, i) => graphEvent({ type, at: minutesBefore(p.clock.now, 10 - i) })));
}

const deliveredRules = () => {
  deliveredAlertIds(p); // throws on an unlabelled duplicate
  return [...new Set(acceptedCards(p).map((c) => /rule ([a-z0-9-]+)/.exec(c.text)?.[1]))].sort();
};

/** Fresh "processes" a few minutes apart (past any delivery lease), until the outbox is drained. */
async function recover() {
  for (let i = 0; i < 4; i++) {
    p.advance(3);
    await p.services().cycle(p.log);
  }
}

describe('a crash after any pipeline step loses nothing and sends no unlabelled duplicate', () => {
  it.each<PollStep>(['page-read', 'outbox-written', 'checkpoint-advanced'])(
    'crash after %s (every time it happens in the first run)',
    async (step) => {
      await scenario();
      const crashing = p.services({
        afterPollStep: (s) => {
          if (s === step) throw new Crash(step);
        },
      });
      await expect(crashing.poll(p.log)).rejects.toBeInstanceOf(Crash);
      await recover();
      expect(deliveredRules()).toEqual(expectedRules);
      expect(acceptedCards(p)).toHaveLength(4);
      expect(acceptedCards(p).filter((c) => c.possibleDuplicate)).toEqual([]);
    },
  );

  it.each(['delivery-claimed', 'delivery-recorded'] as const)('crash after %s', async (step) => {
    await scenario();
    let crashed = false;
    const crashing = p.services({
      afterDeliveryStep: (s) => {
        if (s === step && !crashed) {
          crashed = true;
          throw new Crash(step);
        }
      },
    });
    await expect(crashing.cycle(p.log)).rejects.toBeInstanceOf(Crash);
    await recover();
    expect(deliveredRules()).toEqual(expectedRules);
    // A claimed-but-unsent record is resent; it may be labelled (the app cannot know the POST never left).
    expect(acceptedCards(p)).toHaveLength(4);
  });

  it('crash between a successful POST and its recording: the one unavoidable resend is labelled as a possible duplicate', async () => {
    await scenario();
    let crashed = false;
    const crashing = p.services({
      afterDeliveryStep: (s) => {
        if (s === 'delivery-sent' && !crashed) {
          crashed = true;
          throw new Crash('after POST');
        }
      },
    });
    await expect(crashing.cycle(p.log)).rejects.toBeInstanceOf(Crash);
    expect(acceptedCards(p)).toHaveLength(1);
    await recover();
    expect(deliveredRules()).toEqual(expectedRules);
    const cards = acceptedCards(p);
    expect(cards).toHaveLength(5);
    const dupes = cards.filter((c) => c.possibleDuplicate);
    expect(dupes).toHaveLength(1);
    expect(dupes[0].alertId).toBe(cards[0].alertId);
  });
});

describe('concurrent runs', () => {
  it.each([1, 2, 3])('two overlapping runs send no duplicate (round %i)', async () => {
    await scenario();
    const [a, b] = [p.services(), p.services()];
    const results = await Promise.allSettled([a.cycle(p.log), b.cycle(p.log)]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
    await recover();
    expect(deliveredRules()).toEqual(expectedRules);
    expect(acceptedCards(p)).toHaveLength(4);
    expect(acceptedCards(p).filter((c) => c.possibleDuplicate)).toEqual([]);
  });
});
