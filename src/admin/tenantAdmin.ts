import {
  normaliseTenantId,
  type Tenant,
  type TenantAuthState,
  tenantInputSchema,
  type TenantStore,
} from '../tenants/tenant';
import {
  ConflictError,
  type FieldProblem,
  NotFoundError,
  PreconditionFailedError,
  ValidationError,
} from '../shared/errors';
import type { Logger } from '../shared/logger';
import { evaluateHealth } from '../watch/health';
import type { AuthProblem } from '../watch/incidents';
import type { WatchStore } from '../watch/runLedger';
import { type ChangeRecorderDeps, recordChange, type TamperSpec } from './changeRecorder';
import type { WriteConditions } from './ruleAdmin';

/** What `POST /api/tenants/{id}/check` answers: one Graph request with the tenant's own token. */
export interface TenantCheckResult {
  tenantId: string;
  authState: TenantAuthState;
  error?: string;
  checkedAt: string;
}

/** The tenant side of the services (services.tenants), as the operator use cases need it. */
export interface TenantDirectory {
  store: TenantStore;
  /** AZURE_TENANT_ID: always polled, no row. */
  homeTenantId: string;
  check(tenantId: string, log: Logger): Promise<TenantCheckResult>;
  /** The admin-consent link, or undefined when no multi-tenant app client id is configured. */
  consentUrl(tenantId: string): string | undefined;
}

export interface TenantAdminDeps extends ChangeRecorderDeps {
  tenants: TenantDirectory;
  /** Checkpoint and watchdog state, one row pair per tenant partition (what the health report reads for the home tenant). */
  watch: Pick<WatchStore, 'read'>;
  /** The health thresholds (HEALTH_MAX_LAG_MINUTES, WATCHDOG_FAILED_POLLS): lag is judged as GET /api/health judges it. */
  settings: { maxLagInMinutes: number; failedPolls: number };
}

/** A tenant as the API, the CLI and the admin page show it: the row, and its polling state from PollState. */
export interface TenantView {
  id: string;
  displayName: string;
  /** The home tenant (AZURE_TENANT_ID): always polled, not a row, cannot be changed or removed here. */
  home: boolean;
  enabled: boolean;
  authState: TenantAuthState;
  authError?: string;
  authCheckedAt?: string;
  nextAuthRetryAt?: string;
  addedAt?: string;
  addedBy?: string;
  /** The last poll run that completed (the watchdog's lastSuccessAt). */
  lastSuccessfulPollAt?: string;
  /** How far the checkpoint has scanned. */
  scannedTo?: string;
  /** now − checkpoint, as the health report computes it; undefined before the first poll. */
  lagMinutes?: number;
  /** Open watchdog incidents (graph-auth, lag, poll failures, coverage gaps, failing channels). */
  openIncidents: number;
  /** The admin-consent link (registered tenants, when MULTI_TENANT_APP_CLIENT_ID is set). */
  consentUrl?: string;
  etag?: string;
}

/** What the home tenant's watchdog says about its sign-in, in the terms registered tenants use. */
const homeAuth: Record<AuthProblem, TenantAuthState> = {
  'sign-in': 'consent-missing',
  unauthorized: 'forbidden',
  forbidden: 'forbidden',
};

/** Reads each tenant's checkpoint and watchdog state: one range query per partition, a few at a time. */
async function pollStates(deps: TenantAdminDeps, ids: readonly string[]) {
  const out = new Map<string, Awaited<ReturnType<WatchStore['read']>>>();
  let next = 0;
  const worker = async () => {
    while (next < ids.length) {
      const id = ids[next++];
      out.set(id, await deps.watch.read(id));
    }
  };
  await Promise.all(Array.from({ length: Math.min(8, ids.length) }, worker));
  return out;
}

function view(
  deps: TenantAdminDeps,
  tenant: Tenant | undefined,
  id: string,
  state: Awaited<ReturnType<WatchStore['read']>> | undefined,
): TenantView {
  const report = evaluateHealth({
    now: deps.clock(),
    checkpoint: state?.checkpoint?.checkpoint,
    watch: state?.watch?.state,
    ruleProblems: [],
    settings: deps.settings,
  });
  const polling = {
    ...(report.polling.lastSuccessfulPollAt ? { lastSuccessfulPollAt: report.polling.lastSuccessfulPollAt } : {}),
    ...(report.polling.checkpoint ? { scannedTo: report.polling.checkpoint.scannedTo } : {}),
    ...(report.polling.lagMinutes !== undefined ? { lagMinutes: report.polling.lagMinutes } : {}),
    openIncidents: report.incidents.length,
  };
  if (!tenant) {
    const auth = Object.values(state?.watch?.state.incidents ?? {}).find((i) => i.condition === 'graph-auth');
    const authState: TenantAuthState = auth
      ? (homeAuth[auth.reason as AuthProblem] ?? 'forbidden')
      : polling.lastSuccessfulPollAt
        ? 'ok'
        : 'unknown';
    return {
      id,
      displayName: 'Home tenant (AZURE_TENANT_ID)',
      home: true,
      enabled: true,
      authState,
      ...(auth ? { authError: auth.detail, authCheckedAt: auth.openedAt } : {}),
      ...polling,
    };
  }
  const consentUrl = deps.tenants.consentUrl(tenant.id);
  const { etag, ...row } = tenant;
  return { ...row, home: false, ...polling, ...(consentUrl ? { consentUrl } : {}), ...(etag ? { etag } : {}) };
}

