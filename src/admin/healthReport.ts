import { describeCapabilities, type GraphCapabilityStore } from '../audit/graphCapabilities';
import type { Outbox } from '../dispatch/outbox';
import type { AdminAuthPosture } from '../config/adminAuthPosture';
import type { RuleStore } from '../rules/ruleStore';
import { errorText } from '../shared/logger';
import { type LedgerSummary, summarizeLedger } from '../watch/coverage';
import { evaluateHealth, type HealthReport } from '../watch/health';
import type { WatchStore } from '../watch/runLedger';
import type { TenantPollStatus } from '../watch/tenantStalls';

export interface HealthDeps {
  tenantId: string;
  store: WatchStore;
  rules: RuleStore;
  outbox: Outbox;
  clock: () => Date;
  settings: { maxLagInMinutes: number; failedPolls: number };
  /** Whether the admin API serves requests (adminAuthPosture); reported by the detail, not by the anonymous verdict. */
  adminApi?: () => AdminAuthPosture;
  /** Remembered Graph query capabilities (optional clauses the server refused). */
  graphCapabilities?: GraphCapabilityStore;
  /** Home tenant: whether each registered tenant is polled, read live by the detail (never by the verdict). */
  tenantPolls?: (now: Date) => Promise<readonly TenantPollStatus[]>;
}

/** The health detail: the report plus the last 24 h of the ledger and the state of the outbox deliveries. */
export interface HealthDetail extends HealthReport {
  last24h: LedgerSummary;
  deliveries: {
    /** Count per delivery state (pending, sending, sent, failed, dead, ...) among the recent alerts. */
    byState: Record<string, number>;
    oldestPendingSince?: string;
    /** Channels with failed or dead deliveries, and how many. */
    failedByChannel: Record<string, number>;
  };
  /** The admin API: its auth mode, whether it serves requests, and if not, why (the same text its 503 answers carry). */
  adminApi?: { mode: 'key' | 'entra'; open: boolean; detail: string };
  /** The audit-event query as the server allows it: one line per optional clause seen accepted or refused. */
  graph?: { query: string[] };
  /** Alerts set aside because they could not be stored: list and retry them (`pki-alerts quarantine`). */
  quarantine: { count: number; oldest?: string };
  /**
   * Home tenant with registered tenants: those not polled for more than HEALTH_MAX_LAG_MINUTES, read now
   * (the `tenants` check reflects the watchdog's last check, at most 5 min old). `error` when it could not be read.
   */
  tenants?: {
    registered: number;
    stalled: { id: string; name: string; scannedTo?: string; addedAt?: string; notPolledForMinutes: number }[];
    error?: string;
  };
}

const recentAlerts = 1000;

/** The health verdict (two requests: checkpoint + watchdog state, rules). What the anonymous endpoint serves. */
export async function checkHealth(deps: HealthDeps): Promise<HealthReport> {
  const [{ checkpoint, watch }, rules] = await Promise.all([
    deps.store.read(deps.tenantId),
    deps.rules.list(deps.tenantId),
  ]);
  return evaluateHealth({
    now: deps.clock(),
    checkpoint: checkpoint?.checkpoint,
    watch: watch?.state,
    ruleProblems: rules.problems,
    settings: deps.settings,
  });
}

/** The report with the ledger's last 24 h and the delivery states: for the reader endpoint and `pki-alerts status`. */
export async function healthDetail(deps: HealthDeps): Promise<HealthDetail> {
  const report = await checkHealth(deps);
  const since = new Date(Date.parse(report.checkedAt) - 86_400_000);
  const [entries, alerts, capabilities, quarantined, tenants] = await Promise.all([
    deps.store.list(deps.tenantId, since),
    deps.outbox.listAlerts(deps.tenantId, { limit: recentAlerts }),
    deps.graphCapabilities?.get(deps.tenantId).catch(() => undefined),
    deps.outbox.listQuarantine(deps.tenantId),
    stalledTenants(deps, new Date(report.checkedAt)),
  ]);
  const byState: Record<string, number> = {};
  const failedByChannel: Record<string, number> = {};
  let oldestPendingSince: string | undefined;
  for (const d of alerts.flatMap((a) => a.deliveries)) {
    byState[d.state] = (byState[d.state] ?? 0) + 1;
    if (d.state === 'failed' || d.state === 'dead')
      failedByChannel[d.channelId] = (failedByChannel[d.channelId] ?? 0) + 1;
    if ((d.state === 'pending' || d.state === 'sending') && (!oldestPendingSince || d.createdAt < oldestPendingSince))
      oldestPendingSince = d.createdAt;
  }
  const posture = deps.adminApi?.();
  const adminApi = posture && {
    mode: posture.mode,
    open: posture.ok,
    detail: posture.ok ? posture.summary : posture.problem,
  };
  const quarantine = { count: quarantined.length, ...(quarantined[0] ? { oldest: quarantined[0].createdAt } : {}) };
  return {
    ...report,
    quarantine,
    last24h: summarizeLedger(entries),
    deliveries: { byState, ...(oldestPendingSince ? { oldestPendingSince } : {}), failedByChannel },
    ...(adminApi ? { adminApi } : {}),
    ...(deps.graphCapabilities ? { graph: { query: describeCapabilities(capabilities) } } : {}),
    ...(tenants ? { tenants } : {}),
  };
}

async function stalledTenants(deps: HealthDeps, now: Date): Promise<HealthDetail['tenants']> {
  if (!deps.tenantPolls) return undefined;
  try {
    const statuses = await deps.tenantPolls(now);
    if (!statuses.length) return undefined;
    const stalled = statuses
      .filter((t) => t.state === 'stalled')
      .sort((a, b) => b.notPolledForMs - a.notPolledForMs)
      .map(({ id, name, scannedTo, addedAt, notPolledForMs }) => ({
        id,
        name,
        ...(scannedTo ? { scannedTo } : {}),
        ...(addedAt ? { addedAt } : {}),
        notPolledForMinutes: Math.round(notPolledForMs / 60_000),
      }));
    return { registered: statuses.length, stalled };
  } catch (err) {
    return { registered: 0, stalled: [], error: `the registered tenants could not be read: ${errorText(err)}` };
  }
}
