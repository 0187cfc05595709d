import { odata, type TableClient, type TransactionAction } from '@azure/data-tables';
import type { VersionedCheckpoint } from '../audit/checkpointStore';
import {
  emptyWatchState,
  type LedgerEntry,
  type PendingCheckpoint,
  type VersionedWatchState,
  type WatchState,
  type WatchStore,
} from '../watch/runLedger';
import { chunk, statusOf, type TableClients, tableNames } from './tableClients';
import { checkpointEntity, toVersionedCheckpoint } from './tableCheckpointStore';

// The ledger and the watchdog state share the checkpoint's table and partition (PollState, one per tenant):
// the state row sorts right after `checkpoint`, so one range query reads both, and a ledger row plus the
// state go in one transaction. Ledger row keys invert .NET ticks, so the newest run sorts first.
const checkpointKey = 'checkpoint';
const watchKey = 'checkpoint.watchdog';
const ledgerPrefix = 'run|';
const ledgerEnd = 'run}';
const maxTicks = 3155378975999999999n; // DateTime.MaxValue.Ticks
const epochTicks = 621355968000000000n; // ticks at 1970-01-01

/** 19-digit inverted ticks of an instant: sorts newest first. */
export const invertedTicks = (d: Date): string =>
  (maxTicks - (BigInt(d.getTime()) * 10_000n + epochTicks)).toString().padStart(19, '0');
export const ledgerRowKey = (startedAt: Date, runId: string): string =>
  `${ledgerPrefix}${invertedTicks(startedAt)}|${runId}`;
/** Upper bound (exclusive) of the keys of runs that started at or after `d`. */
const newerThan = (d: Date) => `${ledgerPrefix}${invertedTicks(d)}|~`;

const maxTextChars = 30_000; // a Table string property holds 32K UTF-16 characters

function toEntry(e: Record<string, unknown>): LedgerEntry {
  const num = (f: keyof LedgerEntry) => (typeof e[f] === 'number' ? e[f] : 0);
  const str = (f: keyof LedgerEntry) => (typeof e[f] === 'string' ? e[f] : '');
  return {
    runId: str('runId'),
    startedAt: str('startedAt'),
    finishedAt: str('finishedAt'),
    trigger: str('trigger'),
    windowFrom: str('windowFrom'),
    windowTo: str('windowTo'),
    basis: str('basis'),
    coveredTo: str('coveredTo'),
    frontier: str('frontier'),
    gapFrom: str('gapFrom'),
    gapTo: str('gapTo'),
    error: str('error'),
    durationInMs: num('durationInMs'),
    pages: num('pages'),
    events: num('events'),
    malformed: num('malformed'),
    rulesEvaluated: num('rulesEvaluated'),
    ruleProblems: num('ruleProblems'),
    matches: num('matches'),
    duplicates: num('duplicates'),
    alerts: num('alerts'),
    deliveriesDue: num('deliveriesDue'),
    sent: num('sent'),
    retrying: num('retrying'),
    failed: num('failed'),
    dead: num('dead'),
    lagInSeconds: num('lagInSeconds'),
    graphRequests: num('graphRequests'),
    tableRequests: num('tableRequests'),
    graphStatus: num('graphStatus'),
    watchdogAlerts: num('watchdogAlerts'),
    pastDue: e.pastDue === true,
    budgetExhausted: e.budgetExhausted === true,
    pollFailed: e.pollFailed === true,
  };
}

function parseState(json: unknown): WatchState {
  try {
    return { ...emptyWatchState(), ...(JSON.parse(String(json ?? '{}')) as Partial<WatchState>) };
  } catch {
    return emptyWatchState(); // an unreadable state row is replaced, not fatal: the ledger keeps the history
  }
}

/** The coverage ledger and the watchdog state in the `PollState` table (see WatchStore). */
export class TableWatchStore implements WatchStore {
  constructor(private readonly tables: TableClients) {}

  private client(): Promise<TableClient> {
    return this.tables.get(tableNames.pollState);
  }

