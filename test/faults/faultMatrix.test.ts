import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { RestError } from '@azure/data-tables';
import { afterAll, describe, expect, it } from 'vitest';
import type { ServiceOverrides } from '../../src/composition/services';
import type { GraphFault } from '../../src/local/graphSimulator';
import { type PipelinePolicy, tableNames } from '../../src/state/tableClients';
import { cloudPkiActivityTypes as T } from '../helpers/alertFixtures';
import { graphEvent, minutesBefore } from '../helpers/graphEvents';
import type { ReceiverResponse } from '../helpers/httpReceiver';
import { type DeliveryPipeline, startDeliveryPipeline } from '../helpers/deliveryPipeline';
import { acceptedCards, type Pipeline, startPipeline } from '../helpers/pipeline';

/**
 * The fault matrix: every injected fault × one fixed scenario (6 events over 3 Graph pages, 4 rules), then
 * recovery runs by fresh "processes". Each cell counts the rules expected to alert, delivered, lost and
 * duplicated (the same alert posted again: labelled / unlabelled). A fault can split one rule's events over
 * two alerts (different matches, not duplicates). The Data rows add odd events (the data faults) to the same
 * scenario. A cell fails on any lost alert or unlabelled duplicate.
 */
const scenarioTypes = [
  T.caDeleted,
  T.caCertificateRevoked,
  T.caStatusChanged,
  T.leafRevoked,
  T.leafRevoked,
  T.leafRevoked,
];
const expected = [
  'cloudpki-ca-certificate-revoked',
  'cloudpki-ca-deleted',
  'cloudpki-ca-status-changed',
  'cloudpki-leaf-revoked',
];

interface Outcome {
  expected: number;
  delivered: number;
  held: number;
  lost: number;
  labelled: number;
  unlabelled: number;
}
const rows: { area: string; fault: string; outcome: Outcome }[] = [];

class Crash extends Error {}

/** A Table pipeline policy that fails requests with a connection error while `down()` says so. */
function unreachable(down: (n: number) => boolean): PipelinePolicy {
  let n = 0;
  return {
    name: 'faultUnreachable',
    sendRequest: async (request, next) => {
      n++;
      if (down(n)) throw new RestError('connect ECONNREFUSED 127.0.0.1:10002', { code: 'ECONNREFUSED', request });
      return next(request);
    },
  };
}

type FirstRun = (p: Pipeline) => Promise<void>;

const tryRun = async (run: () => Promise<unknown>) => {
  try {
    await run();
  } catch {
    // The injected fault may fail the run; what matters is the end state after recovery.
  }
};
/** A data fault: odd events beside the scenario's, then a normal run. */
const withEvents =
  (make: (p: Pipeline) => unknown[]): FirstRun =>
  async (p) => {
    p.sim.addEvents(make(p));
    await tryRun(() => p.services().cycle(p.log));
  };
const cycleWith =
  (overrides: ServiceOverrides): FirstRun =>
  (p) =>
    tryRun(() => p.services(overrides).cycle(p.log));
const graphFault =
  (fault: GraphFault, options: { times?: number; on?: 'firstPage' | 'nextPage' } = { on: 'nextPage' }): FirstRun =>
  async (p) => {
    p.sim.injectFault(fault, options);
    await tryRun(() => p.services().cycle(p.log));
  };
const channelFault =
  (response: ReceiverResponse, times = 3): FirstRun =>
  async (p) => {
    p.teams.respondWith(response, times);
    await tryRun(() => p.services().cycle(p.log));
  };
/**
 * A process that dies at `step`: detection (which saves its checkpoint directly) and then delivery run as
 * separate stages, and nothing after the crash point runs (no delivery, no end-of-run commit).
 */
const crashAfter =
  (step: string): FirstRun =>
  async (p) => {
    const maybe = (s: string) => {
      if (s === step) throw new Crash(step);
    };
    const s = p.services({ afterPollStep: maybe, afterDeliveryStep: maybe });
    await tryRun(async () => {
      await s.poll(p.log);
      await s.deliver(p.log);
    });
  };

