import { afterEach, describe, expect, it } from 'vitest';
import { tableNames } from '../../src/state/tableClients';
import { publicHealth } from '../../src/watch/health';
import { cloudPkiActivityTypes as T } from '../helpers/alertFixtures';
import { graphEvent, minutesBefore } from '../helpers/graphEvents';
import {
  acceptedCards,
  type Pipeline,
  startPipeline,
  watchdogCards as watchdogCardsOf,
  webhookSecret,
} from '../helpers/pipeline';

/**
 * Each watchdog condition injected against the real parts (Azurite, the Graph simulator through the Graph
 * SDK, a real HTTP receiver as Teams), every cycle run by a fresh set of services (a "new process"), so
 * incident state must come from Table Storage. End state: exactly one "opened" and one "resolved" card per
 * incident, the health verdict while it lasts, and no secret in any log line.
 */
let p: Pipeline;
afterEach(async () => p?.close());

/** Watchdog cards the receiver accepted, as `opened <condition>` / `resolved <condition>`. */
function watchdogCards(): string[] {
  return watchdogCardsOf(p).flatMap((c) => {
    const rule = /rule (watchdog:[a-z-]+)/.exec(c.text)?.[1];
    return rule ? [`${c.text.includes('· Resolved: ') ? 'resolved' : 'opened'} ${rule.slice('watchdog:'.length)}`] : [];
  });
}

const ruleCards = () => acceptedCards(p);

async function cycle(minutes = 1) {
  p.advance(minutes);
  return p.services().cycle(p.log);
}

const health = async () => publicHealth(await p.services().watch.health());

function expectNoSecretLogged() {
  const all = p.logs.join('\n');
  expect(all).not.toContain(webhookSecret);
  expect(all).not.toMatch(/sig=(?!REDACTED)/);
}

