import { createInterface } from 'node:readline';
import type { QueueClient, ReceivedMessageItem } from '@azure/storage-queue';
import { loadConfig } from '../src/config/config';
import { createServices } from '../src/composition/services';
import { createLogger, errorText } from '../src/shared/logger';
import { decodeMessageText, StorageQueues, tenantPollQueueName } from '../src/state/storageQueues';
import type { PipelinePolicy } from '../src/state/tableClients';

type PipelineRequest = Parameters<PipelinePolicy['sendRequest']>[0];

/*
 * One worker process of the many-tenant bench (bench/tenants.ts): the app's services, and the Functions host's
 * part played here: receive poll messages in batches of 16, a new batch while at most 8 are still running (host.json
 * batchSize 16, newBatchThreshold 8: up to 24 runMessage calls at once), delete each on success. The parent drives
 * it over stdin, one JSON command a line; it answers on stdout with lines `BENCH <json>` (other output is the app's).
 *   {"cmd":"round","offsetMs":60000}  move the clock, drain the queue until it is empty, report the round's counters
 *   {"cmd":"memory"}                  RSS and heap after a full GC, and the baseline taken at start-up
 *   {"cmd":"exit"}
 * BENCH_WARM_HOME=1: one cycle of the home tenant before the baseline (loads and connects what every poll uses,
 * so the memory measured afterwards is what the tenants add).
 */

const batchSize = 16;
const newBatchThreshold = 8;
const leaseSeconds = 300;

/** Table requests by table and operation, with the keys and values of a query left out (`'…'`). */
const tableOps = new Map<string, number>();

function describeTableRequest(request: Pick<PipelineRequest, 'url' | 'method' | 'headers' | 'body'>): string {
  const url = new URL(request.url);
  const last = decodeURIComponent(url.pathname.split('/').filter(Boolean).pop() ?? '');
  const method = request.method.toUpperCase();
  if (last === '$batch') {
    const text = typeof request.body === 'string' ? request.body : '';
    const actions = [...text.matchAll(/^(PUT|POST|MERGE|PATCH|DELETE) \S*?\/([A-Za-z0-9]+)(\(|\s)/gm)];
    const tables = [...new Set(actions.map((a) => a[2]))].join('+') || '?';
    const verbs = new Map<string, number>();
    for (const a of actions) verbs.set(a[1], (verbs.get(a[1]) ?? 0) + 1);
    return `${tables}: transaction ($batch of ${actions.length}: ${[...verbs].map(([v, c]) => `${c} ${v}`).join(', ')})`;
  }
  if (last === 'Tables') return `Tables: ${method === 'POST' ? 'create table' : method}`;
  const m = /^([A-Za-z0-9]+)(\((.*)\))?$/.exec(last);
  const table = m?.[1] ?? last;
  const keys = m?.[3] ?? '';
  const conditional = request.headers.get('if-match');
  if (/PartitionKey=.*RowKey=/.test(keys)) {
    const what =
      method === 'GET'
        ? 'get entity'
        : method === 'DELETE'
          ? 'delete entity'
          : `${method === 'PUT' ? 'upsert (replace)' : 'upsert (merge)'} entity`;
    return `${table}: ${what}${conditional && conditional !== '*' ? ' if-match etag' : ''}`;
  }
  if (method === 'GET') {
    const filter = (url.searchParams.get('$filter') ?? '').replace(/(datetime)?'[^']*'/g, "'…'");
    const page = url.searchParams.has('NextPartitionKey') || url.searchParams.has('NextRowKey') ? ', next page' : '';
    return `${table}: query ${filter || '(all)'}${page}`;
  }
  return `${table}: ${method === 'POST' ? 'insert entity' : method}`;
}

const opPolicy: PipelinePolicy = {
  name: 'benchTableOperations',
  sendRequest: (request, next) => {
    const key = describeTableRequest(request);
    tableOps.set(key, (tableOps.get(key) ?? 0) + 1);
    return next(request);
  },
};

const emit = (value: unknown) => process.stdout.write(`BENCH ${JSON.stringify(value)}\n`);
const gc = () => (globalThis as { gc?: () => void }).gc?.();
const mb = (bytes: number) => bytes / 2 ** 20;

async function main() {
  let offsetMs = 0;
  const services = createServices(loadConfig(), {
    clock: () => new Date(Date.now() + offsetMs),
    tablePolicies: [opPolicy],
  });
  const log = createLogger(() => undefined);
  const hostQueue = { count: 0 };
  const config = services.config.tenancy.queue;
  const queues = new StorageQueues({
    connectionString: config.connectionString,
    queuePrefix: config.prefix,
    counter: hostQueue,
  });
  const client = await queues.client(tenantPollQueueName);
  if (process.env.BENCH_WARM_HOME === '1') await services.cycle(log);
  gc();
  gc();
  const baseline = { rssMb: mb(process.memoryUsage().rss), heapMb: mb(process.memoryUsage().heapUsed) };
  emit({ ready: true });

  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    const command = JSON.parse(line) as { cmd: string; offsetMs?: number };
    if (command.cmd === 'round') {
      offsetMs = command.offsetMs ?? 0;
      emit(await round(services, client, log, hostQueue));
    } else if (command.cmd === 'memory') {
      gc();
      gc();
      const m = process.memoryUsage();
      emit({ memory: { rssMb: mb(m.rss), heapMb: mb(m.heapUsed), baseline } });
    } else if (command.cmd === 'exit') break;
  }
  lines.close();
}

