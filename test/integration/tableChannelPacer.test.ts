import { randomUUID } from 'node:crypto';
import { RestError } from '@azure/data-tables';
import { describe, expect, inject, it } from 'vitest';
import {
  createTablePacing,
  pacingRowKey,
  TableChannelPacer,
  type TablePacingOptions,
} from '../../src/state/tableChannelPacer';
import { type PipelinePolicy, RequestCounter, TableClients, tableNames } from '../../src/state/tableClients';

/**
 * A shared fake wall clock for several pacers ("instances"): sleeping moves time forward to at least the
 * sleeper's wake-up time (never back), so pacing is measured in virtual time, instantly, over real Azurite.
 */
function fakeTime(start = 1_767_000_000_000) {
  let t = start;
  return {
    now: () => t,
    sleep: async (ms: number) => {
      const wakeAt = t + ms;
      await new Promise((r) => setImmediate(r));
      t = Math.max(t, wakeAt);
    },
  };
}

const newPrefix = () => `p${randomUUID().replace(/-/g, '').slice(0, 12)}`;
const tablesFor = (prefix: string, extra: { counter?: RequestCounter; policies?: PipelinePolicy[] } = {}) =>
  new TableClients({ connectionString: inject('tablesConnectionString'), tablePrefix: prefix, ...extra });

/** A pacer whose `stamps` are the times it recorded for its sends (the last clock reading of each acquire). */
function recordingPacer(tables: TableClients, channelId: string, rate: number, options: TablePacingOptions) {
  const stamps: number[] = [];
  let last = 0;
  const now = () => (last = options.now!());
  const pacer = new TableChannelPacer(tables, channelId, rate, { ...options, now });
  return { stamps, acquire: () => pacer.acquire().then(() => void stamps.push(last)) };
}

/** Most sends in any window of `windowMs`. */
const maxInWindow = (times: number[], windowMs: number) =>
  Math.max(...times.map((t) => times.filter((u) => u >= t && u < t + windowMs).length));

const pacingWrites = (request: { method: string; url: string }) =>
  request.url.includes(tableNames.pacing) && ['PUT', 'PATCH', 'MERGE', 'POST'].includes(request.method);