/** A tenant id from a URL or the CLI: a GUID (any case), or a 400 naming `id`. */
function tenantIdOf(deps: TenantAdminDeps, value: string, allowHome = false): string {
  if (allowHome && value.trim().toLowerCase() === deps.tenants.homeTenantId) return deps.tenants.homeTenantId;
  const id = normaliseTenantId(value);
  if (!id)
    throw new ValidationError(`tenant "${value}"`, [
      {
        field: 'id',
        message: `must be an Entra tenant id (a GUID such as 72f988bf-86f1-41af-91ab-2d7cd011db47), not "${value}"`,
      },
    ]);
  if (id === deps.tenants.homeTenantId && !allowHome)
    throw new ValidationError(`tenant ${id}`, [
      {
        field: 'id',
        message: `is the home tenant (AZURE_TENANT_ID): it is always polled and needs no registration`,
      },
    ]);
  return id;
}

/** The registered tenants, the home tenant first; each with sign-in state, last poll, lag and open incidents. */
export async function listTenants(deps: TenantAdminDeps): Promise<TenantView[]> {
  const home = deps.tenants.homeTenantId;
  const rows = (await deps.tenants.store.list()).filter((t) => t.id !== home);
  const states = await pollStates(deps, [home, ...rows.map((t) => t.id)]);
  return [view(deps, undefined, home, states.get(home)), ...rows.map((t) => view(deps, t, t.id, states.get(t.id)))];
}

export async function getTenant(deps: TenantAdminDeps, idText: string): Promise<TenantView> {
  const id = tenantIdOf(deps, idText, true);
  if (id === deps.tenants.homeTenantId) return view(deps, undefined, id, await deps.watch.read(id));
  const [tenant, state] = await Promise.all([deps.tenants.store.get(id), deps.watch.read(id)]);
  if (!tenant) throw new NotFoundError(`tenant ${id} is not registered`);
  return view(deps, tenant, id, state);
}

/** The body of PUT /api/tenants/{id}: `{ displayName, enabled? }` (an `id` equal to the URL's is allowed). */
function tenantInput(id: string, body: unknown) {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new ValidationError(`tenant ${id}`, [{ field: 'body', message: 'must be a JSON object' }]);
  const { id: given, ...rest } = body as Record<string, unknown>;
  if (given !== undefined && normaliseTenantId(given) !== id)
    throw new ValidationError(`tenant ${id}`, [
      { field: 'id', message: `must equal the id in the URL (${id}) or be left out` },
    ]);
  const parsed = tenantInputSchema.safeParse(rest);
  if (parsed.success) return parsed.data;
  const problems: FieldProblem[] = parsed.error.issues.flatMap((i) =>
    i.code === 'unrecognized_keys'
      ? i.keys.map((k) => ({ field: k, message: 'is not a known tenant field (displayName, enabled)' }))
      : [
          {
            field: i.path.map(String).join('.') || 'body',
            message: i.path.length && !(String(i.path[0]) in rest) ? 'is required' : i.message,
          },
        ],
  );
  throw new ValidationError(`tenant ${id}`, problems);
}

const describe = (t: Pick<Tenant, 'id' | 'displayName'>) => `${t.id} ("${t.displayName}")`;

/** Removing or disabling a polled tenant stops its alerts altogether: like disabling a critical rule, a tamper alert. */
function tamperFor(before: Tenant, verb: 'disabled' | 'removed', who: string): TamperSpec {
  return {
    ruleId: `tamper:tenant:${before.id}`,
    severity: 'high',
    title: `Tamper: tenant "${before.displayName}" ${verb}`,
    description: `${who} ${verb} tenant ${describe(before)}; its Cloud PKI activity is no longer polled or alerted on. If this was not planned, add it again (PUT /api/tenants/${before.id} or pki-alerts tenants add) and review who holds the admin role.`,
    channels: [],
  };
}

