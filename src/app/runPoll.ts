import { CheckpointConflict, type CheckpointExtra, type CheckpointStore } from '../audit/checkpointStore';
import { type Checkpoint, computeWindow, nextCheckpoint, type PollWindow } from '../audit/pollWindow';
import { SlicedReader } from '../audit/slicedReader';
import { AlertAccumulator, alertIdFor, type EventKey, type PendingAlert } from '../dispatch/alertAccumulator';
import { Detector } from '../detection/detector';
import type { AlertRule } from '../rules/alertRule';
import { defaultRulePack } from '../rules/defaultRulePack';
import { errorText } from '../shared/logger';
import { MatchRecorder, withTenantName } from './matchRecorder';
import { mergeCheckpointExtra, type PollExtrasRun, type PollExtrasResult } from './pollExtras';
import { emptySummary, type PollDeps, type PollSummary } from './pollTypes';

export type { PollDeps, PollStep, PollSummary } from './pollTypes';

const cleanupEveryInMs = 60 * 60_000;
const maxMalformedLogged = 20;

/**
 * One detection cycle, its stages in order (docs/architecture.md, "The detection model"):
 *
 *  1. window       [checkpoint − lookback, now] (first run: the initial lookback)
 *  2. pages        read in time slices, oldest first, each slice to its end (SlicedReader): no order assumed
 *  3. detect       convert → fold repeated ids → drop own reads → match rules (Detector, shared with replay)
 *  4. de-duplicate per match (rule + event) against what the outbox already recorded
 *  5. route        change window (recorded, not sent) / threshold (counted) / plain (one alert per rule)
 *  6. outbox       each group's matches + alert + deliveries in one transaction; unstorable → quarantine
 *  7. checkpoint   to the end of the last slice read completely, never backwards (saved with the ledger)
 *
 * Delivery is the next stage of the cycle (services.cycle → deliverPending), so a channel outage never stops
 * detection. A Graph failure keeps what was read and recorded, and is rethrown after the checkpoint.
 */
