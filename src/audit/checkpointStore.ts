import type { Checkpoint } from './pollWindow';

/** A checkpoint with the version it was read at, for optimistic concurrency. */
export interface VersionedCheckpoint {
  checkpoint: Checkpoint;
  lastCleanupAt?: string;
  etag: string;
}

/** Persists poll progress per tenant. `save` with an etag fails with CheckpointConflict on a concurrent change. */
export interface CheckpointStore {
  get(tenantId: string): Promise<VersionedCheckpoint | undefined>;
  save(tenantId: string, checkpoint: Checkpoint, extra: { lastCleanupAt?: string }, etag: string | undefined): Promise<void>;
}

export class CheckpointConflict extends Error {
  constructor() {
    super('The checkpoint was changed by a concurrent run');
    this.name = 'CheckpointConflict';
  }
}
