import { describe, expect, it } from 'vitest';
import { MatchRecorder } from '../../../src/app/matchRecorder';
import type { MatchRef, MatchWrite } from '../../../src/dispatch/outbox';
import { createLogger } from '../../../src/shared/logger';
import { sampleAlert } from '../../helpers/alertFixtures';
import { InMemoryOutbox } from '../../fakes/inMemoryOutbox';

// The use case on the in-memory outbox (test/fakes, held to the Table adapter by test/contracts/outbox.test.ts):
// no Azurite, no network.
const tenantId = 'contoso';
const now = new Date('2026-11-20T10:00:00Z');
const fromInMs = Date.parse('2026-11-20T09:00:00Z');
const match = (eventId: string, ruleId = 'rule-a'): MatchRef => ({ ruleId, eventId, timeInMs: fromInMs + 1 });

function setup(outbox = new InMemoryOutbox()) {
  const logs: string[] = [];
  const recorder = new MatchRecorder({
    tenantId,
    outbox,
    log: createLogger((level, line) => logs.push(`${level} ${line}`)),
    now,
    fromInMs,
    noticeChannels: async () => ['ops'],
  });
  return { outbox, recorder, logs };
}

/** A builder that records which matches each attempt wrote. */
function builder(all: MatchRef[], attempts: string[][]) {
  return (isRecorded: (m: MatchRef) => boolean): MatchWrite | undefined => {
    const matches = all.filter((m) => !isRecorded(m));
    attempts.push(matches.map((m) => m.eventId));
    return matches.length ? { matches, recordedAs: `alert-of-${matches[0].eventId}` } : undefined;
  };
}

describe('MatchRecorder on the in-memory outbox', () => {
  it('a conflict with a concurrent run reloads and rebuilds from what is still unrecorded', async () => {
    const { outbox, recorder } = setup();
    expect(await recorder.isRecorded(match('e1'))).toBe(false); // this run has read the (empty) match set
    // Another run records e1 first.
    const other = setup(outbox).recorder;
    expect(await other.record(builder([match('e1')], []))).toBe('written');

    const attempts: string[][] = [];
    expect(await recorder.record(builder([match('e1'), match('e2')], attempts))).toBe('written');
    expect(attempts).toEqual([['e1', 'e2'], ['e2']]);
    const seen = await outbox.loadMatches(tenantId, fromInMs);
    expect([seen.has('rule-a', 'e1'), seen.has('rule-a', 'e2'), seen.size]).toEqual([true, true, 2]);
    expect(outbox.writes).toBe(2);
    // Recorded by this run: not written again, without another load.
    expect(await recorder.record(builder([match('e2')], []))).toBe('nothing');
  });

  it('an event under two rules is two matches: recording it under one rule leaves the other to record', async () => {
    const { recorder } = setup();
    expect(await recorder.record(builder([match('e1', 'rule-a')], []))).toBe('written');
    expect([
      await recorder.isRecorded(match('e1', 'rule-a')),
      await recorder.isRecorded(match('e1', 'rule-b')),
    ]).toEqual([true, false]);
    expect(await recorder.record(builder([match('e1', 'rule-b')], []))).toBe('written');
  });

  it('gives up after five conflicts in a row: nothing recorded, counted, logged', async () => {
    const outbox = new InMemoryOutbox();
    const { recorder, logs } = setup(outbox);
    let n = 0;
    // Before each of this run's attempts another run writes, so every attempt's version is stale.
    const attempt = (isRecorded: (m: MatchRef) => boolean): Promise<MatchWrite> =>
      outbox.loadMatches(tenantId, fromInMs).then(async (read) => {
        await outbox.recordMatches(
          tenantId,
          { matches: [match(`other-${n++}`, 'rule-z')], recordedAs: 'other' },
          read.version,
        );
        return { matches: [match('mine')].filter((m) => !isRecorded(m)), recordedAs: 'mine' };
      });
    expect(await recorder.record(attempt)).toBe('gave-up');
    expect(n).toBe(5);
    expect(recorder.gaveUp).toBe(1);
    expect((await outbox.loadMatches(tenantId, fromInMs)).has('rule-a', 'mine')).toBe(false);
    expect(logs.filter((l) => l.startsWith('error'))).toHaveLength(1);
  });

  it('a write the store refuses is quarantined with its matches recorded, and the operator is told once', async () => {
    const outbox = new InMemoryOutbox();
    outbox.refuse = (w) => w.kind === 'matches' && w.write.recordedAs === 'too-big';
    const { recorder, logs } = setup(outbox);
    const write = { matches: [match('p1'), match('p2')], recordedAs: 'too-big' };
    expect(await recorder.record(() => write)).toBe('quarantined');
    expect(recorder.quarantined).toBe(1);
    const [item] = await outbox.listQuarantine(tenantId);
    expect(item).toMatchObject({ kind: 'alert', ruleId: 'rule-a', matchCount: 2, retries: 0 });
    expect(item.reason).toContain('refused');
    // The matches count as recorded, so the next run does not set them aside again.
    const next = setup(outbox).recorder;
    expect([await next.isRecorded(match('p1')), await next.isRecorded(match('p2'))]).toEqual([true, true]);
    // One watchdog notice to the notice channels.
    const alerts = await outbox.listAlerts(tenantId);
    expect(alerts.map((a) => [a.alert.kind, a.deliveries.map((d) => d.channelId)])).toEqual([['watchdog', ['ops']]]);
    expect(logs.some((l) => l.startsWith('error') && l.includes('quarantine'))).toBe(true);
  });
});

describe('MatchRecorder: the tenant name', () => {
  it("puts the tenant's display name on every alert it writes (cards and payloads name the tenant)", async () => {
    const outbox = new InMemoryOutbox();
    const recorder = new MatchRecorder({
      tenantId,
      tenantName: 'Contoso Retail',
      outbox,
      log: createLogger(() => undefined),
      now,
      fromInMs,
      noticeChannels: async () => ['ops'],
    });
    const alert = sampleAlert({ id: 'a-1', tenantId });
    const written = await recorder.record(() => ({
      matches: [match('e1')],
      recordedAs: alert.id,
      alert: { alert, channels: ['default'], eventKeys: [] },
      channels: ['ops'],
    }));
    expect(written).toBe('written');
    expect((await outbox.getAlert(tenantId, 'a-1'))?.tenantName).toBe('Contoso Retail');
    // The builder's own object is left as it was.
    expect(alert.tenantName).toBeUndefined();
  });
});
