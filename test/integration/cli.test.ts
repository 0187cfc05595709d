import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main';
import { cloudPkiActivityTypes as T } from '../helpers/alertFixtures';
import { graphEvent } from '../helpers/graphEvents';
import { acceptedCards, type Pipeline, usePipelineEnvironment } from '../helpers/pipeline';

const dir = mkdtempSync(path.join(tmpdir(), 'pki-cli-'));
const at = (m: number) => new Date(Date.parse('2026-11-18T10:00:00Z') + m * 60_000);

async function run(args: string[]) {
  const lines: string[] = [];
  const code = await main(args, (l) => lines.push(l));
  return { code, lines, json: lines.map((l) => JSON.parse(l)) };
}

describe('pki-alerts replay', () => {
  const events = path.join(dir, 'events.json');
  writeFileSync(
    events,
    JSON.stringify({
      value: [
        graphEvent({ type: T.caDeleted, at: at(1) }),
        ...Array.from({ length: 30 }, (_, i) => graphEvent({ type: T.leafRevoked, at: at(2 + i / 10) })),
        graphEvent({ type: 'Get CloudCertificationAuthority', at: at(5) }),
        { id: 'bad', activityDateTime: 'never' },
      ],
    }),
  );

  it('prints one JSON line per alert that would fire, then a summary, with the default pack', async () => {
    const r = await run(['replay', '--events', events]);
    expect(r.code).toBe(0);
    // Grouped as poll runs group them (per rule per minute, as backtest does): 30 leaf revocations by one admin
    // within 3 minutes, 10 a minute; they reach the pack's mass-revocation threshold (20 in 10 min) in minute 3.
    expect(r.json.slice(0, -1).map((a) => [a.ruleId, a.eventCount])).toEqual([
      ['cloudpki-ca-deleted', 1],
      ['cloudpki-leaf-mass-revocation', 20],
      ['cloudpki-leaf-revoked', 10],
      ['cloudpki-leaf-revoked', 10],
      ['cloudpki-leaf-mass-revocation', 10],
      ['cloudpki-leaf-revoked', 10],
    ]);
    // The Get read is dropped as the poll drops it; matches = 1 + 30 + 30.
    expect(r.json.at(-1)).toMatchObject({
      summary: { events: 32, malformed: 1, ignoredOwn: 0, matches: 61, alerts: 6, rules: 11 },
    });
  });

  it('counts threshold rules over the file: 19 revocations in 10 minutes stay below the mass-revocation threshold', async () => {
    const few = path.join(dir, 'few.json');
    writeFileSync(
      few,
      JSON.stringify({
        value: Array.from({ length: 19 }, (_, i) => graphEvent({ type: T.leafRevoked, at: at(i / 2) })),
      }),
    );
    const r = await run(['replay', '--events', few]);
    // 19 in 9.5 minutes, two a minute: per-minute alerts of the per-event rule, none of the threshold rule.
    expect(r.json.slice(0, -1).map((a) => [a.ruleId, a.eventCount])).toEqual([
      ...Array.from({ length: 9 }, () => ['cloudpki-leaf-revoked', 2]),
      ['cloudpki-leaf-revoked', 1],
    ]);
  });

  it('uses a rules file, validated by the same parser as every write path', async () => {
    const rules = path.join(dir, 'rules.json');
    writeFileSync(
      rules,
      JSON.stringify([
        {
          id: 'reads',
          name: 'Reads',
          enabled: true,
          severity: 'low',
          activityTypes: ['Create CloudCertificationAuthority', 'Delete CloudCertificationAuthority'],
          channels: ['default'],
        },
      ]),
    );
    const r = await run(['replay', '--events', events, '--rules', rules]);
    expect(r.json.map((l) => l.ruleId ?? 'summary')).toEqual(['reads', 'summary']);
  });

  it.each([
    [
      'a rules file with an invalid rule',
      [{ id: 'x', name: 'X', enabled: true, severity: 'urgent', activityTypes: [], channels: ['default'] }],
      /rules\[0\].*severity.*activityTypes/s,
    ],
    ['an events file of the wrong shape', { items: [] }, /must be Graph's response shape/],
  ])('exits 2 on %s, naming the problem', async (_n, content, pattern) => {
    const file = path.join(dir, `bad-${Math.random()}.json`);
    writeFileSync(file, JSON.stringify(content));
    const errors: string[] = [];
    const write = process.stderr.write;
    process.stderr.write = (chunk: string) => errors.push(chunk) > 0;
    try {
      const args = Array.isArray(content)
        ? ['replay', '--events', events, '--rules', file]
        : ['replay', '--events', file];
      expect((await run(args)).code).toBe(2);
    } finally {
      process.stderr.write = write;
    }
    expect(errors.join('')).toMatch(pattern);
  });
});

describe('pki-alerts poll --once', () => {
  const pipeline = usePipelineEnvironment();
  let p: Pipeline;
  beforeEach(() => {
    p = pipeline();
  });

  it('runs one cycle with the configured settings and prints its figures', async () => {
    p.sim.addEvents([graphEvent({ type: T.caStatusChanged, at: new Date(Date.now() - 60_000) })]);
    const r = await run(['poll', '--once']);
    expect(r.code).toBe(0);
    expect(r.json[0]).toMatchObject({ poll: { events: 1, alerts: 1 }, delivery: { sent: 1 }, graphRequests: 1 });
    expect(acceptedCards(p)).toHaveLength(1);
  });

  it('without --once explains itself and exits 2', async () => {
    expect((await run(['poll'])).code).toBe(2);
  });
});
