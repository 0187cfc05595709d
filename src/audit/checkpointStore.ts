import type { Checkpoint } from './pollWindow';

/** A checkpoint with the version it was read at, for optimistic concurrency. */
export interface VersionedCheckpoint {
  checkpoint: Checkpoint;
  lastCleanupAt?: string;
  /** When the next change window ends (the earliest of those not yet summarized); absent = none. */
  windowSummaryDueAt?: string;
  etag: string;
}

/** What a run saves besides the checkpoint; `windowSummaryDueAt: ''` clears it. */
export interface CheckpointExtra {
  lastCleanupAt?: string;
  windowSummaryDueAt?: string;
}

/** Persists poll progress per tenant. `save` with an etag fails with CheckpointConflict on a concurrent change. */
export interface CheckpointStore {
  get(tenantId: string): Promise<VersionedCheckpoint | undefined>;
  save(tenantId: string, checkpoint: Checkpoint, extra: CheckpointExtra, etag: string | undefined): Promise<void>;
}

export class CheckpointConflict extends Error {
  constructor() {
    super('The checkpoint was changed by a concurrent run');
    this.name = 'CheckpointConflict';
  }
}
