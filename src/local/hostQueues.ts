import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { DefaultAzureCredential } from '@azure/identity';
import type { QueueClient, ReceivedMessageItem } from '@azure/storage-queue';
import { redactSecrets } from '../shared/redact';
import { decodeMessageText, poisonQueueName, prefixedQueueName, StorageQueues } from '../state/storageQueues';
import type { HostFunction, Invoke } from './hostFunction';
import { describeError } from './hostHttpIo';

// The local functions host's queue triggers, run the way the Storage queues extension runs them
// (docs/reference/azure-platform.md §10, docs/testing.md): batches of batchSize, a new batch when at most
// newBatchThreshold are still running, delete on success, visible again after visibilityTimeout on failure,
// `<queue>-poison` after maxDequeueCount (or at once when not base64), randomized exponential back-off up to
// maxPollingInterval (capped locally) while the queue is idle.

/** `extensions.queues` of host.json, in milliseconds where the host takes a TimeSpan. */
export interface QueueSettings {
  batchSize: number;
  newBatchThreshold: number;
  maxDequeueCount: number;
  /** Between retries of a failed message. */
  visibilityTimeoutMs: number;
  maxPollingIntervalMs: number;
  messageEncoding: 'base64' | 'none';
  /** How long a received message stays invisible while its function runs (renewed at half): functionTimeout, else 5 min. */
  leaseMs: number;
}

const MIN_POLL_MS = 100; // the extension's minimum polling interval
const DEFAULT_LEASE_MS = 5 * 60_000;

/** A host.json TimeSpan ("00:00:30", "1.02:00:00", "00:00:00.500") in ms; undefined when absent or malformed. */
export function parseTimeSpan(value: unknown): number | undefined {
  const m =
    typeof value === 'string' ? /^(?:(\d+)\.)?(\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d{1,7}))?$/.exec(value) : null;
  if (!m) return undefined;
  const [, d = '0', h, min, s, f = '0'] = m;
  return ((Number(d) * 24 + Number(h)) * 60 + Number(min)) * 60_000 + Number(s) * 1000 + Number(`0.${f}`) * 1000;
}

/** The queue settings of a host.json document (defaults of the extension where absent), then `overrides`. */
export function queueSettingsFrom(hostJson: unknown, overrides: Partial<QueueSettings> = {}): QueueSettings {
  const root = (typeof hostJson === 'object' && hostJson !== null ? hostJson : {}) as Record<string, unknown>;
  const ext = root.extensions as Record<string, unknown> | undefined;
  const q = (ext?.queues ?? {}) as Record<string, unknown>;
  const int = (v: unknown) => (typeof v === 'number' && Number.isInteger(v) ? v : undefined);
  const batchSize = overrides.batchSize ?? int(q.batchSize) ?? 16;
  const settings: QueueSettings = {
    batchSize,
    newBatchThreshold: int(q.newBatchThreshold) ?? Math.floor(batchSize / 2),
    maxDequeueCount: int(q.maxDequeueCount) ?? 5,
    visibilityTimeoutMs: parseTimeSpan(q.visibilityTimeout) ?? 0,
    maxPollingIntervalMs: parseTimeSpan(q.maxPollingInterval) ?? 60_000,
    messageEncoding: String(q.messageEncoding ?? 'base64').toLowerCase() === 'none' ? 'none' : 'base64',
    leaseMs: parseTimeSpan(root.functionTimeout) ?? DEFAULT_LEASE_MS,
    ...overrides,
  };
  const bad = (what: string) => new Error(`host.json extensions.queues: ${what}`);
  if (!(settings.batchSize >= 1 && settings.batchSize <= 32)) throw bad('batchSize must be 1-32');
  if (!(settings.newBatchThreshold >= 0)) throw bad('newBatchThreshold must be >= 0');
  if (!(settings.maxDequeueCount >= 1)) throw bad('maxDequeueCount must be >= 1');
  if (!(settings.visibilityTimeoutMs >= 0)) throw bad('visibilityTimeout must be >= 0');
  if (!(settings.leaseMs >= 1000)) throw bad('functionTimeout (the lease of a message being handled) must be >= 1 s');
  if (!(settings.maxPollingIntervalMs >= MIN_POLL_MS)) throw bad(`maxPollingInterval must be >= ${MIN_POLL_MS} ms`);
  return settings;
}

/** host.json at `file` (undefined when there is none). */
export function readHostJson(file: string): unknown {
  if (!fs.existsSync(file)) return undefined;
  return JSON.parse(fs.readFileSync(file, 'utf8').replace(/^\uFEFF/, '')) as unknown;
}

export interface QueueFunction extends HostFunction {
  /** The queue name with `%SETTING%` resolved (lowercased, as the extension normalises it), prefix applied. */
  queueName: string;
  /** The app setting naming the storage account (AzureWebJobsStorage when the binding gives none). */
  connection: string;
  queues: StorageQueues;
}

/**
 * A queue trigger's queue and account: `%SETTING%` resolved from env, then `prefix` (LOCAL_QUEUE_PREFIX: tests
 * sharing one Azurite) applied. Throws when a setting is missing or the name is invalid.
 */
