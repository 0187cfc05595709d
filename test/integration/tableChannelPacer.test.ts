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

interface Sent {
  /** When the pacer let it go (the time it wrote for it). */
  start: number;
  /** When its post finished (the time it settled it). */
  end: number;
}

/**
 * One "instance": a pacer whose sends are posts taking `postMs()` of virtual time, done one after another,
 * recording when each started and finished (the pacer's own clock readings).
 */
function instance(tables: TableClients, rate: number, options: TablePacingOptions, postMs: () => number = () => 0) {
  const sent: Sent[] = [];
  let last = 0;
  const pacer = new TableChannelPacer(tables, 'teams', rate, { ...options, now: () => (last = options.now!()) });
  return {
    sent,
    pacer,
    async send() {
      const settle = await pacer.acquire();
      const start = last;
      await options.sleep!(postMs());
      await settle();
      sent.push({ start, end: last });
    },
  };
}

/** Most sends in any window of `windowMs`, by start time. */
const maxInWindow = (times: number[], windowMs: number) =>
  Math.max(...times.map((t) => times.filter((u) => u >= t && u < t + windowMs).length));

/**
 * Most posts that can have reached the receiver within one `windowMs`, whatever their latency: a post arrives
 * somewhere in [start, end], so sends i and j can share a window when j started before i ended + window.
 */
function maxPossiblyTogether(sent: Sent[], windowMs: number): number {
  return Math.max(...sent.map((j) => sent.filter((i) => i.start <= j.start && i.end > j.start - windowMs).length));
}

const pacingWrites = (request: { method: string; url: string }) =>
  request.url.includes(tableNames.pacing) && ['PUT', 'PATCH', 'MERGE', 'POST'].includes(request.method);

