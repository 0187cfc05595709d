import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startFunctionsHost, type FunctionsHost } from '../../src/local/functionsHost';
import { poisonQueueName, StorageQueues } from '../../src/state/storageQueues';
// Type only: importing the fixture's values would evaluate it (and register its functions) before the host's shim.
import type { QueueProbe } from '../fixtures/functions/queueFunctions';

// The local host's queue triggers against the in-memory Azurite Queue service of the global setup.

const QUEUE_MODULE = path.join(__dirname, '..', 'fixtures', 'functions', 'queueFunctions.ts');
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function probe(): QueueProbe {
  const holder = globalThis as unknown as Record<symbol, QueueProbe | undefined>;
  return (holder[Symbol.for('cloud-pki-alerts.test.queueProbe')] ??= {
    calls: [],
    waiting: [],
    open: false,
    active: 0,
    maxActive: 0,
  });
}

const callsOf = (name: string) => probe().calls.filter((c) => c.functionName === name);

/** Unique queue names per host, so hosts in this file (and other files) never share a queue. */
function queueNames() {
  const run = `q${randomUUID().replace(/-/g, '').slice(0, 10)}`;
  return { ECHO_QUEUE: `${run}-echo`, FAILING_QUEUE: `${run}-failing`, GATED_QUEUE: `${run}-gated` };
}