export async function runPoll(deps: PollDeps): Promise<PollSummary> {
  const { tenantId, log, settings } = deps;
  const now = deps.clock();
  // 1. window
  const stored = await deps.checkpoints.get(tenantId);
  const window = computeWindow(stored?.checkpoint, now, settings);
  const summary = emptySummary(window);
  const detector = new Detector(() => loadRules(deps, summary), { ownClientId: settings.ownClientId });
  const recorder = new MatchRecorder({
    tenantId,
    tenantName: deps.tenantName,
    outbox: deps.outbox,
    log,
    now,
    fromInMs: window.from.getTime(),
    noticeChannels: () => noticeChannels(deps),
  });
  const accumulator = new AlertAccumulator(settings.alertSampleEvents);
  const extras = deps.extras?.startRun({
    tenantId,
    now,
    log,
    stored,
    sampleSize: settings.alertSampleEvents,
    lookbackInMinutes: settings.lookbackInMinutes,
    rules: async () => (await deps.rules.list(tenantId)).rules,
    afterSummaryWritten: () => deps.afterStep?.('window-summary-written'),
  });
  // 2. pages
  const reader = new SlicedReader(deps.source, window, {
    maxPages: settings.maxPagesPerRun,
    forwardFrom: window.basis === 'lookback' ? Date.parse(stored!.checkpoint.scannedTo) : undefined,
    sliceInMs: stored?.checkpoint.sliceInMs,
    dense:
      stored?.checkpoint.denseFromInMs !== undefined && stored.checkpoint.denseSliceInMs
        ? { fromInMs: stored.checkpoint.denseFromInMs, sliceInMs: stored.checkpoint.denseSliceInMs }
        : undefined,
    deadlineInMs: settings.runTimeBudgetInMs ? Date.now() + settings.runTimeBudgetInMs : undefined,
    log,
  });
  let graphError: Error | undefined;
  let crash: { err: unknown } | undefined;
  try {
    for await (const page of reader.pages()) {
      for (const raw of page.events) await detect(deps, detector, recorder, accumulator, extras, summary, raw);
      // A crash at this seam is a crash of the process: nothing after it runs.
      try {
        await deps.afterStep?.('page-read');
      } catch (err) {
        crash = { err };
        throw err;
      }
    }
  } catch (err) {
    if (crash) throw crash.err;
    graphError = err instanceof Error ? err : new Error(errorText(err));
    summary.graphError = errorText(err);
    log.error(`Reading Graph audit events failed after ${reader.progress.pages} page(s): ${summary.graphError}`);
  }
  Object.assign(summary, {
    pages: reader.progress.pages,
    budgetExhausted: reader.progress.budgetExhausted || reader.progress.outOfTime,
    ...detector.counts,
    repeated: detector.counts.repeated,
  });
  summary.slices = {
    completedTo: new Date(reader.progress.completedTo).toISOString(),
    splits: reader.progress.splits,
    unsplittable: reader.progress.unsplittable,
    lookbackComplete: reader.progress.lookbackComplete,
  };
  if (!reader.progress.lookbackComplete && !graphError)
    log.warn(
      'The lookback was only partly re-read (a dense range before the checkpoint): late events there may be missed this run',
    );
  if (summary.budgetExhausted)
    log.warn(
      `${reader.progress.outOfTime ? 'The run time budget' : `The page budget of ${settings.maxPagesPerRun}`} ran out at ${summary.slices.completedTo}; the next run goes on from there (re-reading the lookback)`,
    );

  // 6. outbox
  for (const pending of accumulator.drain(tenantId, now)) {
    summary.alerts += await recordGroup(deps, recorder, pending);
    await deps.afterStep?.('group-written');
  }
  const done = await extras?.finish({
    write: (p) => writeAlert(deps, p),
    recordGroup: (p, channels) => recordGroup(deps, recorder, p, channels),
    recorder,
    channelsOf: async (p) => resolveChannels(deps, p, await deps.channelIds?.()),
  });
  if (done)
    Object.assign(summary, {
      suppressed: done.suppressed,
      thresholdCounted: done.thresholdCounted,
      alerts: summary.alerts + done.thresholdAlerts + done.windowSummaries,
    });
  summary.quarantined = recorder.quarantined;
  await deps.afterStep?.('outbox-written');

  // 7. checkpoint
  const next =
    recorder.gaveUp > 0
      ? undefined
      : nextCheckpoint(
          stored?.checkpoint,
          window,
          reader.progress.completedTo,
          reader.progress.nextSliceInMs,
          reader.progress.nextDense,
        );
  if (recorder.gaveUp > 0)
    log.error(
      `${recorder.gaveUp} outbox write(s) did not go through; the checkpoint stays so their matches are read again`,
    );
  if (next || done?.checkpointExtra.windowSummaryDueAt !== undefined)
    await advance(deps, stored, next, now, window, done);
  if (next) {
    summary.checkpoint = next;
    await deps.afterStep?.('checkpoint-advanced');
  }
  summary.rulesEvaluated = detector.rulesEvaluated;
  log.info(
    `Poll ${summary.window.from} → ${summary.window.to} (${window.basis}): ${summary.pages} page(s), ${summary.events} event(s), ${summary.matches} match(es), ${summary.alerts} new alert(s)`,
    { ...summary, window: undefined },
  );
  deps.onSummary?.(summary);
  if (graphError !== undefined) throw graphError;
  return summary;
}

