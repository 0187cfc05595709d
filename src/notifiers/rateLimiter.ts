/**
 * Paces sends to one channel: at most `maxPerSecond` in any sliding window (for rates below 1, one send
 * per 1/rate seconds). Sends wait in line (a queue per channel) rather than fail.
 */
const windowMargin = 1.1;

export class RateLimiter {
  private readonly sent: number[] = [];
  private readonly capacity: number;
  private readonly windowInMs: number;
  private tail: Promise<void> = Promise.resolve();

  constructor(
    maxPerSecond: number,
    private readonly now: () => number = () => performance.now(),
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {
    this.capacity = Math.max(1, Math.floor(maxPerSecond));
    // 10 % margin: requests paced exactly at the limit can still arrive bunched (network and event-loop
    // jitter), and the receiver counts arrivals, not our departures.
    this.windowInMs = (this.capacity / maxPerSecond) * 1000 * windowMargin;
  }

  /** Resolves when one more send is allowed, and counts it. */
  acquire(): Promise<void> {
    const turn = this.tail.then(() => this.take());
    this.tail = turn.catch(() => undefined);
    return turn;
  }

  private async take(): Promise<void> {
    for (;;) {
      const now = this.now();
      while (this.sent.length > 0 && now - this.sent[0] >= this.windowInMs) this.sent.shift();
      if (this.sent.length < this.capacity) {
        this.sent.push(now);
        return;
      }
      await this.sleep(this.windowInMs - (now - this.sent[0]) + 1);
    }
  }
}

const limiters = new Map<string, { rate: number; limiter: RateLimiter }>();

/** The process-wide limiter of a channel (one queue per channel across runs of this process). */
export function limiterFor(channelId: string, maxPerSecond: number): RateLimiter {
  const existing = limiters.get(channelId);
  if (existing && existing.rate === maxPerSecond) return existing.limiter;
  const limiter = new RateLimiter(maxPerSecond);
  limiters.set(channelId, { rate: maxPerSecond, limiter });
  return limiter;
}
