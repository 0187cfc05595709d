import { authConfigChange, type AuthConfigRecord, authConfigTamperAlert } from '../../dispatch/authConfigTamper';
import { errorText } from '../../shared/logger';
import type { RunObservation, Transition } from '../../watch/incidents';
import { emptyWatchState, type WatchState } from '../../watch/runLedger';
import { watchdogAlert } from '../../watch/watchdogMessages';
import { tenantCheckEveryInMs } from '../../watch/tenantStalls';
import type { WatchDeps } from './watchDeps';

const cleanupEveryInMs = 60 * 60_000;
const maxDeletesPerCleanup = 1000;

/** No state row (first run, or the row was lost): take the frontier from the newest ledger rows. */
export async function recoveredState(deps: WatchDeps): Promise<WatchState> {
  const latest = await deps.store.latest(deps.tenantId, 5);
  const frontier = latest.find((e) => e.frontier)?.frontier;
  return { ...emptyWatchState(), ...(frontier ? { frontier } : {}) };
}

/** At most hourly: removes ledger rows older than the retention (bounded per run); a failure waits for the next run. */
export async function cleanupLedger(deps: WatchDeps, state: WatchState, now: Date): Promise<void> {
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
 * Home tenant, at most every 5 minutes: whether each registered tenant is polled, for the tenant-stalled
 * incidents. Undefined when not due or when reading failed (logged; the next run tries again).
 */
export async function checkTenantPolls(
  deps: WatchDeps,
  state: WatchState,
  now: Date,
): Promise<RunObservation['tenants']> {
  if (!deps.tenantPolls) return undefined;
  if (state.tenantsCheckedAt && now.getTime() - Date.parse(state.tenantsCheckedAt) < tenantCheckEveryInMs)
    return undefined;
  try {
    return { checkedAt: now.toISOString(), statuses: await deps.tenantPolls(now) };
  } catch (err) {
    deps.log.warn(`Checking that the registered tenants are polled failed (retried next run): ${errorText(err)}`);
    return undefined;
  }
}

/**
 * Records the auth setup in the new state; when it differs from the one the last run recorded, writes a
 * tamper alert (to the watchdog and the default channels) before the state commits. Its id comes from a
 * sequence in the state, so a retried or concurrent commit writes it once. 1 when an alert was written.
 */
export async function recordAuthConfig(
  deps: WatchDeps,
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

/** Writes the watchdog message of one incident transition to the outbox; 1 when it was new. */
export async function writeWatchdogMessage(deps: WatchDeps, t: Transition): Promise<number> {
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