describe('TableChannelPacer (ChannelPacing row on Azurite, fake clock)', () => {
  it.each([
    [4, 20, 1000, 4],
    [1, 6, 1000, 1],
    [0.5, 4, 2000, 1],
  ])(
    '%d per second: %d sends never exceed the limit in any window, at 2 Table transactions a send (+1 per wait)',
    async (rate, sends, windowMs, max) => {
      const time = fakeTime();
      const counter = new RequestCounter();
      const p = recordingPacer(tablesFor(newPrefix(), { counter }), 'teams', rate, { ...time, random: () => 0 });
      for (let i = 0; i < sends; i++) await p.acquire();
      expect(p.stamps).toHaveLength(sends);
      expect(maxInWindow(p.stamps, windowMs)).toBe(max);
      // ...and does not wait needlessly: the whole batch takes about sends / rate seconds (10 % margin).
      expect(p.stamps.at(-1)! - p.stamps[0]).toBeLessThanOrEqual(((sends - max) / rate) * 1100 + sends * 2);
      // createTable once, then read + write per send, one more read for each send that found the window full
      // (the first of each batch of `max`: the ones after it find the window emptied).
      const waited = Math.ceil((sends - max) / max);
      expect(counter.byTable.get(tableNames.pacing)).toBe(1 + 2 * sends + waited);
    },
  );

  it('three instances on one row (separate clients, shared clock): never more than 4 in any second, none lost', async () => {
    const time = fakeTime();
    const prefix = newPrefix();
    const instances = [1, 2, 3].map((i) =>
      recordingPacer(tablesFor(prefix), 'teams', 4, { ...time, random: () => (i * 0.37) % 1 }),
    );
    // Each instance has two sends in flight at once (its in-process queue), eight in all.
    await Promise.all(
      instances.map(async (p) => {
        for (let i = 0; i < 4; i++) await Promise.all([p.acquire(), p.acquire()]);
      }),
    );
    const all = instances.flatMap((p) => p.stamps).sort((a, b) => a - b);
    expect(all).toHaveLength(24);
    expect(maxInWindow(all, 1000)).toBe(4);
    expect(Math.max(...instances.map((p) => maxInWindow(p.stamps, 1000)))).toBeLessThanOrEqual(4);
  });

  it('the same rate without the shared row (process memory per instance) would not hold: the test can fail', async () => {
    // Control: three instances on three different rows stand for three process-local limiters.
    const time = fakeTime();
    const instances = [1, 2, 3].map(() => recordingPacer(tablesFor(newPrefix()), 'teams', 4, { ...time }));
    await Promise.all(instances.map(async (p) => Promise.all([1, 2, 3, 4].map(() => p.acquire()))));
    expect(
      maxInWindow(
        instances.flatMap((p) => p.stamps),
        1000,
      ),
    ).toBe(12);
  });

  it('a storage error rejects acquire; the next acquire works once storage is back', async () => {
    let down = true;
    const unreachable: PipelinePolicy = {
      name: 'pacingUnreachable',
      sendRequest: async (request, next) => {
        if (down && request.url.includes(tableNames.pacing) && request.method === 'GET')
          throw new RestError('connect ECONNREFUSED 127.0.0.1:10002', { code: 'ECONNREFUSED', request });
        return next(request);
      },
    };
    const time = fakeTime();
    const pacer = new TableChannelPacer(tablesFor(newPrefix(), { policies: [unreachable] }), 'teams', 4, time);
    await expect(pacer.acquire()).rejects.toThrow(/ECONNREFUSED/);
    down = false;
    await expect(pacer.acquire()).resolves.toBeUndefined();
  });

  it('lost write races are retried, and a pacer that keeps losing gives up (rejects) after maxConflicts', async () => {
    let refusals = 0;
    let refuseUntil = 3;
    const conflict: PipelinePolicy = {
      name: 'pacingConflict',
      sendRequest: async (request, next) => {
        if (pacingWrites(request) && refusals < refuseUntil) {
          refusals++;
          throw new RestError('UpdateConditionNotSatisfied', { statusCode: 412, request });
        }
        return next(request);
      },
    };
    const time = fakeTime();
    const tables = tablesFor(newPrefix(), { policies: [conflict] });
    const pacer = new TableChannelPacer(tables, 'teams', 4, { ...time, maxConflicts: 5 });
    await expect(pacer.acquire()).resolves.toBeUndefined();
    expect(refusals).toBe(3);
    refusals = 0;
    refuseUntil = Infinity;
    await expect(pacer.acquire()).rejects.toThrow(/lost 6 write races/);
    expect(refusals).toBe(6);
  });

  it('clock skew: sends stamped slightly ahead still count; stamps more than a window ahead are ignored', async () => {
    const time = fakeTime();
    const tables = tablesFor(newPrefix());
    const client = await tables.get(tableNames.pacing);
    const seed = (sends: number[]) =>
      client.upsertEntity(
        { partitionKey: 'pacing', rowKey: 'teams', channelId: 'teams', sendsJson: JSON.stringify(sends) },
        'Replace',
      );
    const pacer = new TableChannelPacer(tables, 'teams', 4, { ...time, random: () => 0 });
    // Another instance's clock 300 ms ahead: its four sends hold the window until they leave it by our clock.
    await seed([1, 2, 3, 4].map((i) => time.now() + 300 + i));
    const start = time.now();
    await pacer.acquire();
    expect(time.now() - start).toBeGreaterThanOrEqual(300 + 1100);
    // An instance hours ahead cannot stall the channel.
    await seed([1, 2, 3, 4].map((i) => time.now() + 3_600_000 + i));
    const again = time.now();
    await pacer.acquire();
    expect(time.now()).toBe(again);
  });

  it('a damaged row is treated as empty and rewritten', async () => {
    const time = fakeTime();
    const tables = tablesFor(newPrefix());
    const client = await tables.get(tableNames.pacing);
    await client.upsertEntity({ partitionKey: 'pacing', rowKey: 'teams', sendsJson: '{not json' }, 'Replace');
    await new TableChannelPacer(tables, 'teams', 4, time).acquire();
    const row = await client.getEntity<{ sendsJson: string }>('pacing', 'teams');
    expect(JSON.parse(row.sendsJson)).toEqual([time.now()]);
  });

  it('row keys: a plain channel id as is; one with characters a RowKey may not hold, as a digest', async () => {
    expect(pacingRowKey('teams')).toBe('teams');
    expect(pacingRowKey('oncall-mail')).toBe('oncall-mail');
    const odd = 'a/b#c?d\\e';
    expect(pacingRowKey(odd)).toMatch(/^sha256-[0-9a-f]{40}$/);
    expect(pacingRowKey(odd)).not.toBe(pacingRowKey('a/b#c?d\\f'));
    const tables = tablesFor(newPrefix());
    await new TableChannelPacer(tables, odd, 4, fakeTime()).acquire();
    const row = await (
      await tables.get(tableNames.pacing)
    ).getEntity<{ channelId: string }>('pacing', pacingRowKey(odd));
    expect(row.channelId).toBe(odd);
  });

  it('createTablePacing keeps one pacer per channel and rate', () => {
    const pacing = createTablePacing(tablesFor(newPrefix()));
    expect(pacing('teams', 4)).toBe(pacing('teams', 4));
    expect(pacing('teams', 2)).not.toBe(pacing('teams', 4));
    expect(pacing('mail', 4)).not.toBe(pacing('teams', 4));
  });
});
