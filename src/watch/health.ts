import type { Checkpoint } from '../audit/pollWindow';
import type { RuleProblem } from '../rules/ruleStore';
import { formatDuration } from './coverage';
import type { WatchState } from './runLedger';

export type CheckStatus = 'ok' | 'warn' | 'fail';
export type HealthStatus = 'healthy' | 'degraded' | 'unhealthy';
export const checkNames = ['polling', 'graph', 'delivery', 'coverage', 'rules', 'tenants'] as const;
export type CheckName = (typeof checkNames)[number];

export interface HealthInput {
  now: Date;
  checkpoint?: Checkpoint;
  watch?: WatchState;
  ruleProblems: readonly RuleProblem[];
  settings: { maxLagInMinutes: number; failedPolls: number };
}

/** The health of the app from its own state. Every text in it is app-made or already redacted: never a URL or token. */
export interface HealthReport {
  status: HealthStatus;
  checkedAt: string;
  checks: Record<CheckName, { status: CheckStatus; message: string }>;
  polling: {
    lastRunAt?: string;
    lastSuccessfulPollAt?: string;
    checkpoint?: Checkpoint;
    lagMinutes?: number;
    maxLagMinutes: number;
    consecutiveFailures: number;
    lastError?: string;
  };
  incidents: { key: string; condition: string; subject?: string; openedAt: string; detail: string }[];
  channels: {
    id: string;
    failing: boolean;
    consecutiveFailures: number;
    lastStatus?: number;
    lastError?: string;
    lastSuccessAt?: string;
    lastFailureAt?: string;
  }[];
  coverage: { frontier?: string; recentGaps: { from: string; to: string; detectedAt: string }[] };
  rules: { problems: RuleProblem[] };
}

const dayInMs = 86_400_000;

/**
 * Decides the health from the checkpoint, the watchdog state and the rule problems. `fail` (→ unhealthy,
 * HTTP 503): the checkpoint lags more than HEALTH_MAX_LAG_MINUTES (also when the timer stopped, which no
 * watchdog run can report), Graph access is denied, polls failed WATCHDOG_FAILED_POLLS times in a row, or
 * a channel is failing. `warn` (→ degraded, 200): a recent coverage gap, skipped rules, a single failure, a
 * registered tenant not polled (an open tenant-stalled incident). Pure.
 */
export function evaluateHealth(input: HealthInput): HealthReport {
  const { now, checkpoint, watch, settings } = input;
  const incidents = Object.values(watch?.incidents ?? {});
  const lagInMs = checkpoint ? now.getTime() - Date.parse(checkpoint.scannedTo) : undefined;
  const failures = watch?.consecutiveFailures ?? 0;
  const checks = {} as HealthReport['checks'];

  checks.polling = !checkpoint
    ? { status: 'fail', message: 'no poll has completed yet' }
    : lagInMs! > settings.maxLagInMinutes * 60_000
      ? {
          status: 'fail',
          message: `the checkpoint is ${formatDuration(lagInMs!)} behind (max ${settings.maxLagInMinutes} min)`,
        }
      : { status: 'ok', message: `the checkpoint is ${formatDuration(Math.max(0, lagInMs!))} behind` };

  const auth = incidents.find((i) => i.condition === 'graph-auth');
  checks.graph = auth
    ? { status: 'fail', message: `access denied: ${auth.detail}` }
    : failures >= settings.failedPolls
      ? { status: 'fail', message: `${failures} polls failed in a row` }
      : failures > 0
        ? { status: 'warn', message: `the last ${failures === 1 ? 'poll' : `${failures} polls`} failed` }
        : { status: 'ok', message: 'the last poll succeeded' };

  const channels = Object.entries(watch?.channels ?? {}).map(([id, ch]) => ({
    id,
    failing: incidents.some((i) => i.key === `channel-failing:${id}`),
    ...ch,
  }));
  const failing = channels.filter((c) => c.failing).map((c) => c.id);
  const flaky = channels.filter((c) => !c.failing && c.consecutiveFailures > 0).map((c) => c.id);
  checks.delivery = failing.length
    ? { status: 'fail', message: `failing channel(s): ${failing.join(', ')}` }
    : flaky.length
      ? { status: 'warn', message: `recent failed attempts on: ${flaky.join(', ')}` }
      : { status: 'ok', message: 'no failing channel' };

  const recentGaps = (watch?.recentGaps ?? []).filter((g) => now.getTime() - Date.parse(g.detectedAt) < dayInMs);
  const gapOpen = incidents.some((i) => i.condition === 'coverage-gap');
  checks.coverage =
    gapOpen || recentGaps.length
      ? { status: 'warn', message: `${recentGaps.length || 1} coverage gap(s) in the last 24 h` }
      : { status: 'ok', message: 'no coverage gap in the last 24 h' };

  const problems = [...input.ruleProblems];
  checks.rules = problems.length
    ? {
        status: 'warn',
        message: `${problems.length} rule(s) skipped because they do not parse: ${problems.map((p) => p.ruleId).join(', ')}`,
      }
    : { status: 'ok', message: 'every rule parses' };

  // From the home watch state alone (no per-tenant read): the open tenant-stalled incidents of its last check.
  const stalled = incidents.filter((i) => i.condition === 'tenant-stalled');
  const named = stalled.filter((i) => i.subject).map((i) => `${i.subjectName ?? i.subject} (${i.subject})`);
  const more = stalled.some((i) => !i.subject) ? ' and more' : '';
  checks.tenants = stalled.length
    ? { status: 'warn', message: `registered tenant(s) not polled: ${named.join(', ') || 'several'}${more}` }
    : { status: 'ok', message: 'no registered tenant is known to be stalled' };

  const statuses = Object.values(checks).map((c) => c.status);
  return {
    status: statuses.includes('fail') ? 'unhealthy' : statuses.includes('warn') ? 'degraded' : 'healthy',
    checkedAt: now.toISOString(),
    checks,
    polling: {
      lastRunAt: watch?.lastRunAt,
      lastSuccessfulPollAt: watch?.lastSuccessAt,
      checkpoint,
      lagMinutes: lagInMs === undefined ? undefined : Math.round(lagInMs / 6_000) / 10,
      maxLagMinutes: settings.maxLagInMinutes,
      consecutiveFailures: failures,
      lastError: watch?.lastError,
    },
    incidents: incidents.map(({ key, condition, subject, openedAt, detail }) => ({
      key,
      condition,
      subject,
      openedAt,
      detail,
    })),
    channels,
    coverage: { frontier: watch?.frontier, recentGaps },
    rules: { problems },
  };
}

/** What the anonymous endpoint shows: the verdict and each check's status, no detail at all. */
export function publicHealth(report: HealthReport): {
  status: HealthStatus;
  checkedAt: string;
  checks: Record<CheckName, CheckStatus>;
} {
  const checks = Object.fromEntries(checkNames.map((n) => [n, report.checks[n].status])) as Record<
    CheckName,
    CheckStatus
  >;
  return { status: report.status, checkedAt: report.checkedAt, checks };
}
