import { randomUUID } from 'node:crypto';
import type { CheckpointStore, VersionedCheckpoint } from '../audit/checkpointStore';
import { authConfigChange, type AuthConfigRecord, authConfigTamperAlert } from '../dispatch/authConfigTamper';
import type { Outbox } from '../dispatch/outbox';
import type { Notifier } from '../notifiers/notifier';
import { DeliveryError } from '../shared/errors';
import { errorText, type Logger } from '../shared/logger';
import {
  type ChannelAttempt,
  classifyPollError,
  evaluateWatchdog,
  type RunObservation,
  type Transition,
  type WatchSettings,
} from '../watch/incidents';
import {
  emptyWatchState,
  type LedgerEntry,
  type PendingCheckpoint,
  type VersionedWatchState,
  type WatchState,
  type WatchStore,
} from '../watch/runLedger';
import { watchdogAlert } from '../watch/watchdogMessages';
import type { DeliverySummary } from './deliverPending';
import { mergeCheckpointExtra } from './pollExtras';
import type { PollSummary } from './runPoll';

export interface WatchDeps {
  tenantId: string;
  store: WatchStore;
  /** The plain checkpoint store: saves go there unchanged. */
  checkpoints: CheckpointStore;
  outbox: Outbox;
  clock: () => Date;
  log: Logger;
  counters: { graphRequests: () => number; tableRequests: () => number };
  settings: WatchSettings & { ledgerRetentionInDays: number };
  /**
   * Where watchdog messages go (WATCHDOG_CHANNEL, else FAILOVER_CHANNEL, else the default channels) and every
   * channel (fallback for a message about the watchdog channel itself). Called only when a message is written.
   */
  channels: () => Promise<{ watchdog: readonly string[]; all: readonly string[]; defaults?: readonly string[] }>;
  /**
   * The admin API's authorization setup and, when it cannot serve, why (adminAuthPosture). Read every run: the
   * setup is recorded in the watchdog state (a change raises a tamper alert) and a closed API is an incident.
   */
  adminAuth?: () => { record: AuthConfigRecord; problem?: string };
}

/** How a cycle was started, for the ledger. */
export interface CycleOptions {
  trigger?: string;
  /** The timer occurrence was missed (`isPastDue`). */
  pastDue?: boolean;
}

export interface WatchResult {
  entry: LedgerEntry;
  transitions: Transition[];
  /** Watchdog messages newly written to the outbox (send them now). */
  alertsWritten: number;
}

const cleanupEveryInMs = 60 * 60_000;
const maxDeletesPerCleanup = 1000;
const short = (text: string, max = 500) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/**
 * Watches one poll cycle: reads the watchdog state together with the checkpoint (one request), observes
 * the poll's outcome and every send attempt, then records the run in the coverage ledger and commits the
 * watchdog state in one transaction. Incident transitions become outbox alerts before the state commits,
 * with ids derived from the incident, so a crash or a concurrent run cannot send one twice.
 */
