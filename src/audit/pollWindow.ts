/** The persisted progress of polling: everything before `scannedTo` has been examined. */
export interface Checkpoint {
  scannedTo: string;
  /** False when the last run stopped at its page budget: the next one resumes at `scannedTo` without lookback. */
  complete: boolean;
}

export interface PollWindow {
  from: Date;
  to: Date;
  /** Why `from` is where it is, for logs and the ledger. */
  basis: 'first-run' | 'lookback' | 'resume';
}

/**
 * Decides the time window of one run: [checkpoint − lookback, now] normally, [now − initial lookback, now]
 * on a first run, and [checkpoint, now] when resuming a backlog cut short by the page budget (re-applying
 * the lookback there would re-read the same pages forever).
 */
export function computeWindow(checkpoint: Checkpoint | undefined, now: Date, settings: { lookbackInMinutes: number; initialLookbackInMinutes: number }): PollWindow {
  const minute = 60_000;
  if (!checkpoint) return { from: new Date(now.getTime() - settings.initialLookbackInMinutes * minute), to: now, basis: 'first-run' };
  const scannedTo = Date.parse(checkpoint.scannedTo);
  if (!checkpoint.complete) return { from: new Date(Math.min(scannedTo, now.getTime())), to: now, basis: 'resume' };
  return { from: new Date(Math.min(scannedTo, now.getTime()) - settings.lookbackInMinutes * minute), to: now, basis: 'lookback' };
}
