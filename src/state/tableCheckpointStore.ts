import type { CheckpointStore, VersionedCheckpoint } from '../audit/checkpointStore';
import { CheckpointConflict } from '../audit/checkpointStore';
import type { Checkpoint } from '../audit/pollWindow';
import { statusOf, type TableClients, tableNames } from './tableClients';

interface CheckpointEntity {
  scannedTo: string;
  complete: boolean;
  lastCleanupAt?: string;
  updatedAt: string;
}

const rowKey = 'checkpoint';

/** Checkpoint in the `PollState` table: one row per tenant, ETag-guarded. */
export class TableCheckpointStore implements CheckpointStore {
  constructor(private readonly tables: TableClients) {}

  async get(tenantId: string): Promise<VersionedCheckpoint | undefined> {
    const client = await this.tables.get(tableNames.pollState);
    try {
      const e = await client.getEntity<CheckpointEntity>(tenantId, rowKey);
      return { checkpoint: { scannedTo: e.scannedTo, complete: e.complete }, lastCleanupAt: e.lastCleanupAt, etag: e.etag };
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
  }

  async save(tenantId: string, checkpoint: Checkpoint, extra: { lastCleanupAt?: string }, etag: string | undefined): Promise<void> {
    const client = await this.tables.get(tableNames.pollState);
    const entity = { partitionKey: tenantId, rowKey, ...checkpoint, ...(extra.lastCleanupAt ? { lastCleanupAt: extra.lastCleanupAt } : {}), updatedAt: new Date().toISOString() };
    try {
      if (etag) await client.updateEntity(entity, 'Merge', { etag });
      else await client.createEntity(entity);
    } catch (err) {
      const status = statusOf(err);
      if (status === 412 || status === 409) throw new CheckpointConflict();
      throw err;
    }
  }
}
