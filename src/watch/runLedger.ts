import type { CheckpointExtra, VersionedCheckpoint } from '../audit/checkpointStore';
import type { Checkpoint } from '../audit/pollWindow';
import type { AuthConfigRecord } from '../dispatch/authConfigTamper';

/**
 * One run of the poll cycle as recorded in the coverage ledger: what it scanned, what it found and sent,
 * and how it ended. Rows are never updated; together they prove which time ranges were examined.
 */
export interface LedgerEntry {
  /** Unique per run (also the end of the row key). */
  runId: string;
  startedAt: string;
  finishedAt: string;
  durationInMs: number;
  /** What started the run: `timer`, `cli`, ... */
  trigger: string;
  /** The timer occurrence was missed and this run started late (`isPastDue`). */
  pastDue: boolean;
  /** The window asked of Graph; empty when the run failed before computing it. */
  windowFrom: string;
  windowTo: string;
  basis: string;
  /** How far this run's scan reached: [windowFrom, coveredTo] was examined. Empty = nothing was covered. */
  coveredTo: string;
  /** Everything before this instant has been covered since the ledger began (after this run). */
  frontier: string;
  /** A range no run ever scanned, found by this run ([gapFrom, gapTo]); empty when none. */
  gapFrom: string;
  gapTo: string;
  pages: number;
  events: number;
  malformed: number;
  rulesEvaluated: number;
  ruleProblems: number;
  matches: number;
  duplicates: number;
  alerts: number;
  budgetExhausted: boolean;
  deliveriesDue: number;
  sent: number;
  retrying: number;
  failed: number;
  dead: number;
  /** now − checkpoint after the run, in seconds (−1 when there is no checkpoint). */
  lagInSeconds: number;
  graphRequests: number;
  tableRequests: number;
  /** The poll (Graph or state) failed; what it read before failing is still covered. */
  pollFailed: boolean;
  /** Redacted error text of a failed poll or delivery step; empty on success. */
  error: string;
  /** HTTP status of a failed Graph request (0 when none). */
  graphStatus: number;
  /** Watchdog messages this run put in the outbox (opened + resolved). */
  watchdogAlerts: number;
}

/** The conditions the watchdog raises incidents for. */
export type WatchCondition =
  'graph-auth' | 'poll-failures' | 'lag' | 'channel-failing' | 'coverage-gap' | 'admin-api-closed' | 'tenant-stalled';

/** An open incident: alerted once when it opened, resolved once when it clears. */
export interface Incident {
  /** `condition` or `condition:subject` (e.g. `channel-failing:teams`). */
  key: string;
  condition: WatchCondition;
  subject?: string;
  /** The subject's display name (tenant-stalled: the tenant's), for messages. */
  subjectName?: string;
  /** Per key, increments with each new incident: part of the alert id, so a concurrent run cannot alert twice. */
  seq: number;
  openedAt: string;
  /** Which variant of the condition: the auth problem, or `stalled` / `behind` for lag. */
  reason?: string;
  /** The latest detail (redacted error, lag, gap range) for messages and health. */
  detail: string;
  gaps?: { from: string; to: string }[];
  /** On a resolved tenant-stalled incident: why it cleared (`polled`, `disabled`, `sign-in-failing`, `removed`). */
  resolution?: string;
}

/** Per-channel delivery health as observed by the poll cycles. */
export interface ChannelHealth {
  consecutiveFailures: number;
  lastFailureAt?: string;
  lastSuccessAt?: string;
  lastError?: string;
  lastStatus?: number;
}

/** The watchdog's durable state: one row per tenant next to the checkpoint, ETag-guarded. */
export interface WatchState {
  frontier?: string;
  lastRunAt?: string;
  lastSuccessAt?: string;
  consecutiveFailures: number;
  lastError?: string;
  channels: Record<string, ChannelHealth>;
  incidents: Record<string, Incident>;
  /** Last incident sequence per key (kept after an incident closes). */
  sequences: Record<string, number>;
  /** The most recent gaps (bounded), newest last. */
  recentGaps: { from: string; to: string; detectedAt: string }[];
  ledgerCleanedAt?: string;
  /** Home tenant: when the run last checked that every registered tenant is polled (tenantStalls.ts). */
  tenantsCheckedAt?: string;
  /** The admin API's authorization setup as of the last run: a change raises a tamper alert (authConfigTamper.ts). */
  adminAuth?: AuthConfigRecord;
}

export const emptyWatchState = (): WatchState => ({
  consecutiveFailures: 0,
  channels: {},
  incidents: {},
  sequences: {},
  recentGaps: [],
});

export interface VersionedWatchState {
  state: WatchState;
  etag: string;
}

/** A checkpoint move decided by the poll, committed in the same transaction as the run's ledger row. */
export interface PendingCheckpoint {
  checkpoint: Checkpoint;
  extra: CheckpointExtra;
  etag: string | undefined;
}

/**
 * Where the ledger and the watchdog state live. `read` returns the checkpoint and the watchdog state in
 * one request; `commit` writes a ledger row and the new state in one transaction (`conflict` when the
 * state changed since `etag` was read: nothing written).
 */
export interface WatchStore {
  read(tenantId: string): Promise<{ checkpoint?: VersionedCheckpoint; watch?: VersionedWatchState }>;
  commit(
    tenantId: string,
    entry: LedgerEntry,
    state: WatchState,
    etag: string | undefined,
    checkpoint?: PendingCheckpoint,
  ): Promise<'ok' | 'conflict'>;
  /** Appends a ledger row alone (when the state could not be committed). */
  append(tenantId: string, entry: LedgerEntry): Promise<void>;
  /** Ledger rows that started at or after `since`, newest first. */
  list(tenantId: string, since: Date): Promise<LedgerEntry[]>;
  /** The most recent rows, newest first (to recover a frontier). */
  latest(tenantId: string, count: number): Promise<LedgerEntry[]>;
  /** Deletes up to `max` rows that started before `before`; returns how many. */
  deleteBefore(tenantId: string, before: Date, max: number): Promise<number>;
}
