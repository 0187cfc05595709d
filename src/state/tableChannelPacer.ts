import { createHash, randomBytes } from 'node:crypto';
import type { TableClient } from '@azure/data-tables';
import { statusOf, type TableClients, tableNames } from './tableClients';

/** Called once the post an acquire allowed has finished (answered, failed or timed out). Never rejects. */
export type SettleSend = () => Promise<void>;

/** What deliverPending waits on before each post to a channel (DeliverDeps['limiter'] returns one). */
export interface ChannelPacer {
  /** Resolves when one more send to the channel is allowed, and counts it; rejects when storage fails. */
  acquire(): Promise<SettleSend>;
}

export interface TablePacingOptions {
  /** Wall-clock time in epoch ms (every instance must share it: see the clock-skew note on TableChannelPacer). */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** Write races one acquire may lose before it gives up and rejects. Default 50. */
  maxConflicts?: number;
  /** A send never settled (its instance died mid-post) counts as arriving this long after it started. Default 60 s. */
  inFlightLimitInMs?: number;
}

const partitionKey = 'pacing';
// Same margin as the process limiter (src/notifiers/rateLimiter.ts): the receiver counts arrivals, and these
// can bunch (network, storage and event-loop jitter).
const windowMargin = 1.1;
// While the send that must leave the window is still in flight, look again this often.
const inFlightPollInMs = 100;
// RowKey may not hold / \ # ? or control characters; channel ids are [a-z0-9-] (channel.ts), others get a digest.
const plainKey = /^[A-Za-z0-9_.:-]{1,200}$/;

/** The pacing row's RowKey of a channel. */
export const pacingRowKey = (channelId: string): string =>
  plainKey.test(channelId) ? channelId : `sha256-${createHash('sha256').update(channelId).digest('hex').slice(0, 40)}`;

/** One send in the row: started at `s`, its post finished at `e` (absent while in flight), `k` names it. */
interface Send {
  s: number;
  e?: number;
  k: string;
}

interface Row {
  etag?: string;
  sends: Send[];
}

/**
 * Paces sends to one channel across every instance: at most `maxPerSecond` posts in any sliding window (below
 * 1, one per 1/rate seconds), held in one `ChannelPacing` row per channel instead of process memory. The row
 * lists the channel's recent sends; acquire adds one when fewer than `capacity` are still inside the window,
 * writing the row with If-Match (create when absent; a lost race, 412 / 409, reads again), and sleeps until
 * one leaves it otherwise. A send stays in the window until `window` after its post FINISHED (the settle
 * call), not after it started: a post can reach the receiver any time between the two, so counting from the
 * start would let a slow post (a cold connection, a busy instance) land in the same second as later ones.
 * About 2 Table transactions per send from one instance (the acquire write, the settle write, each made with
 * the ETag this pacer last saw), plus a read for each race lost and each wait.
 *
 * Times are each instance's wall clock (Date.now()): instances must agree on it. A clock ahead by d ms makes
 * that instance see the others' sends d ms older (sends up to d ms early); one behind waits longer. Azure
 * hosts are NTP-synchronised to well under the 10 % window margin; sends started more than a window in the
 * future are ignored, so a badly skewed instance cannot stall the channel.
 *
 * Within one process, acquires of a channel queue behind each other (as in RateLimiter), so a process keeps
 * at most one acquire on the row at a time; settles do not queue (an acquire may be waiting for them).
 */
