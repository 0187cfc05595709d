import { errorText } from '../shared/logger';
import type { Notifier } from '../notifiers/notifier';
import { type ChannelAttempt, classifyPollError, evaluateWatchdog, type RunObservation } from '../watch/incidents';
import { emptyWatchState } from '../watch/runLedger';
import type { DeliverySummary } from './deliverPending';
import type { PollSummary } from './runPoll';
import { holdCheckpoint, rebase } from './runWatch/heldCheckpoint';
import { ledgerEntry, reportRun, type RunFacts } from './runWatch/ledgerEntry';
import { observeSends } from './runWatch/observeSends';
import { type CycleOptions, short, type WatchDeps, type WatchResult } from './runWatch/watchDeps';
import {
  checkTenantPolls,
  cleanupLedger,
  recordAuthConfig,
  recoveredState,
  writeWatchdogMessage,
} from './runWatch/watchdogWrites';

export type { CycleOptions, WatchDeps, WatchResult } from './runWatch/watchDeps';

/**
 * Watches one poll cycle: reads the watchdog state together with the checkpoint (one request), observes
 * the poll's outcome and every send attempt, then records the run in the coverage ledger and commits the
 * watchdog state in one transaction. Incident transitions become outbox alerts before the state commits,
 * with ids derived from the incident, so a crash or a concurrent run cannot send one twice.
 * Its parts are in runWatch/: the held checkpoint, the send observer, the watchdog's writes, the ledger row.
 */
export function startRunWatch(deps: WatchDeps, options: CycleOptions = {}) {
  const startedAt = deps.clock();
  const graph0 = deps.counters.graphRequests();
  const table0 = deps.counters.tableRequests();
  const held = holdCheckpoint(deps.store);
  let summary: PollSummary | undefined;
  let pollError: unknown;
  let pollFailed = false;
  const attempts: ChannelAttempt[] = [];

  /** The run's facts for its ledger row, request counts as of now. */
  const facts = (): RunFacts => ({
    startedAt,
    options,
    summary,
    graphRequests: deps.counters.graphRequests() - graph0,
    tableRequests: deps.counters.tableRequests() - table0,
  });

  async function finish(
    delivery: DeliverySummary | undefined,
    deliveryError?: unknown,
  ): Promise<WatchResult | undefined> {
    const { tenantId, log, store } = deps;
    try {
      const read = (held.read ??= await store.read(tenantId));
      const now = deps.clock();
      const advanced = summary && summary.checkpoint !== 'unchanged' ? summary.checkpoint : undefined;
      const classified = pollFailed ? classifyPollError(pollError) : {};
      const storage = (pollError as { name?: unknown } | undefined)?.name === 'RestError';
      const checkpointAt = advanced?.scannedTo ?? read.checkpoint?.checkpoint.scannedTo;
      const auth = deps.adminAuth?.();
      const obs: RunObservation = {
        startedAt: startedAt.toISOString(),
        finishedAt: now.toISOString(),
        pollFailed,
        ...(pollFailed ? { pollError: short(errorText(pollError)) } : {}),
        ...(classified.auth ? { auth: classified.auth } : {}),
        ...(classified.status && !storage ? { graphStatus: classified.status } : {}),
        checkpointAt,
        checkpointBefore: read.checkpoint?.checkpoint.scannedTo,
        windowFrom: summary?.window.from,
        coveredTo: advanced?.scannedTo,
        attempts,
        ...(auth?.problem ? { adminApiClosed: auth.problem } : {}),
      };
      let current = read.watch ?? { state: await recoveredState(deps), etag: undefined };
      const tenants = await checkTenantPolls(deps, current.state, now);
      if (tenants) obs.tenants = tenants;
      for (let attempt = 0; attempt < 3; attempt++) {
        const { state, transitions, gap } = evaluateWatchdog(current.state, obs, deps.settings);
        await cleanupLedger(deps, state, now);
        let written = auth ? await recordAuthConfig(deps, current.state, state, auth.record, now) : 0;
        for (const t of transitions) written += await writeWatchdogMessage(deps, t);
        const entry = ledgerEntry(facts(), obs, state, now, gap, written, delivery, deliveryError);
        if ((await store.commit(tenantId, entry, state, current.etag, held.pending)) === 'ok') {
          reportRun(log, entry, transitions, Object.keys(state.incidents).length);
          return { entry, transitions, alertsWritten: written };
        }
        const fresh = await store.read(tenantId);
        current = fresh.watch ?? { state: emptyWatchState(), etag: undefined };
        held.pending = rebase(held.pending, fresh.checkpoint);
      }
      const entry = ledgerEntry(facts(), obs, current.state, now, undefined, 0, delivery, deliveryError);
      await store.append(tenantId, entry);
      const pending = held.pending;
      if (pending)
        await deps.checkpoints
          .save(tenantId, pending.checkpoint, pending.extra, pending.etag)
          .catch((err: unknown) =>
            log.warn(`Checkpoint not saved (the next run re-reads the window): ${errorText(err)}`),
          );
      log.error(
        'Watchdog state kept changing under concurrent runs; this run is in the ledger, its watchdog decision is left to the next run',
      );
      return { entry, transitions: [], alertsWritten: 0 };
    } catch (err) {
      log.error(`Recording the run in the coverage ledger failed: ${errorText(err)}`);
      return undefined;
    }
  }

  return {
    /** Pass to runPoll as its checkpoint store: the checkpoint read also fetches the watchdog state. */
    checkpoints: held.checkpoints,
    /** Pass to runPoll as its summary hook (called on success and on a Graph failure). */
    onSummary: (s: PollSummary) => {
      summary = s;
    },
    pollFailed: (err: unknown) => {
      pollFailed = true;
      pollError = err;
    },
    /** Each notifier, wrapped so every send attempt is observed. */
    observe: (notifiers: ReadonlyMap<string, Notifier>): Map<string, Notifier> => observeSends(notifiers, attempts),
    finish,
  };
}
