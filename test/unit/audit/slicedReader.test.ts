import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AuditPage, AuditSource } from '../../../src/audit/auditSource';
import type { PollWindow } from '../../../src/audit/pollWindow';
import { SlicedReader } from '../../../src/audit/slicedReader';

type Order = 'asc' | 'desc' | 'none';

/** A Graph stand-in over an in-memory list: closed time filter, pages of `pageSize`, in the given order. */
function source(times: number[], pageSize: number, order: Order): AuditSource & { requests: number } {
  const events = times.map((t, i) => ({ id: `e${i}`, activityDateTime: new Date(t).toISOString() }));
  const s = {
    requests: 0,
    async *listPages(w: PollWindow): AsyncIterable<AuditPage> {
      const inRange = events.filter(
        (e) => Date.parse(e.activityDateTime) >= w.from.getTime() && Date.parse(e.activityDateTime) <= w.to.getTime(),
      );
      const sorted =
        order === 'asc'
          ? [...inRange].sort((a, b) => a.activityDateTime.localeCompare(b.activityDateTime))
          : order === 'desc'
            ? [...inRange].sort((a, b) => b.activityDateTime.localeCompare(a.activityDateTime))
            : inRange;
      for (let i = 0, n = 1; ; i += pageSize, n++) {
        s.requests++;
        const page = sorted.slice(i, i + pageSize);
        const hasMore = i + pageSize < sorted.length;
        yield { events: page, pageNumber: n, hasMore };
        if (!hasMore) return;
      }
    },
  };
  return s;
}

const T0 = Date.parse('2026-11-25T10:00:00.000Z');
const hour = 3_600_000;

/** Runs the reader run after run (checkpoint and slice hint carried), as the poll does, until caught up. */
async function drive(
  times: number[],
  pageSize: number,
  maxPages: number,
  order: Order,
  maxRuns = 200,
  spanInMs = hour,
) {
  const src = source(times, pageSize, order);
  const seen = new Set<string>();
  let scannedTo = T0;
  let slice: number | undefined;
  let dense: { fromInMs: number; sliceInMs: number } | undefined;
  let runs = 0;
  const end = T0 + spanInMs;
  for (; runs < maxRuns; runs++) {
    const window: PollWindow = { from: new Date(scannedTo - 15 * 60_000), to: new Date(end), basis: 'lookback' };
    const reader = new SlicedReader(src, window, { maxPages, forwardFrom: scannedTo, sliceInMs: slice, dense });
    for await (const page of reader.pages()) for (const e of page.events as { id: string }[]) seen.add(e.id);
    expect(reader.progress.completedTo).toBeGreaterThanOrEqual(scannedTo);
    scannedTo = Math.max(scannedTo, reader.progress.completedTo);
    slice = reader.progress.nextSliceInMs;
    dense = reader.progress.nextDense;
    if (scannedTo >= end) break;
  }
  return { seen, runs, requests: src.requests, caughtUp: scannedTo >= end };
}

describe('SlicedReader', () => {
  it('a 7-day backlog, newest first, is worked off in at most 1.5 × the fewest runs (learning the slice length costs a few)', async () => {
    const week = 7 * 24 * hour;
    const times = Array.from({ length: 14_000 }, (_, i) => T0 + Math.floor((i * week) / 14_000));
    const r = await drive(times, 75, 10, 'desc', 200, week);
    expect(r.caughtUp).toBe(true);
    expect(r.seen.size).toBe(times.length);
    expect(r.runs).toBeLessThanOrEqual(Math.ceil(1.5 * Math.ceil(14_000 / 75 / 10)));
  });

  it('a counterexample the property found (a livelock): events at 0, 20 min, 20 min, pages of one, a budget of 3, newest first', async () => {
    const r = await drive([T0, T0 + 20 * 60_000, T0 + 20 * 60_000], 1, 3, 'desc');
    expect(r.caughtUp).toBe(true);
    expect(r.seen.size).toBe(3);
  });

  it('an idle window is one request', async () => {
    expect((await drive([], 100, 100, 'desc')).requests).toBe(1);
  });

  it.each<Order>(['asc', 'desc', 'none'])(
    'a same-millisecond burst bigger than the whole budget is read to its end (%s)',
    async (order) => {
      const times = [...Array.from({ length: 500 }, () => T0 + 30 * 60_000), T0 + 31 * 60_000];
      const r = await drive(times, 10, 5, order);
      expect(r.caughtUp).toBe(true);
      expect(r.seen.size).toBe(times.length);
    },
  );

  it('whatever the order, page size and budget, every event is read and the checkpoint catches up (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(fc.integer({ min: 0, max: hour }), fc.constant(20 * 60_000), fc.constant(20 * 60_000 + 1)), {
          maxLength: 300,
        }),
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 2, max: 20 }),
        fc.constantFrom<Order>('asc', 'desc', 'none'),
        async (offsets, pageSize, maxPages, order) => {
          const times = offsets.map((o) => T0 + o);
          const r = await drive(times, pageSize, maxPages, order);
          expect(r.caughtUp).toBe(true);
          expect(r.seen.size).toBe(times.length);
        },
      ),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 200) > 1000 ? 2000 : 200, seed: 42 },
    );
  });
});
