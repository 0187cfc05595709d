import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { Services } from '../../src/composition/services';
import { readScannedTo } from '../../src/state/tableCheckpointStore';
import { publicHealth } from '../../src/watch/health';
import { type Pipeline, startPipeline, watchdogCards } from '../helpers/pipeline';

/**
 * The home tenant's run watches that every registered tenant is polled: real Azurite tables (Tenants, PollState),
 * the home tenant's real cycle on a controlled clock, a real HTTP receiver as its watchdog channel. The registered
 * tenants' own cycles never run here, which is the failure being watched (their queue messages never processed).
 */
let p: Pipeline;
afterEach(async () => p?.close());

const minutesAgo = (m: number) => new Date(p.clock.now.getTime() - m * 60_000).toISOString();

async function saveCheckpoint(s: Services, tenantId: string, scannedTo: string) {
  const current = await s.checkpoints.get(tenantId);
  await s.checkpoints.save(tenantId, { scannedTo, complete: true }, {}, current?.etag);
}

/** The tenant-stalled cards, their text without the Markdown escapes of the card (`\\(`). */
const stallCards = () =>
  watchdogCards(p)
    .filter((c) => c.text.includes('rule watchdog:tenant-stalled'))
    .map((c) => ({ ...c, text: c.text.replace(/\\+([()])/g, '$1') }));
const stalledKeys = async (s: Services) =>
  Object.keys((await s.watch.store.read(p.tenantId)).watch?.state.incidents ?? {}).filter((k) =>
    k.startsWith('tenant-stalled'),
  );

describe('watchdog: a registered tenant that is not polled', () => {
  it('one incident and one card for the stalled tenant only; none again; resolved once its checkpoint is fresh', async () => {
    p = await startPipeline({ env: { HEALTH_MAX_LAG_MINUTES: '15' } });
    const s = p.services();
    const [fresh, stalled, disabled, consent] = Array.from({ length: 4 }, () => randomUUID());
    const put = (id: string, displayName: string, over: object = {}) =>
      s.tenants.store.put({ id, displayName, enabled: true, authState: 'ok', addedAt: minutesAgo(2 * 1440), ...over });
    await put(fresh, 'Fresh Ltd');
    await put(stalled, 'Stalled GmbH');
    await put(disabled, 'Disabled SA', { enabled: false });
    await put(consent, 'Consent Missing BV', { authState: 'consent-missing' });
    await saveCheckpoint(s, fresh, minutesAgo(1));
    await saveCheckpoint(s, disabled, minutesAgo(600));
    await saveCheckpoint(s, consent, minutesAgo(600));
    // `stalled` was added two days ago and has no checkpoint: its polls never ran.

    // Its polls keep running: its checkpoint follows the clock.
    const run = async () => {
      await saveCheckpoint(s, fresh, minutesAgo(1));
      await s.cycle(p.log);
    };
    const tenantsRequests = () => s.counters.tableRequests.byTable.get('Tenants') ?? 0;
    const before = tenantsRequests();
    await run();
    expect(tenantsRequests() - before).toBe(1); // one Tenants query for the check
    expect(await stalledKeys(s)).toEqual([`tenant-stalled:${stalled}`]);
    expect(stallCards()).toHaveLength(1);
    const card = stallCards()[0].text;
    expect(card).toContain(`Watchdog: tenant 'Stalled GmbH' (${stalled}) is not being polled`);
    expect(card).toContain('never polled since it was added 2 d ago');
    expect(card).toContain(`pki-alerts tenants check ${stalled}`);
    expect(card).toContain('tenant-polls-poison');
    for (const other of [fresh, disabled, consent]) expect(card).not.toContain(other);

    // Health: the anonymous verdict reads the home state only (degraded, 200); the detail lists it, read live.
    expect(publicHealth(await s.watch.health())).toMatchObject({ status: 'degraded', checks: { tenants: 'warn' } });
    const detail = await s.watch.healthDetail();
    expect(detail.tenants).toEqual({
      registered: 4,
      stalled: [{ id: stalled, name: 'Stalled GmbH', addedAt: minutesAgo(2 * 1440), notPolledForMinutes: 2880 }],
    });

    // The next runs: within 5 minutes the check does not run (no Tenants read); after it, it runs, still no card.
    p.advance(1);
    const mid = tenantsRequests();
    await run();
    expect(tenantsRequests()).toBe(mid);
    p.advance(5);
    await run();
    expect(stallCards()).toHaveLength(1);
    expect(await stalledKeys(s)).toEqual([`tenant-stalled:${stalled}`]);

    // Its polls run again (checkpoint fresh): resolved once, low severity, naming it.
    await saveCheckpoint(s, stalled, minutesAgo(1));
    p.advance(5);
    await run();
    expect(await stalledKeys(s)).toEqual([]);
    expect(stallCards()).toHaveLength(2);
    const resolved = stallCards()[1].text;
    expect(resolved).toContain(`Resolved: tenant 'Stalled GmbH' (${stalled}) is polled again`);
    expect(resolved).not.toContain(fresh);
    expect(publicHealth(await s.watch.health()).checks.tenants).toBe('ok');
    expect((await s.watch.healthDetail()).tenants?.stalled).toEqual([]);

    p.advance(5);
    await run();
    expect(stallCards()).toHaveLength(2);
  });

  it('a removed tenant resolves its incident; with none registered the detail has no tenants section', async () => {
    p = await startPipeline();
    const s = p.services();
    const id = randomUUID();
    await s.tenants.store.put({
      id,
      displayName: 'Gone Inc',
      enabled: true,
      authState: 'unknown',
      addedAt: minutesAgo(60),
    });
    await s.cycle(p.log);
    expect(await stalledKeys(s)).toEqual([`tenant-stalled:${id}`]);
    await s.tenants.store.remove(id);
    p.advance(5);
    await p.services().cycle(p.log);
    expect(await stalledKeys(s)).toEqual([]);
    expect(stallCards().map((c) => /Resolved: tenant '[^']+' \([^)]+\) was removed/.test(c.text))).toEqual([
      false,
      true,
    ]);
    expect((await s.watch.healthDetail()).tenants).toBeUndefined(); // none registered
  });

  it('reads the checkpoints of 30 tenants with 3 PollState queries (14 partitions each), two columns', async () => {
    p = await startPipeline();
    const s = p.services();
    const ids = Array.from({ length: 30 }, () => randomUUID());
    for (const [i, id] of ids.entries()) if (i % 3) await saveCheckpoint(s, id, minutesAgo(i));
    const pollState = () => s.counters.tableRequests.byTable.get('PollState') ?? 0;
    const before = pollState();
    const read = await readScannedTo(s.tables, [...ids, "o'quote"]);
    expect(pollState() - before).toBe(3);
    expect(read).toEqual(new Map(ids.flatMap((id, i) => (i % 3 ? [[id, minutesAgo(i)] as const] : []))));
  });
});
