import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tableNames } from '../../src/state/tableClients';
import { cloudPkiActivityTypes as T } from '../helpers/alertFixtures';
import { graphEvent, minutesBefore } from '../helpers/graphEvents';
import { deliveredAlertIds, type Pipeline, startPipeline, webhookSecret } from '../helpers/pipeline';

let p: Pipeline;
beforeEach(async () => {
  p = await startPipeline();
});
afterEach(async () => p.close());

describe('detection pipeline end to end', () => {
  it('a CA deletion, a CA certificate revocation and a status change give exactly one card each', async () => {
    p.sim.addEvents([
      graphEvent({ type: T.caDeleted, at: minutesBefore(p.clock.now, 10), caName: 'Contoso Root CA' }),
      graphEvent({ type: T.caCertificateRevoked, at: minutesBefore(p.clock.now, 9) }),
      graphEvent({
        type: T.caStatusChanged,
        at: minutesBefore(p.clock.now, 8),
        modified: [{ displayName: 'Status', oldValue: 'active', newValue: 'paused' }],
      }),
      graphEvent({ type: 'Create DeviceEnrollmentConfiguration', at: minutesBefore(p.clock.now, 7) }),
    ]);
    const s = p.services();
    const result = await s.cycle(p.log);
    expect(result.pollError).toBeUndefined();
    expect(result.poll).toMatchObject({ events: 4, matches: 3, alerts: 3 });
    expect(result.delivery).toMatchObject({ sent: 3, retrying: 0 });
    const cards = p.cards();
    expect(cards).toHaveLength(3);
    const titles = cards.map((c) => c.text.match(/(CRITICAL|HIGH|MEDIUM) · [^"]+/)?.[0]);
    // The most severe is sent first.
    expect(titles[0]).toBe('CRITICAL · Cloud PKI CA certificate revoked');
    // The status change's title names the transition the card shows (active → paused).
    expect(titles.slice(1).sort()).toEqual(['HIGH · Cloud PKI CA deleted', 'HIGH · Cloud PKI CA paused']);
    expect(cards.find((c) => c.text.includes('CA deleted'))!.text).toContain('Contoso Root CA');
    expect(cards.find((c) => c.text.includes('HIGH · Cloud PKI CA paused'))!.text).toMatch(/active.*paused/);
    // Graph was queried through the SDK with a token and a time filter.
    const first = p.sim.requests[0];
    expect(first.authorization).toMatch(/^Bearer /);
    expect(decodeURIComponent(first.query)).toContain('activityDateTime ge 2026-11-25T09:00:00.000Z');
    // A second run finds nothing new.
    p.advance(1);
    const again = await s.cycle(p.log);
    expect(again.poll).toMatchObject({ alerts: 0, duplicates: 3 });
    expect(p.cards()).toHaveLength(3);
  });

  it('groups a burst of one rule into one alert with the exact count', async () => {
    p.sim.addEvents(
      Array.from({ length: 250 }, (_, i) =>
        graphEvent({ type: T.leafRevoked, at: new Date(minutesBefore(p.clock.now, 20).getTime() + i * 1000) }),
      ),
    );
    const result = await p.services().cycle(p.log);
    // One card of the per-event rule, and one of the pack's mass-revocation threshold rule (20 in 10 min).
    expect(result.poll).toMatchObject({ events: 250, alerts: 2 });
    expect(result.poll!.pages).toBeLessThanOrEqual(4); // 250 events in pages capped below $top=100 (strict simulator)
    expect(p.cards()).toHaveLength(2);
    expect(p.cards().map((c) => c.text.includes('250 events'))).toEqual([true, true]);
    expect(p.cards().some((c) => c.text.includes('mass leaf certificate revocation'))).toBe(true);
  });

  it('alerts once on a late event that appears inside the lookback', async () => {
    const s = p.services();
    await s.cycle(p.log);
    p.advance(1);
    // Became visible now, but happened 5 minutes ago: before the last checkpoint, inside the lookback.
    p.sim.addEvents([graphEvent({ type: T.caDeleted, at: minutesBefore(p.clock.now, 5) })]);
    const r1 = await s.cycle(p.log);
    expect(r1.poll?.window.basis).toBe('lookback');
    expect(r1.poll?.alerts).toBe(1);
    for (let i = 0; i < 3; i++) {
      p.advance(1);
      await s.cycle(p.log);
    }
    expect(deliveredAlertIds(p)).toHaveLength(1);
    expect(p.cards()).toHaveLength(1);
  });

  it('overlapping windows re-read events but alert each event once', async () => {
    const s = p.services();
    const times = [12, 9, 6, 3, 1];
    for (const m of times) {
      p.sim.addEvents([graphEvent({ type: T.caCertificateRevoked, at: minutesBefore(p.clock.now, m) })]);
      await s.cycle(p.log);
      p.advance(1);
    }
    for (let i = 0; i < 5; i++) {
      await s.cycle(p.log);
      p.advance(1);
    }
    expect(p.cards()).toHaveLength(times.length);
    expect(deliveredAlertIds(p)).toHaveLength(times.length);
  });

  it("ignores events made by the app's own identity", async () => {
    p.env.AZURE_CLIENT_ID = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
    p.sim.addEvents([
      graphEvent({
        type: T.caDeleted,
        at: minutesBefore(p.clock.now, 3),
        applicationId: 'AAAAAAAA-bbbb-cccc-dddd-eeeeeeeeeeee',
      }),
      graphEvent({ type: T.caDeleted, at: minutesBefore(p.clock.now, 2) }),
    ]);
    const r = await p.services().cycle(p.log);
    expect(r.poll).toMatchObject({ events: 2, ignoredOwn: 1, alerts: 1 });
  });

  it('counts and logs a malformed event and goes on', async () => {
    p.sim.addEvents([
      { id: null, activityDateTime: minutesBefore(p.clock.now, 3).toISOString(), activityType: T.caDeleted },
      graphEvent({ type: T.caDeleted, at: minutesBefore(p.clock.now, 2) }),
    ]);
    const r = await p.services().cycle(p.log);
    expect(r.poll).toMatchObject({ malformed: 1, alerts: 1 });
    expect(p.logs.some((l) => l.includes('Skipped malformed audit event') && l.includes('id is missing'))).toBe(true);
    expect(p.cards()).toHaveLength(1);
  });

  it('seeds the default pack into an empty AlertRules table, and a malformed rule row is skipped with the others still running', async () => {
    const s = p.services();
    p.sim.addEvents([graphEvent({ type: T.caDeleted, at: minutesBefore(p.clock.now, 2) })]);
    await s.cycle(p.log);
    expect((await s.rules.list(p.tenantId)).rules.length).toBeGreaterThanOrEqual(7);
    const client = await s.tables.get(tableNames.rules);
    // Rows hold the rule as a JSON document (ruleJson); damage two documents behind the app's back.
    const damage = async (rowKey: string, patch: Record<string, unknown>) => {
      const row = await client.getEntity<{ ruleJson: string }>(p.tenantId, rowKey);
      await client.updateEntity(
        { partitionKey: p.tenantId, rowKey, ruleJson: JSON.stringify({ ...JSON.parse(row.ruleJson), ...patch }) },
        'Merge',
      );
    };
    await damage('cloudpki-ca-certificate-revoked', { severity: 'urgent' });
    await damage('cloudpki-ca-status-changed', { activityTypes: 'not a list' });
    p.advance(1);
    p.sim.addEvents([
      graphEvent({ type: T.caCertificateRevoked, at: minutesBefore(p.clock.now, 1) }),
      graphEvent({ type: T.externalCaUploaded, at: minutesBefore(p.clock.now, 1) }),
    ]);
    const r = await s.cycle(p.log);
    expect(r.poll).toMatchObject({ ruleProblems: 2, alerts: 1 });
    expect(
      p.logs.some((l) => l.includes('Rule "cloudpki-ca-certificate-revoked" skipped') && l.includes('severity')),
    ).toBe(true);
    expect(
      p.logs.some((l) => l.includes('Rule "cloudpki-ca-status-changed" skipped') && l.includes('activityTypes')),
    ).toBe(true);
    expect(p.cards().at(-1)!.text).toContain('Externally signed CA certificate uploaded');
  });

  // 3 = read checkpoint (+ watchdog state, one query), list due deliveries, and one transaction holding
  // the checkpoint move, the run's ledger row and the watchdog state (docs/performance.md, note 1).
  it('an idle poll costs at most 1 Graph request and 3 Table transactions', async () => {
    const s = p.services();
    await s.cycle(p.log); // first run: creates tables, writes the first checkpoint
    p.advance(1);
    const graphBefore = s.counters.graphRequests;
    const tablesBefore = s.counters.tableRequests.count;
    await s.cycle(p.log);
    expect(s.counters.graphRequests - graphBefore).toBe(1);
    expect(s.counters.tableRequests.count - tablesBefore).toBeLessThanOrEqual(3);
  });

  it('never writes the webhook URL or its sig token to a log line', async () => {
    p.teams.respondWith({ status: 500, body: 'boom' });
    p.sim.addEvents([graphEvent({ type: T.caDeleted, at: minutesBefore(p.clock.now, 2) })]);
    await p.services().cycle(p.log);
    expect(p.logs.some((l) => l.includes('500'))).toBe(true);
    expect(p.logs.join('\n')).not.toContain(webhookSecret);
    expect(p.logs.join('\n')).not.toContain('/workflows/0123456789abcdef');
  });
});