  async read(tenantId: string): Promise<{ checkpoint?: VersionedCheckpoint; watch?: VersionedWatchState }> {
    const client = await this.client();
    const out: { checkpoint?: VersionedCheckpoint; watch?: VersionedWatchState } = {};
    const filter = odata`PartitionKey eq ${tenantId} and RowKey ge ${checkpointKey} and RowKey le ${watchKey}`;
    for await (const e of client.listEntities<Record<string, unknown>>({ queryOptions: { filter } })) {
      if (e.rowKey === checkpointKey) {
        out.checkpoint = toVersionedCheckpoint(e);
      } else if (e.rowKey === watchKey) {
        out.watch = { state: parseState(e.stateJson), etag: e.etag };
      }
    }
    return out;
  }

  async commit(
    tenantId: string,
    entry: LedgerEntry,
    state: WatchState,
    etag: string | undefined,
    checkpoint?: PendingCheckpoint,
  ): Promise<'ok' | 'conflict'> {
    const client = await this.client();
    const stateRow = {
      partitionKey: tenantId,
      rowKey: watchKey,
      stateJson: JSON.stringify(state).slice(0, maxTextChars),
      frontier: state.frontier ?? '',
      lastRunAt: state.lastRunAt ?? '',
      lastSuccessAt: state.lastSuccessAt ?? '',
      consecutiveFailures: state.consecutiveFailures,
      openIncidents: Object.keys(state.incidents).join(','),
    };
    const actions: TransactionAction[] = [
      etag ? ['update', stateRow, 'Replace', { etag }] : ['create', stateRow],
      ['create', this.row(tenantId, entry)],
    ];
    if (checkpoint) {
      const row = checkpointEntity(tenantId, checkpoint.checkpoint, checkpoint.extra);
      actions.push(checkpoint.etag ? ['update', row, 'Merge', { etag: checkpoint.etag }] : ['create', row]);
    }
    try {
      await client.submitTransaction(actions);
      return 'ok';
    } catch (err) {
      const status = statusOf(err);
      if (status === 412 || status === 409) return 'conflict';
      throw err;
    }
  }

  async append(tenantId: string, entry: LedgerEntry): Promise<void> {
    await (await this.client()).upsertEntity(this.row(tenantId, entry), 'Replace');
  }

  async list(tenantId: string, since: Date): Promise<LedgerEntry[]> {
    const client = await this.client();
    const filter = odata`PartitionKey eq ${tenantId} and RowKey ge ${ledgerPrefix} and RowKey lt ${newerThan(since)}`;
    const out: LedgerEntry[] = [];
    for await (const e of client.listEntities<Record<string, unknown>>({ queryOptions: { filter } }))
      out.push(toEntry(e));
    return out;
  }

  async latest(tenantId: string, count: number): Promise<LedgerEntry[]> {
    const client = await this.client();
    const filter = odata`PartitionKey eq ${tenantId} and RowKey ge ${ledgerPrefix} and RowKey lt ${ledgerEnd}`;
    for await (const page of client
      .listEntities<Record<string, unknown>>({ queryOptions: { filter } })
      .byPage({ maxPageSize: count }))
      return page.map(toEntry);
    return [];
  }

  async deleteBefore(tenantId: string, before: Date, max: number): Promise<number> {
    const client = await this.client();
    const filter = odata`PartitionKey eq ${tenantId} and RowKey gt ${newerThan(before)} and RowKey lt ${ledgerEnd}`;
    const keys: string[] = [];
    for await (const e of client.listEntities({ queryOptions: { filter, select: ['RowKey'] } })) {
      keys.push(e.rowKey!);
      if (keys.length >= max) break;
    }
    for (const part of chunk(keys))
      await client.submitTransaction(part.map((rowKey) => ['delete', { partitionKey: tenantId, rowKey }]));
    return keys.length;
  }

  private row(tenantId: string, entry: LedgerEntry) {
    return {
      partitionKey: tenantId,
      rowKey: ledgerRowKey(new Date(entry.startedAt), entry.runId),
      ...entry,
      error: entry.error.slice(0, 2000),
    };
  }
}