export function createQueueFunction(fn: HostFunction, env: NodeJS.ProcessEnv, prefix = ''): QueueFunction {
  const raw = String(fn.trigger.queueName ?? '');
  const resolved = raw.replace(/%([^%]+)%/g, (_, setting: string) => {
    const value = env[setting]?.trim();
    if (!value)
      throw new Error(
        `Function '${fn.name}': the queue name '${raw}' needs the app setting ${setting}, which is not set`,
      );
    return value;
  });
  let queueName: string;
  try {
    queueName = prefixedQueueName(resolved.toLowerCase(), prefix);
  } catch (error) {
    throw new Error(`Function '${fn.name}': ${(error as Error).message}`, { cause: error });
  }
  const connection = String(fn.trigger.connection ?? '').trim() || 'AzureWebJobsStorage';
  const connectionString = env[connection]?.trim();
  const queueServiceUri = env[`${connection}__queueServiceUri`]?.trim();
  let queues: StorageQueues;
  if (connectionString) queues = new StorageQueues({ connectionString });
  else if (queueServiceUri) queues = new StorageQueues({ queueServiceUri, credential: new DefaultAzureCredential() });
  else
    throw new Error(
      `Function '${fn.name}': the queue trigger's connection '${connection}' needs the app setting ${connection} (a connection string) or ${connection}__queueServiceUri, and neither is set`,
    );
  return { ...fn, queueName, connection, queues };
}

/** Mirrors @azure/functions' fromRpcTypedData for a string: JSON when it parses, else the text itself. */
function tryJsonParse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** Mirrors @azure/functions' toCamelCaseValue, which the worker applies to trigger metadata values. */
function camelCaseKeys(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map(camelCaseKeys);
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k.charAt(0).toLowerCase() + k.slice(1), camelCaseKeys(v)]),
  );
}

const preview = (text: string) => JSON.stringify(redactSecrets(text.length > 200 ? `${text.slice(0, 200)}…` : text));

interface Poller {
  fn: QueueFunction;
  active: number;
  /** Consecutive empty polls (the back-off exponent). */
  idle: number;
  loop?: Promise<void>;
  /** Resolves the current wait early (a message finished, a drain asked, the host closes). */
  wake?: () => void;
  processing: Set<Promise<void>>;
}

export interface QueueRunner {
  start(fns: QueueFunction[]): void;
  /** Resolves when the functions' queues are empty and nothing is in flight (polling without back-off meanwhile). */
  drain(fns: QueueFunction[], timeoutMs?: number): Promise<void>;
  /** Stops polling; resolves when the loops and the messages being processed have finished. */
  stop(): Promise<void>;
}

