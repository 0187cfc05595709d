/** The persisted progress of polling: every event at or before `scannedTo` has been read and recorded. */
export interface Checkpoint {
  scannedTo: string;
  /** True when the last run read up to its window's end ("caught up"); false while a backlog is worked off. */
  complete: boolean;
  /** The slice length the next run starts with (learned from a dense range); absent = the whole window. */
  sliceInMs?: number;
  /** A dense part ahead the last run saw (epoch ms) and the slice length that fits it. */
  denseFromInMs?: number;
  denseSliceInMs?: number;
}

export interface PollWindow {
  from: Date;
  to: Date;
  /** Why `from` is where it is, for logs and the ledger (`resume` only in ledger rows of older versions). */
  basis: 'first-run' | 'lookback' | 'resume';
}

/**
 * Decides the time window of one run: [now − initial lookback, now] on a first run, otherwise
 * [checkpoint − lookback, now], also while a backlog is worked off, so that an event that became visible
 * late (inside the lookback) is always read again. The window is read in slices (SlicedReader), so its
 * length never costs more than the page budget. Pure.
 */
export function computeWindow(
  checkpoint: Checkpoint | undefined,
  now: Date,
  settings: { lookbackInMinutes: number; initialLookbackInMinutes: number },
): PollWindow {
  const minute = 60_000;
  if (!checkpoint || Number.isNaN(Date.parse(checkpoint.scannedTo)))
    return { from: new Date(now.getTime() - settings.initialLookbackInMinutes * minute), to: now, basis: 'first-run' };
  const scannedTo = Math.min(Date.parse(checkpoint.scannedTo), now.getTime());
  return { from: new Date(scannedTo - settings.lookbackInMinutes * minute), to: now, basis: 'lookback' };
}

/**
 * Where the checkpoint goes after a run that read [window.from, completedTo] completely: never backwards,
 * and only as far as what was read and recorded. Undefined = leave it as it is. Pure.
 */
export function nextCheckpoint(
  previous: Checkpoint | undefined,
  window: PollWindow,
  completedToInMs: number,
  sliceInMs: number | undefined,
  dense?: { fromInMs: number; sliceInMs: number },
): Checkpoint | undefined {
  const d = dense ? { denseFromInMs: dense.fromInMs, denseSliceInMs: dense.sliceInMs } : {};
  const before = previous ? Date.parse(previous.scannedTo) : Number.NaN;
  const complete = completedToInMs >= window.to.getTime();
  if (!previous || Number.isNaN(before)) {
    // A first run that got nowhere still keeps what it learned of the slice length (or it would learn it forever).
    if (completedToInMs <= window.from.getTime())
      return sliceInMs ? { scannedTo: window.from.toISOString(), complete: false, sliceInMs, ...d } : undefined;
    return { scannedTo: new Date(completedToInMs).toISOString(), complete, ...(sliceInMs ? { sliceInMs } : {}), ...d };
  }
  // No progress past the stored checkpoint: keep it (only a new slice length is worth a write).
  if (completedToInMs <= before) {
    const changed =
      (sliceInMs !== previous.sliceInMs && sliceInMs !== undefined) || dense?.fromInMs !== previous.denseFromInMs;
    return changed
      ? {
          scannedTo: previous.scannedTo,
          complete: previous.complete,
          ...((sliceInMs ?? previous.sliceInMs) ? { sliceInMs: sliceInMs ?? previous.sliceInMs } : {}),
          ...d,
        }
      : undefined;
  }
  return { scannedTo: new Date(completedToInMs).toISOString(), complete, ...(sliceInMs ? { sliceInMs } : {}), ...d };
}