describe('TableChannelPacer (ChannelPacing row on Azurite, fake clock)', () => {
  it.each([
    [4, 20, 1000, 4],
    [1, 6, 1000, 1],
    [0.5, 4, 2000, 1],
  ])(
    '%d per second: %d sends never exceed the limit in any window, at 2 Table transactions a send',
    async (rate, sends, windowMs, max) => {
      const time = fakeTime();
      const counter = new RequestCounter();
      const p = instance(tablesFor(newPrefix(), { counter }), rate, { ...time, random: () => 0 });
      for (let i = 0; i < sends; i++) await p.send();
      const starts = p.sent.map((s) => s.start);
      expect(starts).toHaveLength(sends);
      expect(maxInWindow(starts, windowMs)).toBe(max);
      // ...and does not wait needlessly: the whole batch takes about sends / rate seconds (10 % margin).
      expect(starts.at(-1)! - starts[0]).toBeLessThanOrEqual(((sends - max) / rate) * 1100 + sends * 2);
      // createTable and a first read, then per send the acquire write and the settle write (the ETag it holds).
      expect(counter.byTable.get(tableNames.pacing)).toBe(2 + 2 * sends);
    },
  );

  it('a send counts from when its post finished: a slow post holds its slot until then, plus the window', async () => {
    const time = fakeTime();
    const pacer = new TableChannelPacer(tablesFor(newPrefix()), 'teams', 4, { ...time, random: () => 0 });
    const t0 = time.now();
    const settles = [await pacer.acquire(), await pacer.acquire(), await pacer.acquire(), await pacer.acquire()];
    const fifth = pacer.acquire().then(() => time.now());
    // The four posts are still in flight: the fifth waits (polling) rather than going at t0 + 1,100 ms.
    await time.sleep(500);
    const settledAt = time.now();
    await Promise.all(settles.map((settle) => settle()));
    expect(await fifth).toBeGreaterThanOrEqual(settledAt + 1100);
    expect(await fifth).toBeGreaterThanOrEqual(t0 + 500 + 1100);
  });

  it('a send never settled (its instance died mid-post) holds its slot only until the in-flight limit', async () => {
    const time = fakeTime();
    const tables = tablesFor(newPrefix());
    const options = { ...time, random: () => 0, inFlightLimitInMs: 2000 };
    const dead = new TableChannelPacer(tables, 'teams', 1, options);
    const t0 = time.now();
    await dead.acquire(); // never settled
    const other = new TableChannelPacer(tables, 'teams', 1, options);
    const settle = await other.acquire();
    expect(time.now()).toBeGreaterThanOrEqual(t0 + 2000 + 1100);
    await settle();
  });

  it('three instances on one row (separate clients, shared clock, posts of varying length): never more than 4 posts that can share a second, none lost', async () => {
    const time = fakeTime();
    const prefix = newPrefix();
    let n = 0;
    const postMs = () => [0, 30, 400, 120, 5][n++ % 5];
    const instances = [1, 2, 3].map((i) =>
      instance(tablesFor(prefix), 4, { ...time, random: () => (i * 0.37) % 1 }, postMs),
    );
    await Promise.all(
      instances.map(async (p) => {
        for (let i = 0; i < 8; i++) await p.send();
      }),
    );
    const all = instances.flatMap((p) => p.sent);
    expect(all).toHaveLength(24);
    expect(maxPossiblyTogether(all, 1000)).toBeLessThanOrEqual(4);
    expect(
      maxInWindow(
        all.map((s) => s.start),
        1000,
      ),
    ).toBeLessThanOrEqual(4);
  });

  it('the same without the shared row (memory per instance) would not hold: the measurement can fail', async () => {
    // Control: three instances on three different rows stand for three process-local limiters.
    const time = fakeTime();
    const instances = [1, 2, 3].map(() => instance(tablesFor(newPrefix()), 4, { ...time }));
    await Promise.all(instances.map(async (p) => Promise.all([1, 2, 3, 4].map(() => p.send()))));
    expect(
      maxPossiblyTogether(
        instances.flatMap((p) => p.sent),
        1000,
      ),
    ).toBe(12);
  });

  it('one process, several callers at once (tenants sharing the pacer): queued, settled, no deadlock', async () => {
    const time = fakeTime();
    const pacing = createTablePacing(tablesFor(newPrefix()), { ...time, random: () => 0.5 });
    const sent: Sent[] = [];
    await Promise.all(
      [1, 2, 3, 4, 5, 6].map(async () => {
        for (let i = 0; i < 2; i++) {
          const settle = await pacing('teams', 4).acquire();
          const start = time.now();
          await time.sleep(50);
          await settle();
          sent.push({ start, end: time.now() });
        }
      }),
    );
    expect(sent).toHaveLength(12);
    expect(
      maxInWindow(
        sent.map((s) => s.start),
        1000,
      ),
    ).toBeLessThanOrEqual(4);
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
    await expect(pacer.acquire()).resolves.toBeTypeOf('function');
  });

  it('a settle that cannot be written does not reject (the send counts until its in-flight limit)', async () => {
    let down = false;
    const unreachable: PipelinePolicy = {
      name: 'pacingUnreachable',
      sendRequest: async (request, next) => {
        if (down && request.url.includes(tableNames.pacing))
          throw new RestError('connect ECONNREFUSED 127.0.0.1:10002', { code: 'ECONNREFUSED', request });
        return next(request);
      },
    };
    const pacer = new TableChannelPacer(tablesFor(newPrefix(), { policies: [unreachable] }), 'teams', 4, fakeTime());
    const settle = await pacer.acquire();
    down = true;
    await expect(settle()).resolves.toBeUndefined();
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
    await expect(pacer.acquire()).resolves.toBeTypeOf('function');
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
    const seed = (starts: number[]) =>
      client.upsertEntity(
        {
          partitionKey: 'pacing',
          rowKey: 'teams',
          channelId: 'teams',
          sendsJson: JSON.stringify(starts.map((s, i) => ({ s, e: s, k: `other-${i}` }))),
        },
        'Replace',
      );
    const pacer = new TableChannelPacer(tables, 'teams', 4, { ...time, random: () => 0 });
    // Another instance's clock 300 ms ahead: its four sends hold the window until they leave it by our clock.
    await seed([1, 2, 3, 4].map((i) => time.now() + 300 + i));
    const start = time.now();
    await (
      await pacer.acquire()
    )();
    expect(time.now() - start).toBeGreaterThanOrEqual(300 + 1100);
    // An instance hours ahead cannot stall the channel.
    await seed([1, 2, 3, 4].map((i) => time.now() + 3_600_000 + i));
    const again = time.now();
    await new TableChannelPacer(tables, 'teams', 4, { ...time, random: () => 0 }).acquire();
    expect(time.now()).toBe(again);
  });

  it('a damaged row is treated as empty and rewritten', async () => {
    const time = fakeTime();
    const tables = tablesFor(newPrefix());
    const client = await tables.get(tableNames.pacing);
    await client.upsertEntity({ partitionKey: 'pacing', rowKey: 'teams', sendsJson: '{not json' }, 'Replace');
    await new TableChannelPacer(tables, 'teams', 4, time).acquire();
    const row = await client.getEntity<{ sendsJson: string }>('pacing', 'teams');
    expect(JSON.parse(row.sendsJson)).toEqual([{ s: time.now(), k: expect.any(String) }]);
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