/** Stages 3–5 for one raw event. */
async function detect(
  deps: PollDeps,
  detector: Detector,
  recorder: MatchRecorder,
  accumulator: AlertAccumulator,
  extras: PollExtrasRun | undefined,
  summary: PollSummary,
  raw: unknown,
): Promise<void> {
  const offered = await detector.offer(raw);
  if (offered.kind === 'malformed') {
    if (detector.counts.malformed <= maxMalformedLogged)
      deps.log.warn(`Skipped malformed audit event ${offered.id ?? '(no id)'}: ${offered.problem}`);
    return;
  }
  if (offered.kind !== 'event') return;
  const { event } = offered;
  for (const rule of offered.rules) {
    if (await recorder.isRecorded({ ruleId: rule.id, eventId: event.id, timeInMs: event.activityTimeInMs }))
      summary.duplicates++;
    else if (!(await extras?.route(rule, event))) accumulator.add(rule, event);
  }
}

/** Moves the checkpoint (with the cleanup hint and the change-window hint) when there is something to save. */
async function advance(
  deps: PollDeps,
  stored: Awaited<ReturnType<CheckpointStore['get']>>,
  next: Checkpoint | undefined,
  now: Date,
  window: PollWindow,
  done: PollExtrasResult | undefined,
): Promise<void> {
  const cleanupDue =
    Boolean(next) && (!stored?.lastCleanupAt || now.getTime() - Date.parse(stored.lastCleanupAt) > cleanupEveryInMs);
  if (cleanupDue) await cleanup(deps, now, window);
  const checkpoint = next ?? stored?.checkpoint;
  if (!checkpoint) return;
  await saveCheckpoint(
    deps,
    checkpoint,
    { lastCleanupAt: cleanupDue ? now.toISOString() : undefined, ...done?.checkpointExtra },
    stored?.etag,
  );
}

async function loadRules(deps: PollDeps, summary: PollSummary): Promise<AlertRule[]> {
  if (deps.extras) {
    // Seeds an empty table and applies default-pack upgrades (with history).
    const loaded = await deps.extras.loadRules(deps.tenantId, deps.clock, deps.log);
    for (const p of loaded.problems) deps.log.error(`Rule "${p.ruleId}" skipped: ${p.message}`);
    summary.ruleProblems = loaded.problems.length;
    return loaded.rules;
  }
  const { rules, problems } = await deps.rules.list(deps.tenantId);
  for (const p of problems) deps.log.error(`Rule "${p.ruleId}" skipped: ${p.message}`);
  summary.ruleProblems = problems.length;
  if (rules.length === 0 && problems.length === 0) {
    const written = await deps.rules.seedIfEmpty(deps.tenantId, defaultRulePack);
    deps.log.info(`AlertRules was empty: seeded ${written} rule(s) of the default Cloud PKI pack`);
    return [...defaultRulePack];
  }
  return rules;
}

/**
 * Writes an alert that records no match (window summaries, tamper alerts): channels resolved from the
 * rule's, or `fixedChannels`. 1 when it was created, 0 when it already existed.
 */
export async function writeAlert(deps: PollDeps, pending: PendingAlert, fixedChannels?: string[]): Promise<number> {
  const channels = fixedChannels ?? resolveChannels(deps, pending, await deps.channelIds?.());
  return (await deps.outbox.writeAlert(withTenantName(pending, deps.tenantName), channels)) === 'created' ? 1 : 0;
}

/**
 * Records one group's matches with its alert, exactly once per match: on a conflict the alert is rebuilt
 * from the matches still unrecorded (a concurrent run took the others), with an id of its own.
 */
async function recordGroup(
  deps: PollDeps,
  recorder: MatchRecorder,
  pending: PendingAlert,
  fixedChannels?: string[],
): Promise<number> {
  const channels = fixedChannels ?? resolveChannels(deps, pending, await deps.channelIds?.());
  const ruleId = pending.alert.ruleId;
  let written: PendingAlert | undefined;
  const outcome = await recorder.record((isRecorded, attempt) => {
    const left = pending.eventKeys.filter((k) => !isRecorded({ ruleId, eventId: k.id, timeInMs: k.timeInMs }));
    if (left.length === 0) return undefined;
    // The same id again after a conflict means an alert row of that id exists without these matches (written
    // by an older version): take another id rather than conflict forever.
    written = left.length === pending.eventKeys.length && attempt < 2 ? pending : narrow(pending, left, attempt);
    return {
      matches: left.map((k) => ({ ruleId, eventId: k.id, timeInMs: k.timeInMs })),
      recordedAs: written.alert.id,
      alert: written,
      channels,
    };
  });
  return outcome === 'written' ? 1 : 0;
}

