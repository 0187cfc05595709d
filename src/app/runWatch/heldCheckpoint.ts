import type { CheckpointStore, VersionedCheckpoint } from '../../audit/checkpointStore';
import type { PendingCheckpoint, VersionedWatchState, WatchStore } from '../../watch/runLedger';
import { mergeCheckpointExtra } from '../pollExtras';

/**
 * The poll's checkpoint move is held here and committed in the run's one ledger transaction (checkpoint +
 * ledger row + watchdog state), so an idle run costs 3 Table transactions. Deferring it past delivery is
 * safe: until it commits, the next run re-reads the same window and de-duplication drops what was alerted.
 */
export interface HeldCheckpoint {
  /** Pass to runPoll as its checkpoint store: the checkpoint read also fetches the watchdog state. */
  checkpoints: CheckpointStore;
  /** What the read returned (undefined before the poll read it). */
  read: { checkpoint?: VersionedCheckpoint; watch?: VersionedWatchState } | undefined;
  /** The move the poll asked for, not yet committed. */
  pending: PendingCheckpoint | undefined;
}

export function holdCheckpoint(store: WatchStore): HeldCheckpoint {
  const held: HeldCheckpoint = {
    checkpoints: {
      async get(tenantId) {
        held.read = await store.read(tenantId);
        return held.read.checkpoint;
      },
      async save(_tenantId, checkpoint, extra, etag) {
        held.pending = { checkpoint, extra, etag };
      },
    },
    read: undefined,
    pending: undefined,
  };
  return held;
}

/** After a conflict: keep the further of our move and what is stored now, with the fresh ETag. */
export function rebase(
  pending: PendingCheckpoint | undefined,
  latest: VersionedCheckpoint | undefined,
): PendingCheckpoint | undefined {
  if (!pending) return undefined;
  const extra = mergeCheckpointExtra(pending.extra, latest);
  const further =
    latest && latest.checkpoint.scannedTo >= pending.checkpoint.scannedTo ? latest.checkpoint : pending.checkpoint;
  return { checkpoint: further, extra, etag: latest?.etag };
}
