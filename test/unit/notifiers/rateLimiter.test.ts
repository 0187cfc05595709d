import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../../../src/notifiers/rateLimiter';

/** A fake clock: sleeping advances time, so pacing is measured exactly and instantly. */
function fakeTime() {
  let t = 0;
  return { now: () => t, sleep: async (ms: number) => void (t += ms) };
}

/** Most sends in any window of `windowMs`. */
const maxInWindow = (times: number[], windowMs: number) =>
  Math.max(...times.map((t) => times.filter((u) => u >= t && u < t + windowMs).length));

describe('RateLimiter', () => {
  it.each([
    [4, 40, 1000, 4],
    [1, 10, 1000, 1],
    [10, 100, 1000, 10],
    [0.5, 6, 2000, 1],
  ])('%d per second: %d sends never exceed the limit in any window', async (rate, sends, windowMs, max) => {
    const time = fakeTime();
    const limiter = new RateLimiter(rate, time.now, time.sleep);
    const stamps: number[] = [];
    for (let i = 0; i < sends; i++) {
      await limiter.acquire();
      stamps.push(time.now());
    }
    expect(maxInWindow(stamps, windowMs)).toBe(max);
    // ...and does not wait needlessly: the whole batch takes about sends / rate seconds.
    expect(stamps.at(-1)!).toBeLessThanOrEqual(((sends - max) / rate) * 1100 + sends * 2);
  });

  it('queues concurrent callers in order', async () => {
    const time = fakeTime();
    const limiter = new RateLimiter(2, time.now, time.sleep);
    const order: number[] = [];
    await Promise.all([0, 1, 2, 3, 4].map((i) => limiter.acquire().then(() => order.push(i))));
    expect(order).toEqual([0, 1, 2, 3, 4]);
  });
});