export function startRunWatch(deps: WatchDeps, options: CycleOptions = {}) {
  const startedAt = deps.clock();
  const graph0 = deps.counters.graphRequests();
  const table0 = deps.counters.tableRequests();
  let read: { checkpoint?: VersionedCheckpoint; watch?: VersionedWatchState } | undefined;
  let summary: PollSummary | undefined;
  let pollError: unknown;
  let pollFailed = false;
  const attempts: ChannelAttempt[] = [];

  // The poll's checkpoint move is held here and committed in the run's one ledger transaction (checkpoint +
  // ledger row + watchdog state), so an idle run costs 3 Table transactions. Deferring it past delivery is
  // safe: until it commits, the next run re-reads the same window and de-duplication drops what was alerted.
  let pendingCheckpoint: PendingCheckpoint | undefined;
  const checkpoints: CheckpointStore = {
    async get(tenantId) {
      read = await deps.store.read(tenantId);
      return read.checkpoint;
    },
    async save(_tenantId, checkpoint, extra, etag) {
      pendingCheckpoint = { checkpoint, extra, etag };
    },
  };

  /** After a conflict: keep the further of our move and what is stored now, with the fresh ETag. */
  function rebase(
    pending: PendingCheckpoint | undefined,
    latest: VersionedCheckpoint | undefined,
  ): PendingCheckpoint | undefined {
    if (!pending) return undefined;
    const extra = mergeCheckpointExtra(pending.extra, latest);
    const further =
      latest && latest.checkpoint.scannedTo >= pending.checkpoint.scannedTo ? latest.checkpoint : pending.checkpoint;
    return { checkpoint: further, extra, etag: latest?.etag };
  }

  /** Each notifier, wrapped so every send attempt is observed (everything else is the notifier itself). */
  const observe = (notifiers: ReadonlyMap<string, Notifier>): Map<string, Notifier> =>
    new Map(
      [...notifiers].map(([id, n]) => {
        const watched = Object.create(n, {
          send: {
            value: async (...args: Parameters<Notifier['send']>) => {
              try {
                const receipt = await n.send(...args);
                attempts.push({ channelId: id, ok: true });
                return receipt;
              } catch (err) {
                const status = err instanceof DeliveryError ? err.status : undefined;
                const reason = err instanceof DeliveryError ? `${err.reason}${status ? ` ${status}` : ''}: ` : '';
                attempts.push({
                  channelId: id,
                  ok: false,
                  status,
                  error: short(`${reason}${errorText(err).replace(/^DeliveryError: /, '')}`, 300),
                });
                throw err;
              }
            },
          },
        }) as Notifier;
        return [id, watched];
      }),
    );

  async function finish(
    delivery: DeliverySummary | undefined,
    deliveryError?: unknown,
  ): Promise<WatchResult | undefined> {
    const { tenantId, log, store } = deps;
    try {
      read ??= await store.read(tenantId);
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
      let current = read.watch ?? { state: await recoveredState(), etag: undefined };
      for (let attempt = 0; attempt < 3; attempt++) {
        const { state, transitions, gap } = evaluateWatchdog(current.state, obs, deps.settings);
        await cleanupLedger(state, now);
        let written = auth ? await recordAuthConfig(current.state, state, auth.record, now) : 0;
        for (const t of transitions) written += await writeMessage(t);
        const entry = ledgerEntry(obs, state, now, gap, written, delivery, deliveryError);
        if ((await store.commit(tenantId, entry, state, current.etag, pendingCheckpoint)) === 'ok') {
          report(entry, transitions, Object.keys(state.incidents).length);
          return { entry, transitions, alertsWritten: written };
        }
        const fresh = await store.read(tenantId);
        current = fresh.watch ?? { state: emptyWatchState(), etag: undefined };
        pendingCheckpoint = rebase(pendingCheckpoint, fresh.checkpoint);
      }
      const entry = ledgerEntry(obs, current.state, now, undefined, 0, delivery, deliveryError);
      await store.append(tenantId, entry);
      if (pendingCheckpoint)
        await deps.checkpoints
          .save(tenantId, pendingCheckpoint.checkpoint, pendingCheckpoint.extra, pendingCheckpoint.etag)
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

  /** No state row (first run, or the row was lost): take the frontier from the newest ledger rows. */
  async function recoveredState(): Promise<WatchState> {
    const latest = await deps.store.latest(deps.tenantId, 5);
    const frontier = latest.find((e) => e.frontier)?.frontier;
    return { ...emptyWatchState(), ...(frontier ? { frontier } : {}) };
  }

  async function cleanupLedger(state: WatchState, now: Date): Promise<void> {
    if (state.ledgerCleanedAt && now.getTime() - Date.parse(state.ledgerCleanedAt) < cleanupEveryInMs) return;
    try {
      const deleted = await deps.store.deleteBefore(
        deps.tenantId,
        new Date(now.getTime() - deps.settings.ledgerRetentionInDays * 86_400_000),
        maxDeletesPerCleanup,
      );
      if (deleted > 0)
        deps.log.info(
          `Ledger cleanup removed ${deleted} run row(s) older than ${deps.settings.ledgerRetentionInDays} days`,
        );
      state.ledgerCleanedAt = now.toISOString();
    } catch (err) {
      deps.log.warn(`Ledger cleanup failed (retried next run): ${errorText(err)}`);
    }
  }

  /**
   * Records the auth setup in the new state; when it differs from the one the last run recorded, writes a
   * tamper alert (to the watchdog and the default channels) before the state commits. Its id comes from a
   * sequence in the state, so a retried or concurrent commit writes it once. 1 when an alert was written.
   */
  async function recordAuthConfig(
    previous: WatchState,
    state: WatchState,
    record: AuthConfigRecord,
    now: Date,
  ): Promise<number> {
    state.adminAuth = record;
    const change = authConfigChange(previous.adminAuth, record);
    if (!change) return 0;
    const key = 'tamper:admin-auth';
    const seq = (state.sequences[key] ?? 0) + 1;
    state.sequences[key] = seq;
    const { watchdog, defaults = [] } = await deps.channels();
    const pending = authConfigTamperAlert(deps.tenantId, change, seq, [...new Set([...watchdog, ...defaults])], now);
    const result = await deps.outbox.writeAlert(pending, pending.channels);
    deps.log.warn(`Tamper alert ${pending.alert.id}: ${change.title}: ${change.changes.join('; ')}`);
    return result === 'created' ? 1 : 0;
  }

  async function writeMessage(t: Transition): Promise<number> {
    const alert = watchdogAlert(deps.tenantId, t);
    const { watchdog: watchdogChannels, all: allChannels } = await deps.channels();
    let channels = [...watchdogChannels];
    if (t.incident.condition === 'channel-failing') {
      // A message about a failing channel goes elsewhere when anywhere else exists; else it waits for the channel.
      const others = watchdogChannels.filter((c) => c !== t.incident.subject);
      const elsewhere = allChannels.filter((c) => c !== t.incident.subject);
      channels = others.length ? others : elsewhere.length ? elsewhere : channels;
    }
    const result = await deps.outbox.writeAlert({ alert, channels: [], eventKeys: [] }, channels);
    return result === 'created' ? 1 : 0;
  }

  function ledgerEntry(
    obs: RunObservation,
    state: WatchState,
    now: Date,
    gap: { from: string; to: string } | undefined,
    watchdogAlerts: number,
    d: DeliverySummary | undefined,
    deliveryError: unknown,
  ): LedgerEntry {
    const errors = [
      obs.pollError,
      deliveryError === undefined ? undefined : `delivery: ${errorText(deliveryError)}`,
    ].filter(Boolean);
    return {
      runId: randomUUID().slice(0, 8),
      startedAt: obs.startedAt,
      finishedAt: obs.finishedAt,
      durationInMs: now.getTime() - startedAt.getTime(),
      trigger: options.trigger ?? 'timer',
      pastDue: options.pastDue === true,
      windowFrom: summary?.window.from ?? '',
      windowTo: summary?.window.to ?? '',
      basis: summary?.window.basis ?? '',
      coveredTo: obs.coveredTo ?? '',
      frontier: state.frontier ?? '',
      gapFrom: gap?.from ?? '',
      gapTo: gap?.to ?? '',
      pages: summary?.pages ?? 0,
      events: summary?.events ?? 0,
      malformed: summary?.malformed ?? 0,
      rulesEvaluated: summary?.rulesEvaluated ?? 0,
      ruleProblems: summary?.ruleProblems ?? 0,
      matches: summary?.matches ?? 0,
      duplicates: summary?.duplicates ?? 0,
      alerts: summary?.alerts ?? 0,
      budgetExhausted: summary?.budgetExhausted ?? false,
      deliveriesDue: d?.due ?? 0,
      sent: d?.sent ?? 0,
      retrying: d?.retrying ?? 0,
      failed: d?.failed ?? 0,
      dead: d?.dead ?? 0,
      lagInSeconds: obs.checkpointAt ? Math.round((now.getTime() - Date.parse(obs.checkpointAt)) / 1000) : -1,
      graphRequests: deps.counters.graphRequests() - graph0,
      tableRequests: deps.counters.tableRequests() - table0 + 1, // + the ledger transaction itself
      pollFailed: obs.pollFailed,
      error: short(errors.join('; '), 2000),
      graphStatus: obs.graphStatus ?? 0,
      watchdogAlerts,
    };
  }

  function report(e: LedgerEntry, transitions: Transition[], openIncidents: number): void {
    for (const t of transitions) {
      const line = `Watchdog incident ${t.change}: ${t.incident.key} (${t.incident.detail})`;
      if (t.change === 'opened') deps.log.warn(line);
      else deps.log.info(line);
    }
    if (e.gapFrom) deps.log.error(`Coverage gap: audit events from ${e.gapFrom} to ${e.gapTo} were never scanned`);
    // One structured line per run: the metrics to chart (Application Insights: traces where message starts with "metric pki.run").
    deps.log.info('metric pki.run', {
      events: e.events,
      pages: e.pages,
      matches: e.matches,
      alerts: e.alerts,
      sent: e.sent,
      retrying: e.retrying,
      failed: e.failed,
      dead: e.dead,
      lagSeconds: e.lagInSeconds,
      graphRequests: e.graphRequests,
      tableRequests: e.tableRequests,
      durationMs: e.durationInMs,
      pollFailed: e.pollFailed,
      pastDue: e.pastDue,
      gap: Boolean(e.gapFrom),
      watchdogAlerts: e.watchdogAlerts,
      openIncidents,
    });
  }

  return {
    /** Pass to runPoll as its checkpoint store: the checkpoint read also fetches the watchdog state. */
    checkpoints,
    /** Pass to runPoll as its summary hook (called on success and on a Graph failure). */
    onSummary: (s: PollSummary) => {
      summary = s;
    },
    pollFailed: (err: unknown) => {
      pollFailed = true;
      pollError = err;
    },
    observe,
    finish,
  };
}