describe('watchdog: one message per incident, one when it clears', () => {
  it('Graph answers 403 (permission removed): alerted at once, with the permission to grant; resolved when access returns', async () => {
    p = await startPipeline();
    await cycle(0);
    p.sim.injectFault({ kind: 'status', status: 403 }, { times: 4 });
    for (let i = 0; i < 4; i++) expect((await cycle()).pollError).toMatch(/403/);
    expect(watchdogCards()).toEqual(['opened graph-auth']);
    expect(watchdogCardsOf(p)[0].text).toContain('DeviceManagementApps.Read.All');
    expect(await health()).toMatchObject({ status: 'unhealthy', checks: { graph: 'fail', polling: 'ok' } });
    p.sim.addEvents([graphEvent({ type: T.caDeleted, at: minutesBefore(p.clock.now, 3) })]);
    await cycle();
    await cycle();
    expect(watchdogCards()).toEqual(['opened graph-auth', 'resolved graph-auth']);
    expect(ruleCards()).toHaveLength(1); // the event of the outage was read once access returned
    expect(await health()).toMatchObject({ status: 'healthy' });
    expectNoSecretLogged();
  });

  it('Graph answers 401 (credential rejected): the message says to renew the credential', async () => {
    p = await startPipeline();
    await cycle(0);
    p.sim.injectFault({ kind: 'status', status: 401 }, { times: 1 });
    await cycle();
    await cycle();
    expect(watchdogCards()).toEqual(['opened graph-auth', 'resolved graph-auth']);
    expect(watchdogCardsOf(p)[0].text).toMatch(/credential expired or was revoked/);
  });

  it('polls failing WATCHDOG_FAILED_POLLS times in a row', async () => {
    p = await startPipeline({ env: { WATCHDOG_FAILED_POLLS: '3' } });
    await cycle(0);
    p.sim.injectFault({ kind: 'status', status: 500 }, { times: 3 });
    await cycle();
    await cycle();
    expect(watchdogCards()).toEqual([]);
    expect(await health()).toMatchObject({ status: 'degraded', checks: { graph: 'warn' } });
    await cycle();
    expect(watchdogCards()).toEqual(['opened poll-failures']);
    expect(await health()).toMatchObject({ status: 'unhealthy', checks: { graph: 'fail' } });
    await cycle();
    await cycle();
    expect(watchdogCards()).toEqual(['opened poll-failures', 'resolved poll-failures']);
  });

  it('a stopped timer (clock advanced with no run): health answers unhealthy while it lasts; the next run reports it, the one after resolves it', async () => {
    p = await startPipeline({ env: { HEALTH_MAX_LAG_MINUTES: '10' } });
    await cycle(0);
    p.advance(45);
    const during = await p.services().watch.health();
    expect(publicHealth(during)).toMatchObject({ status: 'unhealthy', checks: { polling: 'fail' } });
    expect(during.checks.polling.message).toBe('the checkpoint is 45 min behind (max 10 min)');
    await cycle(0);
    expect(watchdogCards()).toEqual(['opened lag']);
    expect(watchdogCardsOf(p)[0].text).toMatch(/No poll ran for 45 min/);
    expect(await health()).toMatchObject({ status: 'healthy' });
    await cycle();
    await cycle();
    expect(watchdogCards()).toEqual(['opened lag', 'resolved lag']);
  });

  it('an outage longer than the lookback with the checkpoint lost: the unscanned range is a gap, alerted, in the ledger and the health', async () => {
    p = await startPipeline({ env: { LOOKBACK_MINUTES: '5', INITIAL_LOOKBACK_MINUTES: '30' } });
    await cycle(0);
    const coveredUntil = p.clock.now.toISOString();
    // The checkpoint row is lost (state restored from an old copy, or deleted to "reset"); the app is down for 3 h.
    const pollState = await p.services().tables.get(tableNames.pollState);
    await pollState.deleteEntity(p.tenantId, 'checkpoint');
    p.advance(180);
    p.sim.addEvents([
      graphEvent({ type: T.caCertificateRevoked, at: minutesBefore(p.clock.now, 120) }),
      graphEvent({ type: T.caDeleted, at: minutesBefore(p.clock.now, 10) }),
    ]);
    const r = await cycle(0);
    const gapTo = minutesBefore(p.clock.now, 30).toISOString();
    expect(r.watch?.entry).toMatchObject({ basis: 'first-run', gapFrom: coveredUntil, gapTo });
    expect(watchdogCards().sort()).toEqual(['opened coverage-gap', 'opened lag']);
    const gapCard = watchdogCardsOf(p).find((c) => c.text.includes('rule watchdog:coverage-gap'))!;
    expect(gapCard.text).toContain('2026-11-25 10:00 UTC – 2026-11-25 12:30 UTC (2 h 30 min)');
    expect(ruleCards().map((c) => /rule ([a-z-]+)/.exec(c.text)?.[1])).toEqual(['cloudpki-ca-deleted']); // the revocation in the gap was never scanned
    const detail = await p.services().watch.healthDetail();
    expect(publicHealth(detail)).toMatchObject({ status: 'degraded', checks: { coverage: 'warn' } });
    expect(detail.coverage.recentGaps).toEqual([
      { from: coveredUntil, to: gapTo, detectedAt: p.clock.now.toISOString() },
    ]);
    expect(detail.last24h.gaps).toEqual([{ from: coveredUntil, to: gapTo }]);
    await cycle();
    expect(watchdogCards().slice(2).sort()).toEqual(['resolved coverage-gap', 'resolved lag']);
  });

  it('a channel that keeps failing: the incident is recorded at once, its message waits for the channel, then opened + resolved arrive', async () => {
    p = await startPipeline({ env: { WATCHDOG_CHANNEL_FAILURES: '3', DELIVERY_RETRY_BASE_SECONDS: '0' } });
    // The receiver echoes its own URL (with the sig token) in every error body: nothing of it may leak.
    p.teams.respondWith(
      { status: 500, body: { error: { code: 'InternalError', message: `failed calling ${p.env.TEAMS_WEBHOOK_URL}` } } },
      Infinity,
    );
    p.sim.addEvents([
      graphEvent({ type: T.caDeleted, at: minutesBefore(p.clock.now, 5) }),
      graphEvent({ type: T.caStatusChanged, at: minutesBefore(p.clock.now, 4) }),
    ]);
    await cycle(0);
    await cycle();
    const outbox = await p.services().outbox.listAlerts(p.tenantId);
    const watchdog = outbox.filter((a) => a.alert.ruleId === 'watchdog:channel-failing');
    expect(watchdog).toHaveLength(1);
    expect(watchdog[0].deliveries.map((d) => [d.channelId, d.state])).toEqual([['teams', 'pending']]);
    const detail = await p.services().watch.healthDetail();
    expect(publicHealth(detail)).toMatchObject({ status: 'unhealthy', checks: { delivery: 'fail' } });
    expect(detail.channels).toEqual([expect.objectContaining({ id: 'teams', failing: true, lastStatus: 500 })]);
    expect(detail.incidents.map((i) => i.key)).toEqual(['channel-failing:teams']);
    expect(JSON.stringify(detail)).not.toContain(webhookSecret);
    await cycle();
    p.teams.reset(); // the flow works again
    await cycle();
    await cycle();
    expect(watchdogCards()).toEqual(['opened channel-failing', 'resolved channel-failing']);
    expect(ruleCards()).toHaveLength(2);
    expect(await health()).toMatchObject({ status: 'healthy' });
    expectNoSecretLogged();
    const entries = await p.services().watch.store.list(p.tenantId, new Date(0));
    expect(JSON.stringify(entries)).not.toContain(webhookSecret);
  });

  it('two concurrent runs (two processes) seeing the same 403 send one message, not two', async () => {
    p = await startPipeline();
    await cycle(0);
    p.advance(1);
    p.sim.injectFault({ kind: 'status', status: 403 }, { times: 2 });
    await Promise.all([p.services().cycle(p.log), p.services().cycle(p.log)]);
    await cycle();
    expect(watchdogCards()).toEqual(['opened graph-auth', 'resolved graph-auth']);
    const outbox = await p.services().outbox.listAlerts(p.tenantId);
    expect(outbox.filter((a) => a.alert.ruleId === 'watchdog:graph-auth')).toHaveLength(2);
  });
});
