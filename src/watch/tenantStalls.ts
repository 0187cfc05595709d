import type { Tenant } from '../tenants/tenant';
import { formatDuration, formatInstant } from './coverage';
import type { Incident } from './runLedger';

/** How often the home tenant's run checks that the registered tenants are polled. */
export const tenantCheckEveryInMs = 5 * 60_000;
/**
 * At most this many stalled tenants get an incident (and a message) of their own; beyond it one more incident
 * counts the rest. Keeps the home watch state row bounded when every tenant stalls at once (a broken queue).
 */
export const maxTenantStallIncidents = 20;

/**
 * A registered tenant as the check sees it: `polled` (its checkpoint is recent), `stalled`, `disabled`, or
 * `sign-in-failing` (consent-missing / forbidden: its own run raises the graph-auth incident and it is
 * polled only every TENANT_AUTH_RETRY_MINUTES, so an old checkpoint is expected).
 */
export type TenantPollState = 'polled' | 'stalled' | 'disabled' | 'sign-in-failing';

export interface TenantPollStatus {
  id: string;
  name: string;
  state: TenantPollState;
  /** Its checkpoint (everything before it was read); undefined when it has none. */
  scannedTo?: string;
  addedAt?: string;
  /** now − scannedTo, or now − addedAt when it has no checkpoint (unknown addedAt: 0). */
  notPolledForMs: number;
}

/** Where the check reads: the registered tenants (one query) and their checkpoints. */
export interface TenantPollSource {
  list(): Promise<Tenant[]>;
  scannedTo(tenantIds: readonly string[]): Promise<ReadonlyMap<string, string>>;
}

const signInFailing = (t: Tenant) => t.authState === 'consent-missing' || t.authState === 'forbidden';

/**
 * The decision, pure: a tenant is stalled when it is enabled, its sign-in is not failing, and its checkpoint is
 * older than HEALTH_MAX_LAG_MINUTES, or it has none and was added longer ago than that (or when is unknown).
 * The home tenant is left out: its own run watches its lag.
 */
export function tenantPollStatuses(
  tenants: readonly Tenant[],
  scannedTo: ReadonlyMap<string, string>,
  now: Date,
  maxLagInMinutes: number,
  homeTenantId: string,
): TenantPollStatus[] {
  const maxLagInMs = maxLagInMinutes * 60_000;
  return tenants
    .filter((t) => t.id !== homeTenantId)
    .map((t) => {
      const checkpoint = scannedTo.get(t.id);
      const since = Date.parse(checkpoint ?? t.addedAt);
      const age = Number.isFinite(since) ? now.getTime() - since : undefined;
      const state: TenantPollState = !t.enabled
        ? 'disabled'
        : signInFailing(t)
          ? 'sign-in-failing'
          : age === undefined || age > maxLagInMs
            ? 'stalled'
            : 'polled';
      return {
        id: t.id,
        name: t.displayName,
        state,
        ...(checkpoint ? { scannedTo: checkpoint } : {}),
        ...(t.addedAt ? { addedAt: t.addedAt } : {}),
        notPolledForMs: Math.max(0, age ?? 0),
      };
    });
}

/** Reads the tenants and the checkpoints of those that should be polled, then decides (1 + ⌈n / 14⌉ queries). */
export async function readTenantPolls(
  source: TenantPollSource,
  homeTenantId: string,
  now: Date,
  maxLagInMinutes: number,
): Promise<TenantPollStatus[]> {
  const tenants = await source.list();
  const watched = tenants.filter((t) => t.id !== homeTenantId && t.enabled && !signInFailing(t)).map((t) => t.id);
  const scannedTo = await source.scannedTo(watched);
  return tenantPollStatuses(tenants, scannedTo, now, maxLagInMinutes, homeTenantId);
}

/** The one-line detail of a stalled tenant's incident (no name: the incident carries it). */
export function stallDetail(t: TenantPollStatus): string {
  const lasted = formatDuration(t.notPolledForMs);
  if (t.scannedTo) return `not polled for ${lasted} (checkpoint at ${formatInstant(t.scannedTo)})`;
  return t.addedAt ? `never polled since it was added ${lasted} ago (${formatInstant(t.addedAt)})` : 'never polled';
}

type Decide = (
  subject: string | undefined,
  active: boolean,
  clear: boolean,
  detail: string,
  extra?: Partial<Incident>,
) => void;

/**
 * The tenant-stalled incidents of one check: one per stalled tenant (already open ones first, then the longest
 * stalled, up to maxTenantStallIncidents), resolved when the tenant is polled again, disabled, failing sign-in
 * (its own incident) or removed; and one incident without a subject while more tenants stall than that.
 */
export function decideTenantStalls(statuses: readonly TenantPollStatus[], open: readonly Incident[], decide: Decide) {
  const openIds = new Set(open.filter((i) => i.condition === 'tenant-stalled' && i.subject).map((i) => i.subject!));
  const stalled = statuses
    .filter((t) => t.state === 'stalled')
    .sort(
      (a, b) =>
        Number(openIds.has(b.id)) - Number(openIds.has(a.id)) ||
        b.notPolledForMs - a.notPolledForMs ||
        a.id.localeCompare(b.id),
    );
  const alerted = stalled.slice(0, maxTenantStallIncidents);
  for (const t of alerted) decide(t.id, true, false, stallDetail(t), { subjectName: t.name.slice(0, 80) });
  const byId = new Map(statuses.map((t) => [t.id, t]));
  const alertedIds = new Set(alerted.map((t) => t.id));
  for (const id of openIds) {
    if (alertedIds.has(id)) continue;
    const t = byId.get(id);
    const resolution = !t ? 'removed' : t.state;
    const detail = t?.scannedTo ? `checkpoint at ${formatInstant(t.scannedTo)}` : '';
    decide(id, false, true, detail, { resolution, detail });
  }
  const rest = stalled.slice(maxTenantStallIncidents);
  const names = rest.slice(0, 10).map((t) => `${t.name.slice(0, 40)} (${t.id})`);
  decide(
    undefined,
    rest.length > 0,
    rest.length === 0,
    `${rest.length} more tenant(s) not polled: ${names.join(', ')}${rest.length > names.length ? ', …' : ''}`,
  );
}