/**
 * Registers (201) or replaces (200) a tenant. `If-None-Match: *` (and `pki-alerts tenants add`) = register only:
 * 409 when it is registered; `If-Match` = replace (412 when stale or absent); neither = register, 409 when it exists.
 * A replace that changes nothing is not written or recorded.
 */
export async function putTenant(
  deps: TenantAdminDeps,
  idText: string,
  body: unknown,
  conditions: WriteConditions,
  who: string,
): Promise<{ tenant: TenantView; created: boolean }> {
  const id = tenantIdOf(deps, idText);
  const input = tenantInput(id, body);
  if (conditions.ifNoneMatch !== undefined && conditions.ifNoneMatch.trim() !== '*')
    throw new ValidationError('request', [{ field: 'If-None-Match', message: 'only * is supported (register only)' }]);
  const existing = await deps.tenants.store.get(id);
  if (conditions.ifMatch === undefined) {
    if (existing)
      throw new ConflictError(
        conditions.ifNoneMatch !== undefined
          ? `tenant ${describe(existing)} is already registered`
          : `tenant ${describe(existing)} is already registered: send If-Match with its ETag (from GET /api/tenants/${id}) to change it`,
      );
    const tenant: Tenant = {
      id,
      ...input,
      authState: 'unknown',
      addedAt: deps.clock().toISOString(),
      addedBy: who,
    };
    const stored = await deps.tenants.store.put(tenant, { mustBeNew: true });
    await recordChange(deps, { subject: 'tenant', subjectId: id, action: 'create', who, after: tenant });
    return { tenant: view(deps, stored, id, await deps.watch.read(id)), created: true };
  }
  if (!existing)
    throw new PreconditionFailedError(
      `tenant ${id} is not registered (If-Match needs a registered tenant; send If-None-Match: * to add it)`,
    );
  const given = conditions.ifMatch.trim();
  if (given !== '*' && given !== existing.etag)
    throw new PreconditionFailedError(
      `tenant ${describe(existing)} was changed since ETag ${given} was read; get it again and re-apply your change`,
    );
  const state = await deps.watch.read(id);
  if (existing.displayName === input.displayName && existing.enabled === input.enabled)
    return { tenant: view(deps, existing, id, state), created: false };
  const { etag, ...before } = existing;
  const after: Tenant = { ...before, ...input };
  const stored = await deps.tenants.store.put(after, { etag });
  await recordChange(
    deps,
    { subject: 'tenant', subjectId: id, action: 'replace', who, before, after },
    before.enabled && !after.enabled ? tamperFor(before, 'disabled', who) : undefined,
  );
  return { tenant: view(deps, stored, id, state), created: false };
}

/** What `removeTenant` tells the operator: the row is gone, the tenant's state and history are not. */
export const removalNote =
  'Polling stops from the next timer run. Its checkpoint, run ledger, alerts and change history are kept; adding the tenant again resumes from its checkpoint.';

/** Unregisters a tenant (404 when it is not registered; If-Match optional). Its history and state are kept. */
export async function removeTenant(
  deps: TenantAdminDeps,
  idText: string,
  conditions: WriteConditions,
  who: string,
): Promise<{ id: string; displayName: string; note: string }> {
  if (idText.trim().toLowerCase() === deps.tenants.homeTenantId)
    throw new ValidationError(`tenant ${deps.tenants.homeTenantId}`, [
      { field: 'id', message: 'is the home tenant (AZURE_TENANT_ID): it is always polled and cannot be removed' },
    ]);
  const id = tenantIdOf(deps, idText);
  const existing = await deps.tenants.store.get(id);
  if (!existing) throw new NotFoundError(`tenant ${id} is not registered`);
  const given = conditions.ifMatch?.trim();
  if (given && given !== '*' && given !== existing.etag)
    throw new PreconditionFailedError(`tenant ${describe(existing)} was changed since ETag ${given} was read`);
  if (!(await deps.tenants.store.remove(id))) throw new NotFoundError(`tenant ${id} is not registered`);
  const { etag: _etag, ...before } = existing;
  await recordChange(
    deps,
    { subject: 'tenant', subjectId: id, action: 'delete', who, before },
    before.enabled ? tamperFor(before, 'removed', who) : undefined,
  );
  return { id, displayName: existing.displayName, note: removalNote };
}

/** Signs in to the tenant and makes one Graph request now; the outcome is recorded on its row. */
export async function checkTenant(deps: TenantAdminDeps, idText: string): Promise<TenantCheckResult> {
  const id = tenantIdOf(deps, idText, true);
  if (id !== deps.tenants.homeTenantId && !(await deps.tenants.store.get(id)))
    throw new NotFoundError(`tenant ${id} is not registered`);
  return deps.tenants.check(id, deps.log);
}
