import {
  type CheckpointExtra,
  CheckpointConflict,
  type CheckpointStore,
  type VersionedCheckpoint,
} from '../../src/audit/checkpointStore';
import type { Checkpoint } from '../../src/audit/pollWindow';

interface Row {
  scannedTo: string;
  complete: boolean;
  sliceInMs?: number;
  lastCleanupAt?: string;
  windowSummaryDueAt?: string;
  etag: string;
}

/**
 * The CheckpointStore in memory, with the Table adapter's semantics (test/contracts/checkpointStoreContract.ts):
 * one row per tenant; `save` without an ETag creates it (CheckpointConflict when it exists), with an ETag
 * updates it only while unchanged, and merges like a Table Merge (a field not given keeps its stored value).
 */
export class InMemoryCheckpointStore implements CheckpointStore {
  private readonly rows = new Map<string, Row>();
  private etags = 0;

  async get(tenantId: string): Promise<VersionedCheckpoint | undefined> {
    const row = this.rows.get(tenantId);
    if (!row) return undefined;
    return {
      checkpoint: {
        scannedTo: row.scannedTo,
        complete: row.complete,
        ...(row.sliceInMs ? { sliceInMs: row.sliceInMs } : {}),
      },
      lastCleanupAt: row.lastCleanupAt || undefined,
      ...(row.windowSummaryDueAt ? { windowSummaryDueAt: row.windowSummaryDueAt } : {}),
      etag: row.etag,
    };
  }

  async save(
    tenantId: string,
    checkpoint: Checkpoint,
    extra: CheckpointExtra,
    etag: string | undefined,
  ): Promise<void> {
    const stored = this.rows.get(tenantId);
    if (etag ? stored?.etag !== etag : stored !== undefined) throw new CheckpointConflict();
    const given = {
      ...checkpoint,
      ...(extra.lastCleanupAt ? { lastCleanupAt: extra.lastCleanupAt } : {}),
      ...(extra.windowSummaryDueAt !== undefined ? { windowSummaryDueAt: extra.windowSummaryDueAt } : {}),
    };
    const defined = Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)) as Partial<Row>;
    this.rows.set(tenantId, {
      ...(stored ?? { scannedTo: '', complete: false }),
      ...defined,
      etag: `W/"mem-${++this.etags}"`,
    });
  }
}