/** Waits (polling, no fixed sleep) until `condition` holds; fails with `what` after 15 s. */
async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('queue triggers (defaults: maxDequeueCount 5, base64)', () => {
  const connectionString = inject('queuesConnectionString');
  const names = queueNames();
  const queues = new StorageQueues({ connectionString });
  const lines: string[] = [];
  let host: FunctionsHost;

  beforeAll(async () => {
    host = await startFunctionsHost({
      port: 0,
      functionModules: [QUEUE_MODULE],
      env: { AzureWebJobsStorage: connectionString, ...names },
      log: (line) => lines.push(line),
      hostJsonPath: false, // the extension's defaults, not the project's host.json
      queues: { visibilityTimeoutMs: 0 },
    });
  });

  afterAll(async () => {
    await host?.close();
  });

  it('lists the queue functions with their resolved queue names', () => {
    const queueFns = host.functions.filter((f) => f.trigger === 'queue');
    expect(queueFns).toEqual([
      { name: 'echoQueue', trigger: 'queue', queueName: names.ECHO_QUEUE, connection: 'AzureWebJobsStorage' },
      { name: 'failingQueue', trigger: 'queue', queueName: names.FAILING_QUEUE, connection: 'AzureWebJobsStorage' },
      { name: 'gatedQueue', trigger: 'queue', queueName: names.GATED_QUEUE, connection: 'AzureWebJobsStorage' },
    ]);
  });

  it('handles a message once and deletes it; JSON arrives parsed, other text as text; triggerMetadata as the worker gives it', async () => {
    await queues.send(names.ECHO_QUEUE, JSON.stringify({ TenantId: 'contoso', n: 1 }), { timeToLiveInSeconds: 300 });
    await queues.send(names.ECHO_QUEUE, 'plain text, not JSON', { timeToLiveInSeconds: 300 });
    await host.drainQueue('echoQueue');

    const calls = callsOf('echoQueue');
    expect(calls.map((c) => c.input)).toEqual(
      expect.arrayContaining([{ TenantId: 'contoso', n: 1 }, 'plain text, not JSON']),
    );
    expect(calls).toHaveLength(2);
    const ids = calls.map((c) => c.triggerMetadata?.id);
    expect(new Set(ids).size).toBe(2);
    const json = calls.find((c) => typeof c.input === 'object')!;
    expect(json.triggerMetadata).toMatchObject({
      queueTrigger: { tenantId: 'contoso', n: 1 }, // the worker camel-cases metadata values
      dequeueCount: 1,
      insertionTime: expect.stringMatching(ISO),
      expirationTime: expect.stringMatching(ISO),
      nextVisibleTime: expect.stringMatching(ISO),
      popReceipt: expect.any(String),
    });
    expect(await queues.approximateCount(names.ECHO_QUEUE)).toBe(0);
    expect(lines.some((l) => l.includes(`Queue 'echoQueue': message ${String(ids[0])} (dequeue count 1)`))).toBe(true);
    expect(lines.some((l) => l.includes("Reason='New queue message detected on"))).toBe(true);
  });

  it('sends base64 of UTF-8 on the wire, which the host decodes', async () => {
    const text = 'Zertifizierungsstelle widerrufen: ü€';
    const other = new StorageQueues({ connectionString });
    await other.send(names.ECHO_QUEUE, text, { timeToLiveInSeconds: 300 });
    const raw = (await (await other.client(names.ECHO_QUEUE)).peekMessages()).peekedMessageItems[0]?.messageText;
    expect(raw).toBe(Buffer.from(text, 'utf8').toString('base64'));
    await host.drainQueue('echoQueue');
    expect(callsOf('echoQueue').map((c) => c.input)).toContain(text);
  });

  it('moves a message that always fails to <queue>-poison after 5 attempts', async () => {
    await queues.send(names.FAILING_QUEUE, '{"tenantId":"fabrikam"}', { timeToLiveInSeconds: 300 });
    await host.drainQueue('failingQueue');

    const attempts = callsOf('failingQueue');
    expect(attempts.map((c) => c.triggerMetadata?.dequeueCount)).toEqual([1, 2, 3, 4, 5]);
    expect(new Set(attempts.map((c) => c.triggerMetadata?.id)).size).toBe(1);
    expect(await queues.approximateCount(names.FAILING_QUEUE)).toBe(0);
    expect(await queues.peekTexts(poisonQueueName(names.FAILING_QUEUE))).toEqual(['{"tenantId":"fabrikam"}']);
    expect(lines.some((l) => /WARNING: Queue 'failingQueue': message \S+ failed 5 times/.test(l))).toBe(true);
  });

  it('moves a message that is not base64 to the poison queue without invoking the function', async () => {
    const before = callsOf('echoQueue').length;
    await (await queues.client(names.ECHO_QUEUE)).sendMessage('not base64!');
    await host.drainQueue('echoQueue');
    expect(callsOf('echoQueue')).toHaveLength(before);
    expect(await queues.peekTexts(poisonQueueName(names.ECHO_QUEUE))).toEqual(['not base64!']);
    expect(await queues.approximateCount(names.ECHO_QUEUE)).toBe(0);
  });

  it('rejects drainQueue for a function that is not queue-triggered', async () => {
    await expect(host.drainQueue('nope')).rejects.toThrow(/No queue function named 'nope'/);
  });
});

describe('queue trigger batches (batchSize 4, newBatchThreshold 2)', () => {
  const connectionString = inject('queuesConnectionString');
  const names = queueNames();
  const queues = new StorageQueues({ connectionString });
  let host: FunctionsHost;

  beforeAll(async () => {
    // All ten messages wait before the host starts, so its first receive gets a full batch.
    for (let i = 0; i < 10; i++) await queues.send(names.GATED_QUEUE, `m${i}`, { timeToLiveInSeconds: 300 });
    host = await startFunctionsHost({
      port: 0,
      functionModules: [QUEUE_MODULE],
      env: { AzureWebJobsStorage: connectionString, ...names },
      log: () => {},
      hostJsonPath: false,
      queues: { batchSize: 4, newBatchThreshold: 2 },
    });
  });

  afterAll(async () => {
    probe().open = true;
    for (const release of probe().waiting.splice(0)) release();
    await host?.close();
  });

  it('runs a batch concurrently and fetches the next one only when at most newBatchThreshold are running', async () => {
    const p = probe();
    await until(() => callsOf('gatedQueue').length === 4, 'the first batch');
    expect(p.active).toBe(4);

    for (const release of p.waiting.splice(0, 2)) release(); // 2 still running = newBatchThreshold
    await until(() => callsOf('gatedQueue').length === 8, 'the second batch');
    expect(p.maxActive).toBe(6); // batchSize + newBatchThreshold, never more

    p.open = true;
    for (const release of p.waiting.splice(0)) release();
    await host.drainQueue('gatedQueue');
    expect(p.maxActive).toBe(6);
    expect(
      callsOf('gatedQueue')
        .map((c) => c.input)
        .sort(),
    ).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7', 'm8', 'm9']);
    expect(await queues.approximateCount(names.GATED_QUEUE)).toBe(0);
  });
});

