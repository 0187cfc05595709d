import { coverageStep, formatDuration, formatInstant } from './coverage';
import type { Incident, WatchCondition, WatchState } from './runLedger';
import { decideTenantStalls, type TenantPollStatus } from './tenantStalls';

/** Thresholds of the watchdog (WATCHDOG_FAILED_POLLS, WATCHDOG_CHANNEL_FAILURES, HEALTH_MAX_LAG_MINUTES). */
export interface WatchSettings {
  failedPolls: number;
  channelFailures: number;
  maxLagInMinutes: number;
}

/** Why Graph could not be read because of identity or permission (each has its own remedy). */
export type AuthProblem = 'unauthorized' | 'forbidden' | 'sign-in';

/** One send attempt to a channel, as observed during the run, in order. */
export interface ChannelAttempt {
  channelId: string;
  ok: boolean;
  error?: string;
  status?: number;
}

/** What one run observed: the input of the watchdog's decision. */
export interface RunObservation {
  startedAt: string;
  finishedAt: string;
  pollFailed: boolean;
  /** Redacted. */
  pollError?: string;
  auth?: AuthProblem;
  graphStatus?: number;
  /** The checkpoint after the run; undefined when there is none. */
  checkpointAt?: string;
  /** The checkpoint the run started from: everything before it was covered, even by a run that crashed before the ledger recorded it. */
  checkpointBefore?: string;
  windowFrom?: string;
  coveredTo?: string;
  attempts: readonly ChannelAttempt[];
  /** Why the admin API refuses every request (adminAuthPosture), when it does. */
  adminApiClosed?: string;
  /** Home tenant, at most every 5 min: whether each registered tenant is polled; undefined when not checked. */
  tenants?: { checkedAt: string; statuses: readonly TenantPollStatus[] };
}

export interface Transition {
  change: 'opened' | 'resolved';
  incident: Incident;
  /** When the run decided it. */
  at: string;
}

// A channel answering one of these is broken as a whole (flow deleted, trigger auth changed), not just one payload.
const channelLevelStatuses = new Set([401, 403, 404, 410]);
const maxRecentGaps = 10;
const ms = (iso: string) => Date.parse(iso);

/**
 * The watchdog's decision for one run: the new state and which incidents opened or resolved. An incident
 * opens once when its condition starts and resolves once when a later run shows it cleared; while it stays
 * open nothing is re-sent. Pure: the caller persists the state (ETag) and writes one message per transition.
 */