type Services = ReturnType<typeof createServices>;

async function round(
  services: Services,
  client: QueueClient,
  log: ReturnType<typeof createLogger>,
  hostQueue: { count: number },
) {
  const before = {
    graph: services.counters.graphRequests,
    tables: services.counters.tableRequests.count,
    byTable: new Map(services.counters.tableRequests.byTable),
    ops: new Map(tableOps),
    appQueue: services.counters.queueRequests,
    hostQueue: hostQueue.count,
  };
  const outcome = {
    polled: 0,
    stale: 0,
    setAside: 0,
    pollErrors: 0,
    failures: 0,
    receives: 0,
    deletes: 0,
    deleteFailures: 0,
  };
  /** The first few distinct failures (a poll's error, an exception, a failed delete), one line each. */
  const errors = new Set<string>();
  const record = (what: string) => {
    if (errors.size < 5) errors.add(what.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, '<id>').slice(0, 300));
  };
  const started = performance.now();
  /** How long each runMessage took (what the host bills as the function's execution). */
  const durations: number[] = [];

  const handle = async (message: ReceivedMessageItem) => {
    const text = decodeMessageText(message.messageText) ?? message.messageText;
    let input: unknown = text;
    try {
      input = JSON.parse(text);
    } catch {
      // not JSON: the host passes the text as is
    }
    const begun = performance.now();
    try {
      const result = await services.tenants.runMessage(input, log);
      durations.push(performance.now() - begun);
      if (result.kind === 'polled') {
        outcome.polled++;
        if (result.pollError) {
          outcome.pollErrors++;
          record(`poll error: ${result.pollError}`);
        }
      } else if (result.kind === 'stale') outcome.stale++;
      else outcome.setAside++;
    } catch (err) {
      // The host would make the message visible again after visibilityTimeout; the bench counts the failure.
      outcome.failures++;
      record(`runMessage threw: ${errorText(err)}`);
      return;
    }
    try {
      await client.deleteMessage(message.messageId, message.popReceipt);
      outcome.deletes++;
    } catch (err) {
      // 404: the message expired (its time-to-live) while its poll ran; the poll itself is done.
      outcome.deleteFailures++;
      record(`delete failed: ${errorText(err)}`);
    }
  };

  const inFlight = new Set<Promise<void>>();
  for (;;) {
    if (inFlight.size > newBatchThreshold) {
      await Promise.race(inFlight);
      continue;
    }
    const { receivedMessageItems } = await client.receiveMessages({
      numberOfMessages: batchSize,
      visibilityTimeout: leaseSeconds,
    });
    outcome.receives++;
    if (receivedMessageItems.length === 0) {
      if (inFlight.size === 0) break;
      await Promise.race(inFlight);
      continue;
    }
    for (const message of receivedMessageItems) {
      const p: Promise<void> = handle(message).finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
  }
  const delta = (now: Map<string, number>, then: Map<string, number>) =>
    Object.fromEntries([...now].map(([k, v]) => [k, v - (then.get(k) ?? 0)]).filter(([, v]) => (v as number) > 0));
  return {
    round: {
      ...outcome,
      errors: [...errors],
      durationsMs: durations,
      wallMs: performance.now() - started,
      graphRequests: services.counters.graphRequests - before.graph,
      tableTransactions: services.counters.tableRequests.count - before.tables,
      byTable: delta(services.counters.tableRequests.byTable, before.byTable),
      byOperation: delta(tableOps, before.ops),
      appQueueRequests: services.counters.queueRequests - before.appQueue,
      hostQueueRequests: hostQueue.count - before.hostQueue,
    },
  };
}

void main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