export class TableChannelPacer implements ChannelPacer {
  readonly capacity: number;
  readonly windowInMs: number;
  private tail: Promise<unknown> = Promise.resolve();
  /** The row as this pacer last read or wrote it (a write with its ETag fails if anyone wrote since). */
  private cached: Row | undefined;
  private readonly rowKey: string;
  private readonly instance = randomBytes(4).toString('hex');
  private counter = 0;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly maxConflicts: number;
  private readonly inFlightLimitInMs: number;

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
    this.inFlightLimitInMs = options.inFlightLimitInMs ?? 60_000;
  }

  acquire(): Promise<SettleSend> {
    const turn = this.tail.then(() => this.take());
    this.tail = turn.catch(() => undefined);
    return turn;
  }

  /** The latest time the send's post can have reached the receiver. */
  private arrivedBy(send: Send): number {
    return send.e ?? send.s + this.inFlightLimitInMs;
  }

  /** Sends that still count at `now`, oldest arrival first. */
  private live(sends: Send[], now: number): Send[] {
    return sends
      .filter((x) => this.arrivedBy(x) > now - this.windowInMs && x.s <= now + this.windowInMs)
      .sort((a, b) => this.arrivedBy(a) - this.arrivedBy(b));
  }

  private async take(): Promise<SettleSend> {
    const client = await this.tables.get(tableNames.pacing);
    let row = this.cached ?? (await this.read(client));
    let conflicts = 0;
    for (;;) {
      const now = this.now();
      const live = this.live(row.sends, now);
      if (live.length >= this.capacity) {
        // Until enough sends have left the window that one more fits; a little jitter spreads instances that
        // wake for the same slot.
        const leaving = live[live.length - this.capacity];
        const jitter = Math.floor(this.random() * 10);
        if (leaving.e === undefined) {
          await this.sleep(inFlightPollInMs + jitter);
          row = await this.read(client); // its settle lands in the row
        } else {
          await this.sleep(this.arrivedBy(leaving) + this.windowInMs - now + 1 + jitter);
          row = this.cached ?? row; // our own settles may have written meanwhile; others' show as a lost race
        }
        continue;
      }
      const mine: Send = { s: now, k: `${this.instance}-${++this.counter}` };
      const sends = [...live, mine];
      try {
        this.cached = { etag: await this.write(client, row.etag, sends), sends };
        return () => this.settle(client, mine.k);
      } catch (err) {
        this.cached = undefined;
        if (!isLostRace(err)) throw err;
        if (++conflicts > this.maxConflicts)
          throw new Error(`Pacing of channel ${this.channelId}: lost ${conflicts} write races in a row; giving up`, {
            cause: err,
          });
        await this.sleep(Math.floor(this.random() * 20));
        row = await this.read(client);
      }
    }
  }

  /** Marks the send finished. Best effort: one that cannot be marked counts until its in-flight limit. */
  private async settle(client: TableClient, key: string): Promise<void> {
    let row = this.cached;
    for (let attempt = 0; attempt <= this.maxConflicts; attempt++) {
      try {
        row ??= await this.read(client);
        if (!row.etag || !row.sends.some((x) => x.k === key)) return;
        const now = this.now();
        const sends = this.live(row.sends, now).map((x) => (x.k === key ? { ...x, e: now } : x));
        this.cached = { etag: await this.write(client, row.etag, sends), sends };
        return;
      } catch (err) {
        row = this.cached = undefined;
        if (!isLostRace(err)) return;
      }
    }
  }

  private async read(client: TableClient): Promise<Row> {
    try {
      const e = await client.getEntity<{ sendsJson?: string }>(partitionKey, this.rowKey);
      return { etag: e.etag, sends: parseSends(e.sendsJson) };
    } catch (err) {
      if (statusOf(err) === 404) return { sends: [] };
      throw err;
    }
  }

  /** Writes the row: replace with If-Match when it was read with an ETag, create otherwise. Returns the new ETag. */
  private async write(client: TableClient, etag: string | undefined, sends: Send[]): Promise<string | undefined> {
    const entity = { partitionKey, rowKey: this.rowKey, channelId: this.channelId, sendsJson: JSON.stringify(sends) };
    const res = etag ? await client.updateEntity(entity, 'Replace', { etag }) : await client.createEntity(entity);
    return res.etag;
  }
}

// 412: another instance wrote first; 409: it created the row first; 404: the row was deleted.
const isLostRace = (err: unknown) => [412, 409, 404].includes(statusOf(err) ?? 0);

function parseSends(json: unknown): Send[] {
  try {
    const parsed: unknown = JSON.parse(typeof json === 'string' ? json : '[]');
    if (!Array.isArray(parsed)) return [];
    return parsed.filter(
      (x): x is Send =>
        typeof x === 'object' &&
        x !== null &&
        Number.isFinite((x as Send).s) &&
        ((x as Send).e === undefined || Number.isFinite((x as Send).e)) &&
        typeof (x as Send).k === 'string',
    );
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