export function evaluateWatchdog(
  previous: WatchState,
  obs: RunObservation,
  settings: WatchSettings,
): { state: WatchState; transitions: Transition[]; gap?: { from: string; to: string } } {
  const s: WatchState = structuredClone(previous);
  const maxLagInMs = settings.maxLagInMinutes * 60_000;
  const stalledForMs = s.lastRunAt ? ms(obs.startedAt) - ms(s.lastRunAt) : 0;
  const stalled = stalledForMs > maxLagInMs;

  // The checkpoint only ever moves over processed ranges, so it proves coverage up to it: a run that crashed
  // after moving it (before its ledger row) must not look like a gap. A lost checkpoint proves nothing.
  if (obs.checkpointBefore && (!s.frontier || ms(obs.checkpointBefore) > ms(s.frontier)))
    s.frontier = obs.checkpointBefore;
  const step = coverageStep(s.frontier, obs.windowFrom, obs.coveredTo);
  s.frontier = step.frontier;
  if (step.gap) s.recentGaps = [...s.recentGaps, { ...step.gap, detectedAt: obs.finishedAt }].slice(-maxRecentGaps);

  if (obs.pollFailed) {
    s.consecutiveFailures++;
    s.lastError = obs.pollError;
  } else {
    s.consecutiveFailures = 0;
    s.lastSuccessAt = obs.finishedAt;
    delete s.lastError;
  }
  s.lastRunAt = obs.startedAt;

  const succeeded = new Set<string>();
  for (const a of obs.attempts) {
    const ch = (s.channels[a.channelId] ??= { consecutiveFailures: 0 });
    if (a.ok) {
      ch.consecutiveFailures = 0;
      ch.lastSuccessAt = obs.finishedAt;
      succeeded.add(a.channelId);
    } else {
      ch.consecutiveFailures++;
      ch.lastFailureAt = obs.finishedAt;
      ch.lastError = a.error;
      ch.lastStatus = a.status;
    }
  }

  const transitions: Transition[] = [];
  const decide = (
    condition: WatchCondition,
    subject: string | undefined,
    active: boolean,
    clear: boolean,
    detail: string,
    reason?: string,
    extra: Partial<Incident> = {},
  ) => {
    const key = subject ? `${condition}:${subject}` : condition;
    const open = s.incidents[key];
    // One sequence for every tenant's stall (the key keeps ids apart): the state does not grow per tenant ever seen.
    const seqKey = condition === 'tenant-stalled' ? condition : key;
    if (active && !open) {
      const seq = (s.sequences[seqKey] ?? 0) + 1;
      s.sequences[seqKey] = seq;
      const incident: Incident = {
        key,
        condition,
        ...(subject ? { subject } : {}),
        ...extra,
        seq,
        openedAt: obs.finishedAt,
        ...(reason ? { reason } : {}),
        detail,
        ...(condition === 'coverage-gap' && step.gap ? { gaps: [step.gap] } : {}),
      };
      s.incidents[key] = incident;
      transitions.push({ change: 'opened', incident, at: obs.finishedAt });
    } else if (active && open) {
      Object.assign(open, extra, { detail });
      if (condition === 'coverage-gap' && step.gap) open.gaps = [...(open.gaps ?? []), step.gap].slice(-maxRecentGaps);
    } else if (!active && open && clear) {
      delete s.incidents[key];
      transitions.push({ change: 'resolved', incident: { ...open, ...extra }, at: obs.finishedAt });
    }
  };

  const statusText = obs.graphStatus ? `Graph answered HTTP ${obs.graphStatus}` : 'sign-in failed';
  decide(
    'graph-auth',
    undefined,
    obs.pollFailed && obs.auth !== undefined,
    !obs.pollFailed,
    `${statusText}: ${obs.pollError ?? ''}`.trim(),
    obs.auth,
  );
  decide(
    'poll-failures',
    undefined,
    obs.pollFailed && obs.auth === undefined && s.consecutiveFailures >= settings.failedPolls,
    !obs.pollFailed,
    `${s.consecutiveFailures} polls failed in a row; last error: ${obs.pollError ?? 'unknown'}`,
  );

  decide('admin-api-closed', undefined, Boolean(obs.adminApiClosed), !obs.adminApiClosed, obs.adminApiClosed ?? '');

  const lagInMs = obs.checkpointAt ? ms(obs.finishedAt) - ms(obs.checkpointAt) : 0;
  const behind = !obs.pollFailed && lagInMs > maxLagInMs;
  const lagDetail = stalled
    ? `no poll ran for ${formatDuration(stalledForMs)} (last run ${formatInstant(previous.lastRunAt!)})`
    : `the checkpoint is ${formatDuration(lagInMs)} behind (at ${formatInstant(obs.checkpointAt ?? '')})`;
  decide(
    'lag',
    undefined,
    stalled || behind,
    !stalled && !behind && !obs.pollFailed,
    lagDetail,
    stalled ? 'stalled' : 'behind',
  );

  const gapText = (g: { from: string; to: string }) =>
    `${formatInstant(g.from)} – ${formatInstant(g.to)} (${formatDuration(ms(g.to) - ms(g.from))})`;
  decide(
    'coverage-gap',
    undefined,
    step.gap !== undefined,
    step.gap === undefined && Boolean(obs.coveredTo),
    step.gap ? `never scanned: ${gapText(step.gap)}` : '',
  );

  const channelIds = new Set([
    ...Object.keys(s.channels),
    ...Object.values(s.incidents)
      .filter((i) => i.condition === 'channel-failing')
      .map((i) => i.subject!),
  ]);
  for (const id of channelIds) {
    const ch = s.channels[id] ?? { consecutiveFailures: 0 };
    const broken =
      ch.consecutiveFailures >= settings.channelFailures ||
      (ch.consecutiveFailures > 0 && channelLevelStatuses.has(ch.lastStatus ?? 0));
    const detail = `${ch.consecutiveFailures} failed ${ch.consecutiveFailures === 1 ? 'attempt' : 'attempts in a row'}; last: ${ch.lastError ?? 'unknown'}`;
    decide('channel-failing', id, broken, succeeded.has(id) && ch.consecutiveFailures === 0, detail);
  }

  if (obs.tenants) {
    s.tenantsCheckedAt = obs.tenants.checkedAt;
    decideTenantStalls(obs.tenants.statuses, Object.values(s.incidents), (subject, active, clear, detail, extra) =>
      decide('tenant-stalled', subject, active, clear, detail, undefined, extra),
    );
  }
  return { state: s, transitions, ...(step.gap ? { gap: step.gap } : {}) };
}

/** Classifies a poll error: a Graph identity or permission problem (own incident and remedy), with the HTTP status if any. */
export function classifyPollError(err: unknown): { auth?: AuthProblem; status?: number } {
  const e = err as { statusCode?: unknown; status?: unknown; name?: unknown } | null;
  const status =
    typeof e?.statusCode === 'number' ? e.statusCode : typeof e?.status === 'number' ? e.status : undefined;
  const name = typeof e?.name === 'string' ? e.name : '';
  if (/^(AuthenticationError|CredentialUnavailableError|AggregateAuthenticationError)$/.test(name))
    return { auth: 'sign-in', status };
  // Table Storage (RestError) answering 401 / 403 is a storage role problem, not Graph: counted as a failed poll.
  if (name === 'RestError') return { status };
  if (status === 401) return { auth: 'unauthorized', status };
  if (status === 403) return { auth: 'forbidden', status };
  return { status };
}
