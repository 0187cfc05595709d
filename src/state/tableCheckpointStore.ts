import type { CheckpointExtra, CheckpointStore, VersionedCheckpoint } from '../audit/checkpointStore';
import { CheckpointConflict } from '../audit/checkpointStore';
import type { Checkpoint } from '../audit/pollWindow';
import { chunk, queryEntities, statusOf, type TableClients, tableNames } from './tableClients';

const rowKey = 'checkpoint';

/** The checkpoint row as the poll reads it; shared by every reader of the row (tableWatchStore.ts too). */
export function toVersionedCheckpoint(e: Record<string, unknown> & { etag: string }): VersionedCheckpoint {
  return {
    checkpoint: {
      scannedTo: String(e.scannedTo),
      complete: e.complete === true,
      ...(typeof e.sliceInMs === 'number' && e.sliceInMs > 0 ? { sliceInMs: e.sliceInMs } : {}),
      ...(typeof e.denseFromInMs === 'number' && typeof e.denseSliceInMs === 'number' && e.denseSliceInMs > 0
        ? { denseFromInMs: e.denseFromInMs, denseSliceInMs: e.denseSliceInMs }
        : {}),
    },
    lastCleanupAt: e.lastCleanupAt ? String(e.lastCleanupAt) : undefined,
    ...(e.windowSummaryDueAt ? { windowSummaryDueAt: String(e.windowSummaryDueAt) } : {}),
    etag: e.etag,
  };
}

/** The checkpoint row to write (also written inside the run's ledger transaction, see tableWatchStore.ts). */
export function checkpointEntity(tenantId: string, checkpoint: Checkpoint, extra: CheckpointExtra) {
  const hint = extra.windowSummaryDueAt !== undefined ? { windowSummaryDueAt: extra.windowSummaryDueAt } : {};
  // Rows are merged: a hint that is gone is written as 0 (read as absent), or the old one would stay.
  return {
    partitionKey: tenantId,
    rowKey,
    ...checkpoint,
    sliceInMs: checkpoint.sliceInMs ?? 0,
    denseFromInMs: checkpoint.denseFromInMs ?? 0,
    denseSliceInMs: checkpoint.denseSliceInMs ?? 0,
    ...(extra.lastCleanupAt ? { lastCleanupAt: extra.lastCleanupAt } : {}),
    ...hint,
    updatedAt: new Date().toISOString(),
  };
}

// The Table service allows at most 15 comparisons in one $filter: `RowKey eq` and 14 partitions.
const partitionsPerQuery = 14;

/**
 * How far each tenant's checkpoint got (`scannedTo`), read with one query per 14 tenants (`RowKey eq
 * 'checkpoint' and (PartitionKey eq … or …)`, two columns): the home tenant's check that every registered
 * tenant is still polled (src/watch/tenantStalls.ts). A tenant without a checkpoint is absent from the map.
 */
export async function readScannedTo(tables: TableClients, tenantIds: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (!tenantIds.length) return out;
  const client = await tables.get(tableNames.pollState);
  const quote = (v: string) => `'${v.replace(/'/g, "''")}'`;
  for (const ids of chunk([...new Set(tenantIds)], partitionsPerQuery)) {
    const partitions = ids.map((id) => `PartitionKey eq ${quote(id)}`).join(' or ');
    for await (const e of queryEntities<{ scannedTo?: unknown }>(
      client,
      `RowKey eq ${quote(rowKey)} and (${partitions})`,
      ['PartitionKey', 'scannedTo'],
    ))
      if (typeof e.scannedTo === 'string' && e.scannedTo) out.set(e.partitionKey, e.scannedTo);
  }
  return out;
}

/** Checkpoint in the `PollState` table: one row per tenant, ETag-guarded. */
export class TableCheckpointStore implements CheckpointStore {
  constructor(private readonly tables: TableClients) {}

  async get(tenantId: string): Promise<VersionedCheckpoint | undefined> {
    const client = await this.tables.get(tableNames.pollState);
    try {
      return toVersionedCheckpoint(await client.getEntity<Record<string, unknown>>(tenantId, rowKey));
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
  }

  async save(
    tenantId: string,
    checkpoint: Checkpoint,
    extra: CheckpointExtra,
    etag: string | undefined,
  ): Promise<void> {
    const client = await this.tables.get(tableNames.pollState);
    const entity = checkpointEntity(tenantId, checkpoint, extra);
    try {
      if (etag) await client.updateEntity(entity, 'Merge', { etag });
      else await client.createEntity(entity);
    } catch (err) {
      const status = statusOf(err);
      if (status === 412 || status === 409) throw new CheckpointConflict();
      throw err;
    }
  }

  /**
   * Moves the change-window hint earlier (admin writes: a window was opened, changed or ended), so the run
   * after `dueAt` checks windows. ETag-guarded read-modify-write; nothing to do before the first run, which
   * checks windows anyway.
   */
  async lower(tenantId: string, dueAt: string): Promise<void> {
    const client = await this.tables.get(tableNames.pollState);
    for (let attempt = 0; attempt < 5; attempt++) {
      const current = await this.get(tenantId);
      if (!current || (current.windowSummaryDueAt && current.windowSummaryDueAt <= dueAt)) return;
      try {
        await client.updateEntity({ partitionKey: tenantId, rowKey, windowSummaryDueAt: dueAt }, 'Merge', {
          etag: current.etag,
        });
        return;
      } catch (err) {
        if (statusOf(err) !== 412) throw err;
      }
    }
    throw new Error('PollState kept changing while recording when a change window ends; try again');
  }
}
