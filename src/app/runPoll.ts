import type { AuditEvent } from '../audit/auditEvent';
import type { AuditSource } from '../audit/auditSource';
import { CheckpointConflict, type CheckpointExtra, type CheckpointStore } from '../audit/checkpointStore';
import { type Checkpoint, computeWindow, type PollWindow } from '../audit/pollWindow';
import { toAuditEvent } from '../audit/toAuditEvent';
import { AlertAccumulator, alertIdFor, type EventKey, type PendingAlert } from '../dispatch/alertAccumulator';
import type { Outbox, SeenEvents } from '../dispatch/outbox';
import type { AlertRule } from '../rules/alertRule';
import { defaultRulePack } from '../rules/defaultRulePack';
import { type CompiledRule, compileRules, matchRules } from '../rules/matchRules';
import type { RuleStore } from '../rules/ruleStore';
import { errorText, type Logger } from '../shared/logger';
import { mergeCheckpointExtra, type PollExtras } from './pollExtras';

export type PollStep = 'page-read' | 'outbox-written' | 'checkpoint-advanced' | 'window-summary-written';

export interface PollDeps {
  tenantId: string;
  source: AuditSource;
  checkpoints: CheckpointStore;
  rules: RuleStore;
  outbox: Outbox;
  clock: () => Date;
  log: Logger;
  settings: {
    lookbackInMinutes: number;
    initialLookbackInMinutes: number;
    maxPagesPerRun: number;
    alertSampleEvents: number;
    ownClientId?: string;
    /** Channel ids that a rule's `default` channel stands for. */
    defaultChannels: readonly string[];
    knownChannels: readonly string[];
    seenRetentionInHours: number;
    deliveredRetentionInDays: number;
  };
  /** Test seam for crash injection: called after each step; throwing simulates a crash there. */
  afterStep?: (step: PollStep) => void | Promise<void>;
  /** Rule administration features: default-pack upgrade, change windows, threshold rules (pollExtras.ts). */
  extras?: PollExtras;
  /** Receives the summary of the run, also when Graph failed (then before the error is rethrown): the run ledger. */
  onSummary?: (summary: PollSummary) => void;
  /** Adds table channels to `knownChannels` / `defaultChannels`; called only when an alert is written. */
  channelIds?: () => Promise<{ known: readonly string[]; defaults: readonly string[] }>;
}

/** What one run did: the run ledger entry (also logged). */
export interface PollSummary {
  window: { from: string; to: string; basis: PollWindow['basis'] };
  pages: number;
  events: number;
  malformed: number;
  ignoredOwn: number;
  matches: number;
  duplicates: number;
  alerts: number;
  budgetExhausted: boolean;
  checkpoint: Checkpoint | 'unchanged';
  graphError?: string;
  ruleProblems: number;
  /** Matches recorded inside a change window, not sent. */
  suppressed?: number;
  /** Matches counted by threshold rules (alerts only when a threshold is reached). */
  thresholdCounted?: number;
  /** Enabled rules the events were matched against (0 when no event arrived and rules were not loaded). */
  rulesEvaluated: number;
}

const cleanupEveryInMs = 60 * 60_000;
/** Above this many already-alerted events in a window, de-duplication queries page by page instead. */
const maxSeenLoaded = 50_000;

/**
 * One detection cycle: read the window's events page by page, match rules, record alerts in the outbox,
 * then move the checkpoint over exactly what was processed. Sending is separate (deliverPending), so a
 * channel outage never stops detection. A Graph failure mid-window keeps what was processed and rethrows
 * after the checkpoint is saved.
 */