const cells: [string, string, FirstRun][] = [
  ['Graph', '429 with Retry-After', graphFault({ kind: 'status', status: 429, retryAfterSeconds: 1 })],
  ['Graph', '429 without Retry-After', graphFault({ kind: 'status', status: 429 })],
  ['Graph', '500', graphFault({ kind: 'status', status: 500 })],
  ['Graph', '503 beyond the retry budget', graphFault({ kind: 'status', status: 503 }, { on: 'nextPage', times: 4 })],
  ['Graph', 'hanging page', graphFault({ kind: 'hang' })],
  ['Graph', 'malformed JSON', graphFault({ kind: 'malformedJson' })],
  ['Graph', '401', graphFault({ kind: 'status', status: 401 }, { on: 'firstPage' })],
  ['Graph', '403', graphFault({ kind: 'status', status: 403 }, { on: 'firstPage' })],
  ['Table Storage', 'unreachable for a whole run', cycleWith({ tablePolicies: [unreachable(() => true)] })],
  ['Table Storage', 'unreachable from the middle of a run', cycleWith({ tablePolicies: [unreachable((n) => n > 5)] })],
  [
    'Table Storage',
    '412 on the checkpoint (concurrent change)',
    async (p) => {
      const bump = async (step: string) => {
        if (step !== 'outbox-written') return;
        const client = await p.services().tables.get(tableNames.pollState);
        await client.upsertEntity(
          {
            partitionKey: p.tenantId,
            rowKey: 'checkpoint',
            scannedTo: minutesBefore(p.clock.now, 30).toISOString(),
            complete: true,
          },
          'Merge',
        );
      };
      await tryRun(() => p.services({ afterPollStep: bump }).cycle(p.log));
    },
  ],
  ['Channel', '429 with Retry-After', channelFault({ status: 429, headers: { 'retry-after': '60' } })],
  ['Channel', '500', channelFault({ status: 500 })],
  ['Channel', '503', channelFault({ status: 503 })],
  ['Channel', 'timeout', channelFault({ status: 202, hang: true }, 2)],
  [
    'Channel',
    '200 with an error body',
    channelFault({ status: 200, body: 'Microsoft Teams endpoint returned HTTP error 429' }),
  ],
  ...[
    'page-read',
    'outbox-written',
    'checkpoint-advanced',
    'delivery-claimed',
    'delivery-sent',
    'delivery-recorded',
  ].map((step): [string, string, FirstRun] => ['Crash', `after ${step}`, crashAfter(step)]),
  [
    'Data',
    'duplicate event ids (on a page and across pages)',
    withEvents((p) => {
      const e = graphEvent({ type: T.caDeleted, at: minutesBefore(p.clock.now, 9), id: 'dup' });
      return [e, e, e];
    }),
  ],
  [
    'Data',
    'a certificate PEM in modifiedProperties (120,000 characters)',
    withEvents((p) => [
      graphEvent({
        type: T.caCertificateRevoked,
        at: minutesBefore(p.clock.now, 8),
        modified: [{ displayName: 'Certificate', oldValue: null, newValue: 'A'.repeat(120_000) }],
      }),
    ]),
  ],
  [
    'Data',
    'an event id of 4,000 characters with key characters',
    withEvents((p) => [
      graphEvent({ type: T.caStatusChanged, at: minutesBefore(p.clock.now, 8), id: '/#?\\'.repeat(1000) }),
    ]),
  ],
  [
    'Data',
    'a lone surrogate in an id, U+2028 in a CA name',
    withEvents((p) => [
      graphEvent({ type: T.caDeleted, at: minutesBefore(p.clock.now, 7), id: 'x\udc00', caName: 'CA\u2028name' }),
    ]),
  ],
  [
    'Data',
    'a same-millisecond burst of 60 events (60 one-event pages)',
    withEvents((p) =>
      Array.from({ length: 60 }, () => graphEvent({ type: T.leafRevoked, at: minutesBefore(p.clock.now, 6) })),
    ),
  ],
  [
    'Data',
    'malformed events (no id, bad date, not an object)',
    withEvents(() => [
      { activityDateTime: '2026-01-01T00:00:00Z' },
      { id: 'bad', activityDateTime: 'never' },
      'text',
      null,
    ]),
  ],
  [
    'Concurrency',
    'two overlapping runs',
    async (p) => {
      await Promise.allSettled([p.services().cycle(p.log), p.services().cycle(p.log)]);
    },
  ],
];

