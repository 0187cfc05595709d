import { createHash } from 'node:crypto';
import type { TableClient } from '@azure/data-tables';
import { statusOf, type TableClients, tableNames } from './tableClients';

/** What deliverPending waits on before each post to a channel (DeliverDeps['limiter'] returns one). */
export interface ChannelPacer {
  /** Resolves when one more send to the channel is allowed, and counts it; rejects when storage fails. */
  acquire(): Promise<void>;
}

export interface TablePacingOptions {
  /** Wall-clock time in epoch ms (every instance must share it: see the clock-skew note on TableChannelPacer). */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** Write races one acquire may lose before it gives up and rejects. Default 50. */
  maxConflicts?: number;
}

const partitionKey = 'pacing';
// Same margin as the process limiter (src/notifiers/rateLimiter.ts): sends paced exactly at the limit can
// still arrive bunched (network, storage and event-loop jitter), and the receiver counts arrivals.
const windowMargin = 1.1;
// RowKey may not hold / \ # ? or control characters; channel ids are [a-z0-9-] (channel.ts), others get a digest.
const plainKey = /^[A-Za-z0-9_.:-]{1,200}$/;

/** The pacing row's RowKey of a channel. */
export const pacingRowKey = (channelId: string): string =>
  plainKey.test(channelId) ? channelId : `sha256-${createHash('sha256').update(channelId).digest('hex').slice(0, 40)}`;

interface PacingEntity {
  channelId: string;
  /** JSON list of the epoch-ms times of the channel's last sends (at most `capacity` inside the window). */
  sendsJson: string;
}

/**
 * Paces sends to one channel across every instance: at most `maxPerSecond` in any sliding window (below 1,
 * one send per 1/rate seconds), held in one `ChannelPacing` row per channel instead of process memory. The
 * row lists the times of the channel's last sends; an acquire reads it, and when fewer than `capacity` fall
 * inside the window, appends now and writes the row back with If-Match (create when absent). A lost race
 * (412 / 409) re-reads; a full window sleeps until its oldest send leaves it. About 2 Table transactions per
 * send (read + conditional write), more under contention or while waiting.
 *
 * Times are each instance's wall clock (Date.now()): instances must agree on it. A clock ahead by d ms makes
 * that instance see the others' sends d ms older (up to d ms early sends); one behind waits longer. Azure
 * hosts are NTP-synchronised to well under the 10 % window margin; times more than a window in the future
 * are ignored, so a badly skewed instance cannot stall the channel.
 *
 * Within one process acquires of a channel queue behind each other (as in RateLimiter), so a process keeps
 * at most one request on the row at a time.
 */
export class TableChannelPacer implements ChannelPacer {
  readonly capacity: number;
  readonly windowInMs: number;
  private tail: Promise<void> = Promise.resolve();
  private readonly rowKey: string;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly maxConflicts: number;

  constructor(
    private readonly tables: TableClients,
    private readonly channelId: string,
    maxPerSecond: number,
    options: TablePacingOptions = {},
  ) {
    this.capacity = Math.max(1, Math.floor(maxPerSecond));
    this.windowInMs = (this.capacity / maxPerSecond) * 1000 * windowMargin;
    this.rowKey = pacingRowKey(channelId);
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.random = options.random ?? Math.random;
    this.maxConflicts = options.maxConflicts ?? 50;
  }

  acquire(): Promise<void> {
    const turn = this.tail.then(() => this.take());
    this.tail = turn.catch(() => undefined);
    return turn;
  }

  private async take(): Promise<void> {
    const client = await this.tables.get(tableNames.pacing);
    let conflicts = 0;
    for (;;) {
      const row = await this.read(client);
      const now = this.now();
      const recent = row.sends
        .filter((t) => t > now - this.windowInMs && t <= now + this.windowInMs)
        .sort((a, b) => a - b);
      if (recent.length >= this.capacity) {
        // Until enough sends have left the window that one more fits (several instances waking at the same
        // moment would race for the one slot: a little jitter spreads them).
        const leaving = recent[recent.length - this.capacity];
        await this.sleep(this.windowInMs - (now - leaving) + 1 + Math.floor(this.random() * 10));
        continue;
      }
      const entity = {
        partitionKey,
        rowKey: this.rowKey,
        channelId: this.channelId,
        sendsJson: JSON.stringify([...recent, now]),
      };
      try {
        if (row.etag) await client.updateEntity<PacingEntity>(entity, 'Replace', { etag: row.etag });
        else await client.createEntity<PacingEntity>(entity);
        return;
      } catch (err) {
        const status = statusOf(err);
        // 412: another instance wrote first; 409: it created the row first; 404: the row was deleted.
        if (status !== 412 && status !== 409 && status !== 404) throw err;
        if (++conflicts > this.maxConflicts)
          throw new Error(`Pacing of channel ${this.channelId}: lost ${conflicts} write races in a row; giving up`, {
            cause: err,
          });
        await this.sleep(Math.floor(this.random() * 20));
      }
    }
  }

  private async read(client: TableClient): Promise<{ etag?: string; sends: number[] }> {
    try {
      const e = await client.getEntity<PacingEntity>(partitionKey, this.rowKey);
      return { etag: e.etag, sends: parseSends(e.sendsJson) };
    } catch (err) {
      if (statusOf(err) === 404) return { sends: [] };
      throw err;
    }
  }
}

function parseSends(json: unknown): number[] {
  try {
    const parsed: unknown = JSON.parse(typeof json === 'string' ? json : '[]');
    return Array.isArray(parsed) ? parsed.filter((t): t is number => typeof t === 'number' && Number.isFinite(t)) : [];
  } catch {
    return []; // a damaged row is rewritten by the next send
  }
}

/**
 * Table-backed pacing for deliverPending (DeliverDeps['limiter']): one TableChannelPacer per channel id and
 * rate, kept for the life of the returned function (create it once per process, so acquires queue in-process).
 */
export function createTablePacing(
  tables: TableClients,
  options: TablePacingOptions = {},
): (channelId: string, maxPerSecond: number) => ChannelPacer {
  const pacers = new Map<string, TableChannelPacer>();
  return (channelId, maxPerSecond) => {
    const key = `${maxPerSecond}|${channelId}`;
    let pacer = pacers.get(key);
    if (!pacer) pacers.set(key, (pacer = new TableChannelPacer(tables, channelId, maxPerSecond, options)));
    return pacer;
  };
}