describe('StorageQueues', () => {
  it('sends with a time-to-live: the message expires', async () => {
    const queues = new StorageQueues({ connectionString: inject('queuesConnectionString'), queuePrefix: 'Ttl_Test-' });
    const name = `q${randomUUID().slice(0, 8)}`;
    await queues.send(name, 'short-lived', { timeToLiveInSeconds: 1 });
    expect(await queues.peekTexts(name)).toEqual(['short-lived']);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await queues.peekTexts(name)).toEqual([]);
  });

  it('counts every request it sends', async () => {
    const counter = { count: 0 };
    const queues = new StorageQueues({ connectionString: inject('queuesConnectionString'), counter });
    const name = `q${randomUUID().slice(0, 8)}-count`;
    await queues.client(name); // createIfNotExists
    const afterCreate = counter.count;
    expect(afterCreate).toBe(1);
    await queues.send(name, 'one', { timeToLiveInSeconds: 60 });
    expect(counter.count).toBe(afterCreate + 1);
    await queues.approximateCount(name);
    expect(counter.count).toBe(afterCreate + 2);
  });
});

describe('queue trigger set-up', () => {
  const connectionString = inject('queuesConnectionString');

  it('applies LOCAL_QUEUE_PREFIX to the queue names, as StorageQueues does with the same prefix', async () => {
    const names = queueNames();
    const prefix = `Pre_${randomUUID().slice(0, 6)}-`;
    const host = await startFunctionsHost({
      port: 0,
      functionModules: [QUEUE_MODULE],
      env: { AzureWebJobsStorage: connectionString, LOCAL_QUEUE_PREFIX: prefix, ...names },
      log: () => {},
      hostJsonPath: false,
    });
    try {
      const queues = new StorageQueues({ connectionString, queuePrefix: prefix });
      const echo = host.functions.find((f) => f.name === 'echoQueue');
      expect(echo?.queueName).toBe(`${prefix.toLowerCase().replace('_', '')}${names.ECHO_QUEUE}`);
      await queues.send(names.ECHO_QUEUE, 'prefixed', { timeToLiveInSeconds: 300 });
      await host.drainQueue('echoQueue');
      expect(callsOf('echoQueue').filter((c) => c.input === 'prefixed')).toHaveLength(1);
      expect(await queues.approximateCount(names.ECHO_QUEUE)).toBe(0);
    } finally {
      await host.close();
    }
  });

  it('leaves a queue trigger without its storage setting in error and runs the other functions', async () => {
    const lines: string[] = [];
    const host = await startFunctionsHost({
      port: 0,
      functionModules: [QUEUE_MODULE],
      env: { ...queueNames() }, // no AzureWebJobsStorage
      log: (line) => lines.push(line),
      hostJsonPath: false,
    });
    try {
      expect(host.functions.filter((f) => f.trigger === 'queue')).toEqual([]);
      expect(lines.filter((l) => l.includes('is in error'))).toHaveLength(3);
      expect(
        lines.some(
          (l) => l.includes("ERROR: The 'echoQueue' function is in error") && l.includes('AzureWebJobsStorage'),
        ),
      ).toBe(true);
    } finally {
      await host.close();
    }
  });
});
