import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createWindow, endWindow, getWindow } from '../../src/admin/windowAdmin';
import { defaultRulePack, defaultRulePackVersion } from '../../src/rules/defaultRulePack';
import { cloudPkiActivityTypes as T } from '../helpers/alertFixtures';
import { graphEvent, minutesBefore } from '../helpers/graphEvents';
import { acceptedCards, deliveredAlertIds, type Pipeline, startPipeline } from '../helpers/pipeline';

const caA = { caId: 'aaaaaaaa-0000-4000-8000-00000000000a', caName: 'Contoso Issuing CA A' };
const caB = { caId: 'bbbbbbbb-0000-4000-8000-00000000000b', caName: 'Contoso Issuing CA B' };

let p: Pipeline;
beforeEach(async () => {
  p = await startPipeline();
  await p.services().rules.seedIfEmpty(p.tenantId, defaultRulePack, defaultRulePackVersion);
  await p.services().cycle(p.log); // first run: checkpoint written, no window yet
  p.advance(1);
});
afterEach(async () => p.close());

const cardsOf = (pattern: string) => acceptedCards(p).filter((c) => c.text.includes(pattern));
const minutesFromNow = (m: number) => new Date(p.clock.now.getTime() + m * 60_000).toISOString();

/** Opens a 30-minute window on CA A (a CA-scoped window covers every rule, so it raises a tamper alert). */
async function openWindowOnCaA() {
  const s = p.services();
  return createWindow(
    s.admin.deps(p.log),
    { scope: { caIds: [caA.caId.toUpperCase()] }, end: minutesFromNow(30), reason: 'Rotate CA A' },
    'alice@contoso.com',
  );
}

/** During the window: 3 deletions and a pause on CA A (silenced), a deletion on CA B (not silenced). */
function eventsDuringWindow() {
  p.sim.addEvents([
    graphEvent({ type: T.caDeleted, at: minutesBefore(p.clock.now, 1), upn: 'alice@contoso.com', ...caA }),
    graphEvent({ type: T.caDeleted, at: minutesBefore(p.clock.now, 1), upn: 'alice@contoso.com', ...caA }),
    graphEvent({ type: T.caDeleted, at: minutesBefore(p.clock.now, 1), upn: 'alice@contoso.com', ...caA }),
    graphEvent({ type: T.caStatusChanged, at: minutesBefore(p.clock.now, 1), upn: 'bob@contoso.com', ...caA }),
    graphEvent({ type: T.caDeleted, at: minutesBefore(p.clock.now, 1), upn: 'alice@contoso.com', ...caB }),
  ]);
}

describe('change windows', () => {
  it('matches inside a window are recorded, not sent; ONE summary with counts per rule, CA and actor goes out after it ends', async () => {
    const window = await openWindowOnCaA();
    p.advance(3);
    eventsDuringWindow();
    const r1 = await p.services().cycle(p.log);
    expect(r1.poll).toMatchObject({ events: 5, matches: 5, suppressed: 4, alerts: 1 });
    expect(cardsOf('Tamper: change window opened')).toHaveLength(1);
    const sent = cardsOf('rule cloudpki-ca-deleted');
    expect(sent).toHaveLength(1);
    expect(sent[0].text).toContain(caB.caName);
    const recorded = await p.services().outbox.listSuppressed(p.tenantId, window.id);
    expect(recorded.reduce((n, a) => n + a.eventCount, 0)).toBe(4);

    // Still open: later runs re-read the events but record and send nothing new.
    p.advance(5);
    await p.services().cycle(p.log);
    expect(acceptedCards(p)).toHaveLength(2);

    p.advance(25); // past the end
    const r2 = await p.services().cycle(p.log);
    expect(r2.poll?.alerts).toBe(1);
    const summaries = cardsOf('Change window ended');
    expect(summaries).toHaveLength(1);
    const text = summaries[0].text;
    expect(text).toContain('Change window ended: 4 suppressed matches');
    expect(text).toContain('Rules: cloudpki-ca-deleted ×3, cloudpki-ca-status-changed ×1');
    expect(text).toContain(`CAs: ${caA.caName} ×4`);
    expect(text).toContain('Actors: alice@contoso.com ×3, bob@contoso.com ×1');
    expect(text).toContain('HIGH');
    const after = await getWindow(p.services().admin.deps(p.log), window.id);
    expect(after).toMatchObject({ status: 'summarized', suppressedCount: 4 });

    p.advance(1);
    await p.services().cycle(p.log);
    expect(cardsOf('Change window ended')).toHaveLength(1);
    deliveredAlertIds(p); // no unlabelled duplicate
  });

  it('a crash between writing the summary to the outbox and marking the window does not double the summary', async () => {
    const window = await openWindowOnCaA();
    p.advance(3);
    eventsDuringWindow();
    await p.services().cycle(p.log);
    p.advance(30);
    let crashed = 0;
    const crashing = p.services({
      afterPollStep: (step) => {
        if (step === 'window-summary-written' && crashed++ === 0)
          throw new Error('crash after the summary was written');
      },
    });
    const r = await crashing.cycle(p.log);
    expect(r.pollError).toContain('crash after the summary was written');
    expect((await getWindow(p.services().admin.deps(p.log), window.id)).status).toBe('ended');
    for (let i = 0; i < 3; i++) {
      p.advance(1);
      await p.services().cycle(p.log); // a fresh process finds the window unmarked
    }
    expect(cardsOf('Change window ended')).toHaveLength(1);
    expect((await getWindow(p.services().admin.deps(p.log), window.id)).status).toBe('summarized');
    deliveredAlertIds(p);
  });

  it('ending a window early sends its summary with the next poll, and matches after the end alert normally', async () => {
    const window = await openWindowOnCaA();
    p.advance(2);
    p.sim.addEvents([graphEvent({ type: T.caCertificateRevoked, at: minutesBefore(p.clock.now, 1), ...caA })]);
    await p.services().cycle(p.log);
    expect(cardsOf('rule cloudpki-ca-certificate-revoked')).toHaveLength(0);
    p.advance(1);
    await endWindow(p.services().admin.deps(p.log), window.id, undefined, 'alice@contoso.com');
    p.advance(1);
    p.sim.addEvents([graphEvent({ type: T.caCertificateRevoked, at: minutesBefore(p.clock.now, 0.5), ...caA })]);
    await p.services().cycle(p.log);
    expect(cardsOf('Change window ended: 1 suppressed match')).toHaveLength(1);
    expect(cardsOf('rule cloudpki-ca-certificate-revoked')).toHaveLength(1);
  });

  it('a window that silenced nothing is closed without a summary, and idle runs do not read the windows table', async () => {
    const s = p.services();
    const w = await createWindow(
      s.admin.deps(p.log),
      { scope: { ruleIds: ['cloudpki-ca-created'] }, end: minutesFromNow(10), reason: 'Planned CA' },
      'alice@contoso.com',
    );
    p.advance(11);
    await s.cycle(p.log);
    expect(cardsOf('Tamper')).toHaveLength(0); // it covers a medium rule only
    expect(cardsOf('Change window ended')).toHaveLength(0);
    expect(await getWindow(s.admin.deps(p.log), w.id)).toMatchObject({ status: 'summarized', suppressedCount: 0 });
    p.advance(1);
    const before = s.counters.tableRequests.byTable.get('ChangeWindows') ?? 0;
    await s.cycle(p.log);
    expect(s.counters.tableRequests.byTable.get('ChangeWindows') ?? 0).toBe(before);
  });
});