function measure(p: Pipeline): Outcome {
  const cards = acceptedCards(p).map((c) => ({
    rule: /rule ([a-z0-9-]+)/.exec(c.text)?.[1] ?? '?',
    alert: c.alertId || c.text,
    labelled: c.possibleDuplicate,
  }));
  const delivered = new Set(cards.map((c) => c.rule));
  const extra = cards.length - new Set(cards.map((c) => c.alert)).size;
  const labelled = Math.min(extra, cards.filter((c) => c.labelled).length);
  return {
    expected: expected.length,
    delivered: [...delivered].filter((r) => expected.includes(r)).length,
    held: 0,
    lost: expected.filter((r) => !delivered.has(r)).length,
    labelled,
    unlabelled: extra - labelled,
  };
}

/**
 * A channel that rejects for good (403, 413) cannot be retried into success. An alert then counts as held,
 * not lost, only when it stays in the outbox as `failed` (queryable by API and CLI) AND on-call got
 * the failover notice about that channel.
 */
async function measureWithFailover(p: DeliveryPipeline): Promise<Outcome> {
  const base = measure(p);
  const entries = await p.outbox();
  const notified = p.mails().some((m) => /teams/i.test(m.text) && /failed|rejected|delivery problem/i.test(m.text));
  const held = notified
    ? entries.filter(
        (e) =>
          expected.includes(e.alert.ruleId) &&
          e.deliveries.some((d) => d.channelId === 'teams' && d.state === 'failed'),
      ).length
    : 0;
  return { ...base, held, lost: Math.max(0, base.lost - held) };
}

describe('fault matrix: nothing lost, no unlabelled duplicate', () => {
  afterAll(() => {
    const header =
      '| Area | Fault | Expected | Delivered | Held, failover notified | Lost | Duplicated (labelled) | Duplicated (unlabelled) |\n|---|---|---:|---:|---:|---:|---:|---:|';
    const table = [
      header,
      ...rows.map(
        (r) =>
          `| ${r.area} | ${r.fault} | ${r.outcome.expected} | ${r.outcome.delivered} | ${r.outcome.held} | ${r.outcome.lost} | ${r.outcome.labelled} | ${r.outcome.unlabelled} |`,
      ),
    ].join('\n');
    const dir = path.join(__dirname, '../../test-artifacts');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'fault-matrix.md'), `# Fault matrix\n\n${table}\n`);
    process.stdout.write(`\nFault matrix (test-artifacts/fault-matrix.md):\n${table}\n`);
  });

  it.each(cells)('%s: %s', async (area, fault, firstRun) => {
    const p = await startPipeline({ env: { GRAPH_PAGE_SIZE: '2' } });
    try {
      p.sim.addEvents(scenarioTypes.map((type, i) => graphEvent({ type, at: minutesBefore(p.clock.now, 10 - i) })));
      await firstRun(p);
      for (let i = 0; i < 6; i++) {
        p.advance(3);
        await p.services().cycle(p.log);
      }
      const outcome = measure(p);
      rows.push({ area, fault, outcome });
      expect(outcome).toMatchObject({ lost: 0, unlabelled: 0, delivered: expected.length });
    } finally {
      await p.close();
    }
  });

  it.each([
    ['403 (flow access removed)', { status: 403, body: 'Forbidden' }],
    ['413 (card too large)', { status: 413, body: 'Request Entity Too Large' }],
  ] as const)('Channel: %s', async (fault, response) => {
    const p = await startDeliveryPipeline({ env: { GRAPH_PAGE_SIZE: '2' } });
    try {
      p.sim.addEvents(scenarioTypes.map((type, i) => graphEvent({ type, at: minutesBefore(p.clock.now, 10 - i) })));
      p.teams.respondWith(response, 2);
      await tryRun(() => p.services().cycle(p.log));
      for (let i = 0; i < 6; i++) {
        p.advance(3);
        await p.services().cycle(p.log);
      }
      const outcome = await measureWithFailover(p);
      rows.push({ area: 'Channel', fault, outcome });
      expect(outcome.held).toBe(2);
      expect(outcome).toMatchObject({ lost: 0, unlabelled: 0, delivered: expected.length - 2 });
    } finally {
      await p.close();
    }
  });
});