export async function runPoll(deps: PollDeps): Promise<PollSummary> {
  const { tenantId, log, settings } = deps;
  const now = deps.clock();
  const stored = await deps.checkpoints.get(tenantId);
  const window = computeWindow(stored?.checkpoint, now, settings);
  const summary: PollSummary = {
    window: { from: window.from.toISOString(), to: window.to.toISOString(), basis: window.basis },
    pages: 0, events: 0, malformed: 0, ignoredOwn: 0, matches: 0, duplicates: 0, alerts: 0,
    budgetExhausted: false, checkpoint: 'unchanged', ruleProblems: 0, rulesEvaluated: 0,
  };
  let compiled: CompiledRule[] | undefined;
  const accumulator = new AlertAccumulator(settings.alertSampleEvents);
  const extras = deps.extras?.startRun({
    tenantId, now, log, stored, sampleSize: settings.alertSampleEvents, lookbackInMinutes: settings.lookbackInMinutes,
    rules: async () => compiled?.map((c) => c.rule) ?? (await deps.rules.list(tenantId)).rules,
    afterSummaryWritten: () => deps.afterStep?.('window-summary-written'),
  });
  let lastTimeInMs = -Infinity;
  let ascending = true;
  let graphError: unknown;
  let seenInWindow: SeenEvents | null | undefined;

  try {
    for await (const page of deps.source.listPages(window)) {
      summary.pages++;
      const pairs: { rule: AlertRule; event: AuditEvent }[] = [];
      for (const raw of page.events) {
        const converted = toAuditEvent(raw);
        if (!converted.ok) {
          summary.malformed++;
          log.warn(`Skipped malformed audit event ${converted.id ?? '(no id)'}: ${converted.problem}`);
          continue;
        }
        const event = converted.event;
        summary.events++;
        if (event.activityTimeInMs < lastTimeInMs) ascending = false;
        lastTimeInMs = Math.max(lastTimeInMs, event.activityTimeInMs);
        if (settings.ownClientId && event.actor.applicationId?.toLowerCase() === settings.ownClientId.toLowerCase()) {
          summary.ignoredOwn++;
          continue;
        }
        compiled ??= compileRules(await loadRules(deps, summary));
        for (const rule of matchRules(compiled, event)) pairs.push({ rule, event });
      }
      if (pairs.length > 0) {
        // Already-alerted events of the whole window in one query (bounded: only matched events leave
        // markers, and a resumed window starts where processing stopped); per page if there are too many.
        if (seenInWindow === undefined) seenInWindow = (await deps.outbox.loadSeen(tenantId, window.from.getTime(), window.to.getTime(), maxSeenLoaded)) ?? null;
        const keys = pairs.map((p) => ({ id: p.event.id, timeInMs: p.event.activityTimeInMs }));
        const loaded = seenInWindow;
        const unseen = new Set((loaded ? keys.filter((k) => !loaded.has(k)) : await deps.outbox.filterUnseen(tenantId, keys)).map((k) => k.id));
        for (const { rule, event } of pairs) {
          if (!unseen.has(event.id)) summary.duplicates++;
          else if (!(await extras?.route(rule, event))) accumulator.add(rule, event);
        }
        summary.matches += pairs.length;
      }
      await deps.afterStep?.('page-read');
      if (page.hasMore && page.pageNumber >= settings.maxPagesPerRun) {
        summary.budgetExhausted = true;
        log.warn(`Page budget of ${settings.maxPagesPerRun} reached; the rest of the window is read by the next run`);
        break;
      }
    }
  } catch (err) {
    graphError = err;
    summary.graphError = errorText(err);
    log.error(`Reading Graph audit events failed after ${summary.pages} page(s): ${summary.graphError}`);
  }

  for (const pending of accumulator.drain(tenantId, now)) summary.alerts += await writeAlert(deps, pending);
  const done = await extras?.finish({ write: (p) => writeAlert(deps, p), record: (p) => writeAlert(deps, p, []) });
  if (done) Object.assign(summary, { suppressed: done.suppressed, thresholdCounted: done.thresholdCounted, alerts: summary.alerts + done.thresholdAlerts + done.windowSummaries });
  await deps.afterStep?.('outbox-written');

  const next = nextCheckpoint(window, summary, graphError !== undefined, ascending, lastTimeInMs, log);
  if (next) {
    const cleanupDue = !stored?.lastCleanupAt || now.getTime() - Date.parse(stored.lastCleanupAt) > cleanupEveryInMs;
    if (cleanupDue) await cleanup(deps, now, window);
    await saveCheckpoint(deps, next, { lastCleanupAt: cleanupDue ? now.toISOString() : undefined, ...done?.checkpointExtra }, stored?.etag);
    summary.checkpoint = next;
    await deps.afterStep?.('checkpoint-advanced');
  }
  summary.rulesEvaluated = compiled?.length ?? 0;
  log.info(`Poll ${summary.window.from} → ${summary.window.to} (${window.basis}): ${summary.pages} page(s), ${summary.events} event(s), ${summary.matches} match(es), ${summary.alerts} new alert(s)`, { ...summary, window: undefined });
  deps.onSummary?.(summary);
  if (graphError !== undefined) throw graphError;
  return summary;
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
 * Resolves channels (or uses `fixedChannels`: `[]` records an alert that is not sent), writes the alert; on a
 * conflict (a concurrent run claimed some events) retries with what is left.
 */
export async function writeAlert(deps: PollDeps, pending: PendingAlert, fixedChannels?: string[]): Promise<number> {
  const channels = fixedChannels ?? resolveChannels(deps, pending, await deps.channelIds?.());
  let current = pending;
  for (let attempt = 0; attempt < 3; attempt++) {
    if ((await deps.outbox.writeAlert(current, channels)) === 'created') return 1;
    const left = await deps.outbox.filterUnseen(deps.tenantId, current.eventKeys);
    if (left.length === 0) return 0;
    current = narrow(current, left);
  }
  deps.log.error(`Alert for rule ${pending.alert.ruleId} kept conflicting with concurrent runs; its events are retried next run`);
  return 0;
}

function narrow(p: PendingAlert, keys: EventKey[]): PendingAlert {
  const ids = new Set(keys.map((k) => k.id));
  const sorted = [...keys].sort((a, b) => a.timeInMs - b.timeInMs || (a.id < b.id ? -1 : 1));
  const events = p.alert.events.filter((e) => ids.has(e.id));
  const iso = (ms: number) => new Date(ms).toISOString();
  return {
    channels: p.channels,
    eventKeys: keys,
    alert: {
      ...p.alert,
      id: alertIdFor(p.alert.tenantId, p.alert.ruleId, sorted[0].id),
      eventCount: keys.length,
      events,
      firstEventTime: events[0]?.activityDateTime ?? iso(sorted[0].timeInMs),
      lastEventTime: iso(sorted[sorted.length - 1].timeInMs),
    },
  };
}

function resolveChannels(deps: PollDeps, pending: PendingAlert, extra?: { known: readonly string[]; defaults: readonly string[] }): string[] {
  const defaultChannels = [...deps.settings.defaultChannels, ...(extra?.defaults ?? [])];
  const knownChannels = [...deps.settings.knownChannels, ...(extra?.known ?? [])];
  const out = new Set<string>();
  for (const id of pending.channels) {
    if (id === 'default') defaultChannels.forEach((c) => out.add(c));
    else if (knownChannels.includes(id)) out.add(id);
    else deps.log.error(`Rule ${pending.alert.ruleId} names unknown channel "${id}"; using the default channels for it`);
  }
  // An alert nobody hears about is lost: fall back to the defaults rather than write it with no delivery.
  if (out.size === 0) defaultChannels.forEach((c) => out.add(c));
  return [...out];
}

function nextCheckpoint(window: PollWindow, summary: PollSummary, failed: boolean, ascending: boolean, lastTimeInMs: number, log: Logger): Checkpoint | undefined {
  if (!failed && !summary.budgetExhausted) return { scannedTo: window.to.toISOString(), complete: true };
  if (summary.events === 0) return undefined;
  if (!ascending) {
    log.error('Graph did not return events oldest-first, so a partly read window cannot be resumed; the checkpoint stays');
    return undefined;
  }
  // Everything up to the newest event read is processed; events sharing that millisecond are re-read (and de-duplicated).
  return { scannedTo: new Date(lastTimeInMs).toISOString(), complete: false };
}

async function saveCheckpoint(deps: PollDeps, next: Checkpoint, extra: CheckpointExtra, etag: string | undefined): Promise<void> {
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
    const seenBefore = Math.min(now.getTime() - deps.settings.seenRetentionInHours * 3_600_000, window.from.getTime() - 3_600_000);
    const { deleted } = await deps.outbox.cleanup(deps.tenantId, now, {
      seenBefore: new Date(seenBefore),
      deliveredBefore: new Date(now.getTime() - deps.settings.deliveredRetentionInDays * 86_400_000),
    });
    if (deleted > 0) deps.log.info(`Cleanup removed ${deleted} old outbox row(s)`);
  } catch (err) {
    deps.log.warn(`Cleanup failed (retried next hour): ${errorText(err)}`);
  }
}