export function createQueueRunner(options: {
  invoke: Invoke;
  log: (message: string) => void;
  settings: QueueSettings;
  /** The local cap on the idle back-off (default 2 s, so `npm start` picks up a message quickly). */
  pollMaxIntervalMs?: number;
}): QueueRunner {
  const { invoke, log, settings } = options;
  const maxIdleMs = Math.min(settings.maxPollingIntervalMs, Math.max(MIN_POLL_MS, options.pollMaxIntervalMs ?? 2000));
  const pollers = new Map<string, Poller>();
  const abort = new AbortController();
  const seconds = (ms: number) => Math.round(ms / 1000);

  const wait = (poller: Poller, ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        poller.wake = undefined;
        resolve();
      }
      poller.wake = done;
    });

  /** Randomized exponential back-off: about 200 ms after the first empty poll, doubling up to the cap. */
  const idleDelay = (idle: number) =>
    Math.min(maxIdleMs, MIN_POLL_MS * 2 ** Math.min(idle, 20) * (0.8 + Math.random() * 0.4));

  async function toPoison(poller: Poller, client: QueueClient, m: ReceivedMessageItem, why: string): Promise<void> {
    const { fn } = poller;
    const poison = await fn.queues.client(poisonQueueName(fn.queueName));
    await poison.sendMessage(m.messageText); // the original message, as the extension copies it
    await client.deleteMessage(m.messageId, m.popReceipt);
    log(`WARNING: Queue '${fn.name}': message ${m.messageId} ${why}; moved to queue '${poison.name}'.`);
  }

  async function handle(poller: Poller, client: QueueClient, m: ReceivedMessageItem): Promise<void> {
    const { fn } = poller;
    const text = settings.messageEncoding === 'base64' ? decodeMessageText(m.messageText) : m.messageText;
    if (text === undefined) {
      const why = `is not base64 (messageEncoding is base64), text ${preview(m.messageText)}`;
      return toPoison(poller, client, m, why);
    }
    if (m.dequeueCount > settings.maxDequeueCount)
      return toPoison(
        poller,
        client,
        m,
        `was dequeued ${m.dequeueCount} times (maxDequeueCount ${settings.maxDequeueCount})`,
      );
    let receipt = m.popReceipt;
    let nextVisible = m.nextVisibleOn;
    // Keeps the message invisible while the function runs, as the extension renews its lease.
    const renew = setInterval(() => {
      client
        .updateMessage(m.messageId, receipt, undefined, seconds(settings.leaseMs))
        .then((r) => {
          receipt = r.popReceipt ?? receipt;
          nextVisible = r.nextVisibleOn ?? nextVisible;
        })
        .catch((e: unknown) =>
          log(`WARNING: Queue '${fn.name}': renewing message ${m.messageId} failed: ${describeError(e)}`),
        );
    }, settings.leaseMs / 2);
    const metadata = {
      queueTrigger: camelCaseKeys(tryJsonParse(text)),
      dequeueCount: m.dequeueCount,
      expirationTime: m.expiresOn.toISOString(),
      id: m.messageId,
      insertionTime: m.insertedOn.toISOString(),
      nextVisibleTime: m.nextVisibleOn.toISOString(),
      popReceipt: m.popReceipt,
      sys: { methodName: fn.name, utcNow: new Date().toISOString(), randGuid: randomUUID() },
    };
    log(`Queue '${fn.name}': message ${m.messageId} (dequeue count ${m.dequeueCount}) from '${fn.queueName}'`);
    let succeeded = false;
    try {
      await invoke(fn, tryJsonParse(text), `New queue message detected on '${fn.queueName}'.`, undefined, metadata);
      succeeded = true;
    } catch {
      // logged by invoke
    } finally {
      clearInterval(renew);
    }
    if (succeeded) await client.deleteMessage(m.messageId, receipt);
    else if (m.dequeueCount >= settings.maxDequeueCount)
      await toPoison(poller, client, { ...m, popReceipt: receipt }, `failed ${m.dequeueCount} times (maxDequeueCount)`);
    else {
      await client.updateMessage(m.messageId, receipt, undefined, seconds(settings.visibilityTimeoutMs));
      log(
        `Queue '${fn.name}': message ${m.messageId} failed (dequeue count ${m.dequeueCount} of ${settings.maxDequeueCount}); visible again in ${seconds(settings.visibilityTimeoutMs)} s`,
      );
    }
  }

  async function run(poller: Poller): Promise<void> {
    const { fn } = poller;
    let client: QueueClient | undefined;
    while (!abort.signal.aborted) {
      if (poller.active > settings.newBatchThreshold) {
        await wait(poller, 60_000); // woken when a message finishes
        continue;
      }
      try {
        client ??= await fn.queues.client(fn.queueName);
        const { receivedMessageItems } = await client.receiveMessages({
          numberOfMessages: settings.batchSize,
          visibilityTimeout: seconds(settings.leaseMs),
          abortSignal: abort.signal,
        });
        if (receivedMessageItems.length === 0) {
          await wait(poller, idleDelay(++poller.idle));
          continue;
        }
        poller.idle = 0;
        for (const m of receivedMessageItems) {
          poller.active++;
          const done = handle(poller, client, m)
            .catch((e: unknown) =>
              log(`ERROR: Queue '${fn.name}': completing message ${m.messageId} failed: ${describeError(e)}`),
            )
            .finally(() => {
              poller.active--;
              poller.processing.delete(done);
              poller.wake?.();
            });
          poller.processing.add(done);
        }
      } catch (error) {
        if (abort.signal.aborted) break;
        log(`ERROR: Queue '${fn.name}': polling '${fn.queueName}' failed: ${describeError(error)}`);
        await wait(poller, idleDelay(++poller.idle));
      }
    }
  }

  async function isEmpty(poller: Poller): Promise<boolean> {
    if (poller.active > 0) return false;
    const client = await poller.fn.queues.client(poller.fn.queueName);
    await client.peekMessages(); // Azurite drops expired messages on a peek, not on a count
    const count = (await client.getProperties()).approximateMessagesCount ?? 0; // visible or not
    return count === 0 && poller.active === 0;
  }

  return {
    start(fns) {
      for (const fn of fns) {
        const poller: Poller = { fn, active: 0, idle: 0, processing: new Set() };
        pollers.set(fn.name, poller);
        poller.loop = run(poller);
      }
    },
    async drain(fns, timeoutMs = 60_000) {
      const selected = fns.map((fn) => pollers.get(fn.name)).filter((p): p is Poller => p !== undefined);
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (abort.signal.aborted) throw new Error('The functions host is closed');
        const empty = await Promise.all(selected.map(isEmpty));
        if (empty.every(Boolean)) return;
        if (Date.now() > deadline)
          throw new Error(
            `Queues not drained after ${timeoutMs} ms: ${selected.map((p) => `${p.fn.queueName} (${p.active} in flight)`).join(', ')}`,
          );
        for (const p of selected) {
          p.idle = 0;
          p.wake?.();
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    async stop() {
      abort.abort();
      for (const p of pollers.values()) p.wake?.();
      const all = [...pollers.values()];
      await Promise.allSettled(all.map((p) => p.loop ?? Promise.resolve()));
      await Promise.allSettled(all.flatMap((p) => [...p.processing]));
    },
  };
}