function narrow(p: PendingAlert, keys: EventKey[], attempt: number): PendingAlert {
  const ids = new Set(keys.map((k) => k.id));
  const sorted = [...keys].sort((a, b) => a.timeInMs - b.timeInMs || (a.id < b.id ? -1 : 1));
  const events = p.alert.events.filter((e) => ids.has(e.id));
  const iso = (ms: number) => new Date(ms).toISOString();
  const salt = attempt >= 2 ? `#${attempt}` : '';
  return {
    channels: p.channels,
    eventKeys: keys,
    alert: {
      ...p.alert,
      id: alertIdFor(p.alert.tenantId, p.alert.ruleId + salt, sorted[0].id),
      eventCount: keys.length,
      events,
      firstEventTime: events[0]?.activityDateTime ?? iso(sorted[0].timeInMs),
      lastEventTime: iso(sorted[sorted.length - 1].timeInMs),
    },
  };
}

/** Where the notice about a quarantined item goes: the default channels (configured and table ones). */
async function noticeChannels(deps: PollDeps): Promise<string[]> {
  const extra = await deps.channelIds?.();
  return [...new Set([...deps.settings.defaultChannels, ...(extra?.defaults ?? [])])];
}

function resolveChannels(
  deps: PollDeps,
  pending: PendingAlert,
  extra?: { known: readonly string[]; defaults: readonly string[] },
): string[] {
  const defaultChannels = [...deps.settings.defaultChannels, ...(extra?.defaults ?? [])];
  const knownChannels = [...deps.settings.knownChannels, ...(extra?.known ?? [])];
  const out = new Set<string>();
  for (const id of pending.channels) {
    if (id === 'default') defaultChannels.forEach((c) => out.add(c));
    else if (knownChannels.includes(id)) out.add(id);
    else
      deps.log.error(`Rule ${pending.alert.ruleId} names unknown channel "${id}"; using the default channels for it`);
  }
  // An alert nobody hears about is lost: fall back to the defaults rather than write it with no delivery.
  if (out.size === 0) defaultChannels.forEach((c) => out.add(c));
  return [...out];
}

async function saveCheckpoint(
  deps: PollDeps,
  next: Checkpoint,
  extra: CheckpointExtra,
  etag: string | undefined,
): Promise<void> {
  try {
    await deps.checkpoints.save(deps.tenantId, next, extra, etag);
  } catch (err) {
    if (!(err instanceof CheckpointConflict)) throw err;
    // A concurrent run moved it. Keep the further of the two: both runs' alerts are already in the outbox.
    const latest = await deps.checkpoints.get(deps.tenantId);
    if (latest && latest.checkpoint.scannedTo >= next.scannedTo) return;
    await deps.checkpoints.save(deps.tenantId, next, mergeCheckpointExtra(extra, latest), latest?.etag);
  }
}

async function cleanup(deps: PollDeps, now: Date, window: PollWindow): Promise<void> {
  try {
    // Never forget ids the next window may re-read, even while a long backlog is worked off.
    const seenBefore = Math.min(
      now.getTime() - deps.settings.seenRetentionInHours * 3_600_000,
      window.from.getTime() - 3_600_000,
    );
    const { deleted } = await deps.outbox.cleanup(deps.tenantId, now, {
      seenBefore: new Date(seenBefore),
      deliveredBefore: new Date(now.getTime() - deps.settings.deliveredRetentionInDays * 86_400_000),
    });
    if (deleted > 0) deps.log.info(`Cleanup removed ${deleted} old outbox row(s)`);
  } catch (err) {
    deps.log.warn(`Cleanup failed (retried next hour): ${errorText(err)}`);
  }
}
