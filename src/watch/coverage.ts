import type { LedgerEntry } from './runLedger';

export interface CoverageStep {
  /** A range no run scanned, or undefined. */
  gap?: { from: string; to: string };
  /** The frontier after this run. */
  frontier?: string;
}

const ms = (iso: string) => Date.parse(iso);

/**
 * Decides, for one run that scanned [windowFrom, coveredTo], whether it left a gap behind the coverage
 * frontier (the instant before which every range has been scanned or reported), and the new frontier.
 * Windows normally overlap the frontier by the lookback; a window that starts after it (a lost checkpoint,
 * a capped catch-up) leaves [frontier, windowFrom] unscanned. A run that covered nothing proves nothing
 * and moves nothing: the next run starts from the same checkpoint. Pure.
 */
export function coverageStep(
  frontier: string | undefined,
  windowFrom: string | undefined,
  coveredTo: string | undefined,
): CoverageStep {
  if (!coveredTo || !windowFrom) return { frontier };
  if (!frontier) return { frontier: coveredTo };
  const next = ms(coveredTo) > ms(frontier) ? coveredTo : frontier;
  if (ms(windowFrom) > ms(frontier)) return { gap: { from: frontier, to: windowFrom }, frontier: next };
  return { frontier: next };
}

/** What the ledger says about a period: the figures of the heartbeat and the health detail. */
export interface LedgerSummary {
  polls: number;
  failedPolls: number;
  pastDue: number;
  events: number;
  matches: number;
  alerts: number;
  sent: number;
  deliveryFailures: number;
  watchdogAlerts: number;
  gaps: { from: string; to: string }[];
  maxLagInSeconds: number;
  firstRunAt?: string;
  lastRunAt?: string;
}

/** Adds up ledger rows (any order). Pure. */
export function summarizeLedger(entries: readonly LedgerEntry[]): LedgerSummary {
  const s: LedgerSummary = {
    polls: 0,
    failedPolls: 0,
    pastDue: 0,
    events: 0,
    matches: 0,
    alerts: 0,
    sent: 0,
    deliveryFailures: 0,
    watchdogAlerts: 0,
    gaps: [],
    maxLagInSeconds: 0,
  };
  for (const e of entries) {
    s.polls++;
    if (e.pollFailed) s.failedPolls++;
    if (e.pastDue) s.pastDue++;
    s.events += e.events;
    s.matches += e.matches;
    s.alerts += e.alerts;
    s.sent += e.sent;
    s.deliveryFailures += e.retrying + e.failed + e.dead;
    s.watchdogAlerts += e.watchdogAlerts;
    if (e.gapFrom) s.gaps.push({ from: e.gapFrom, to: e.gapTo });
    s.maxLagInSeconds = Math.max(s.maxLagInSeconds, e.lagInSeconds);
    if (!s.firstRunAt || e.startedAt < s.firstRunAt) s.firstRunAt = e.startedAt;
    if (!s.lastRunAt || e.startedAt > s.lastRunAt) s.lastRunAt = e.startedAt;
  }
  s.gaps.sort((a, b) => a.from.localeCompare(b.from));
  return s;
}

/** `12 min`, `3 h 5 min`, `2 d 4 h`: a duration for humans. */
export function formatDuration(totalMs: number): string {
  const minutes = Math.max(0, Math.round(totalMs / 60_000));
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
  const days = Math.floor(hours / 24);
  return hours % 24 ? `${days} d ${hours % 24} h` : `${days} d`;
}

/** `2026-11-25 10:00 UTC`: an instant for humans. */
export const formatInstant = (iso: string): string =>
  Number.isFinite(Date.parse(iso)) ? `${new Date(iso).toISOString().slice(0, 16).replace('T', ' ')} UTC` : iso;
