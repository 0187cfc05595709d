import { randomUUID } from 'node:crypto';
import { errorText, type Logger } from '../../shared/logger';
import type { RunObservation, Transition } from '../../watch/incidents';
import type { LedgerEntry, WatchState } from '../../watch/runLedger';
import type { DeliverySummary } from '../deliverPending';
import type { PollSummary } from '../runPoll';
import { type CycleOptions, short } from './watchDeps';

/** What the watch knows about its run apart from the observation: when it began, how, and the request counts. */
export interface RunFacts {
  startedAt: Date;
  options: CycleOptions;
  summary: PollSummary | undefined;
  graphRequests: number;
  tableRequests: number;
}

/** The run's coverage-ledger row. */
export function ledgerEntry(
  run: RunFacts,
  obs: RunObservation,
  state: WatchState,
  now: Date,
  gap: { from: string; to: string } | undefined,
  watchdogAlerts: number,
  d: DeliverySummary | undefined,
  deliveryError: unknown,
): LedgerEntry {
  const { summary, options } = run;
  const errors = [
    obs.pollError,
    deliveryError === undefined ? undefined : `delivery: ${errorText(deliveryError)}`,
  ].filter(Boolean);
  return {
    runId: randomUUID().slice(0, 8),
    startedAt: obs.startedAt,
    finishedAt: obs.finishedAt,
    durationInMs: now.getTime() - run.startedAt.getTime(),
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
    graphRequests: run.graphRequests,
    tableRequests: run.tableRequests + 1, // + the ledger transaction itself
    pollFailed: obs.pollFailed,
    error: short(errors.join('; '), 2000),
    graphStatus: obs.graphStatus ?? 0,
    watchdogAlerts,
  };
}

/** Logs the run: incident transitions, a coverage gap, and one structured metrics line. */
export function reportRun(log: Logger, e: LedgerEntry, transitions: Transition[], openIncidents: number): void {
  for (const t of transitions) {
    const line = `Watchdog incident ${t.change}: ${t.incident.key} (${t.incident.detail})`;
    if (t.change === 'opened') log.warn(line);
    else log.info(line);
  }
  if (e.gapFrom) log.error(`Coverage gap: audit events from ${e.gapFrom} to ${e.gapTo} were never scanned`);
  // One structured line per run: the metrics to chart (Application Insights: traces where message starts with "metric pki.run").
  log.info('metric pki.run', {
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
