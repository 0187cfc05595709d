import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, inject, it } from 'vitest';
import {
  checkTenant,
  getTenant,
  listTenants,
  putTenant,
  removeTenant,
  type TenantAdminDeps,
  type TenantCheckResult,
} from '../../../src/admin/tenantAdmin';
import type { PendingAlert } from '../../../src/dispatch/alertAccumulator';
import { ConflictError, NotFoundError, PreconditionFailedError, ValidationError } from '../../../src/shared/errors';
import { createLogger } from '../../../src/shared/logger';
import { RequestCounter, TableClients } from '../../../src/state/tableClients';
import { TableRuleHistory } from '../../../src/state/tableRuleHistory';
import { TableTenantStore } from '../../../src/state/tableTenantStore';
import { TableWatchStore } from '../../../src/state/tableWatchStore';
import { adminConsentUrl } from '../../../src/tenants/tenant';
import { emptyWatchState, type Incident, type LedgerEntry, type WatchState } from '../../../src/watch/runLedger';

// The tenant use cases over the real Table adapters on Azurite (own table prefix), with a hand-written directory
// whose `check` records its calls, and a recorder in place of the outbox's writeAlert.
const now = new Date('2026-11-25T10:00:00.000Z');
const appClientId = '11111111-2222-4333-8444-555555555555';
const contoso = '0a1b2c3d-0000-4000-8000-000000000001';
const fabrikam = '0a1b2c3d-0000-4000-8000-000000000002';
const who = 'ann@contoso.com';

let deps: TenantAdminDeps;
let watch: TableWatchStore;
let history: TableRuleHistory;
let counter: RequestCounter;
let written: PendingAlert[];
let checks: string[];
let home: string;

beforeEach(() => {
  counter = new RequestCounter();
  const tables = new TableClients({
    connectionString: inject('tablesConnectionString'),
    tablePrefix: `ta${randomUUID().replace(/-/g, '').slice(0, 12)}`,
    counter,
  });
  watch = new TableWatchStore(tables);
  history = new TableRuleHistory(tables);
  written = [];
  checks = [];
  home = randomUUID();
  deps = {
    tenantId: home,
    history,
    clock: () => now,
    log: createLogger(() => undefined),
    writeAlert: async (pending) => {
      written.push(pending);
      return 1;
    },
    tenants: {
      store: new TableTenantStore(tables, home),
      homeTenantId: home,
      check: async (tenantId): Promise<TenantCheckResult> => {
        checks.push(tenantId);
        return { tenantId, authState: 'consent-missing', error: 'AADSTS650051', checkedAt: now.toISOString() };
      },
      consentUrl: (tenantId) => adminConsentUrl(tenantId, appClientId),
    },
    watch,
    settings: { maxLagInMinutes: 15, failedPolls: 3 },
  };
});

const add = (id: string, body: unknown, conditions: { ifNoneMatch?: string } = { ifNoneMatch: '*' }) =>
  putTenant(deps, id, body, conditions, who);

/** Why a call failed: the error's class and its field problems (or message). */
async function failure(call: Promise<unknown>): Promise<{ kind: string; problems: string[]; message: string }> {
  try {
    await call;
  } catch (err) {
    const e = err as Error;
    return {
      kind: e.constructor.name,
      problems: err instanceof ValidationError ? err.problems.map((p) => `${p.field}: ${p.message}`) : [],
      message: e.message,
    };
  }
  throw new Error('expected the call to fail');
}

/** Writes a checkpoint and a watchdog state for a tenant's partition, as a poll run commits them. */
async function pollState(tenantId: string, scannedTo: Date, state: Partial<WatchState>) {
  const entry = {
    runId: randomUUID(),
    startedAt: now.toISOString(),
    finishedAt: now.toISOString(),
    error: '',
  } as LedgerEntry;
  const result = await watch.commit(tenantId, entry, { ...emptyWatchState(), ...state }, undefined, {
    checkpoint: { scannedTo: scannedTo.toISOString(), complete: true },
    extra: {},
    etag: undefined,
  });
  expect(result).toBe('ok');
}

const incident = (key: string, condition: Incident['condition'], reason?: string): Incident => ({
  key,
  condition,
  seq: 1,
  openedAt: now.toISOString(),
  detail: `${condition} detail`,
  ...(reason ? { reason } : {}),
});

describe('tenant administration', () => {
  it('lists only the home tenant when none is registered: as today, zero configuration', async () => {
    expect(await listTenants(deps)).toEqual([
      {
        id: home,
        displayName: 'Home tenant (AZURE_TENANT_ID)',
        home: true,
        enabled: true,
        authState: 'unknown',
        openIncidents: 0,
      },
    ]);
  });

  it('adds a tenant (id in any case) with its consent link, records the change, and lists it after the home tenant', async () => {
    const { tenant, created } = await add(` ${fabrikam.toUpperCase()} `, { displayName: '  Fabrikam  ' });
    expect(created).toBe(true);
    expect(tenant).toMatchObject({
      id: fabrikam,
      displayName: 'Fabrikam',
      home: false,
      enabled: true,
      authState: 'unknown',
      addedAt: now.toISOString(),
      addedBy: who,
      openIncidents: 0,
      consentUrl: adminConsentUrl(fabrikam, appClientId),
    });
    expect(tenant.etag).toBeTruthy();
    await add(contoso, { displayName: 'Contoso', enabled: false });
    const list = await listTenants(deps);
    expect(list.map((t) => [t.id, t.home, t.enabled])).toEqual([
      [home, true, true],
      [contoso, false, false],
      [fabrikam, false, true],
    ]);
    const [entry] = await history.list(home, 'tenant', fabrikam);
    expect(entry).toMatchObject({ action: 'create', who, after: { id: fabrikam, displayName: 'Fabrikam' } });
    expect(written).toEqual([]);
  });

  it.each<[string, string, unknown, string[]]>([
    ['an id that is not a GUID', 'contoso.onmicrosoft.com', { displayName: 'C' }, ['id: must be an Entra tenant id']],
    [
      'the home tenant',
      'HOME',
      { displayName: 'Home' },
      ['id: is the home tenant (AZURE_TENANT_ID): it is always polled'],
    ],
    ['an empty display name', contoso, { displayName: '   ' }, ['displayName: must not be empty']],
    ['no display name', contoso, {}, ['displayName: is required']],
    ['an unknown field', contoso, { displayName: 'C', region: 'eu' }, ['region: is not a known tenant field']],
    [
      'enabled that is not a boolean',
      contoso,
      { displayName: 'C', enabled: 'yes' },
      ['enabled: must be true or false'],
    ],
    [
      'an id in the body that differs',
      contoso,
      { id: fabrikam, displayName: 'C' },
      ['id: must equal the id in the URL'],
    ],
    ['a body that is not an object', contoso, ['C'], ['body: must be a JSON object']],
  ])('refuses %s with a 400 naming the field', async (_name, id, body, problems) => {
    const f = await failure(add(id === 'HOME' ? home : id, body));
    expect(f.kind).toBe('ValidationError');
    expect(f.problems).toHaveLength(problems.length);
    problems.forEach((p, i) => expect(f.problems[i]).toContain(p));
    expect(await deps.tenants.store.list()).toEqual([]);
  });

  it('refuses a duplicate with a 409 naming the tenant; without If-Match a PUT does not replace either', async () => {
    await add(contoso, { displayName: 'Contoso' });
    const again = await failure(add(contoso.toUpperCase(), { displayName: 'Other' }));
    expect(again).toMatchObject({
      kind: 'ConflictError',
      message: `tenant ${contoso} ("Contoso") is already registered`,
    });
    const plain = await failure(add(contoso, { displayName: 'Other' }, {}));
    expect(plain.kind).toBe('ConflictError');
    expect(plain.message).toContain('send If-Match');
    expect((await getTenant(deps, contoso)).displayName).toBe('Contoso');
  });

  it('replaces with If-Match: a stale ETag is 412, an unchanged body is not recorded, disabling raises a tamper alert', async () => {
    const { tenant } = await add(contoso, { displayName: 'Contoso' });
    await expect(putTenant(deps, contoso, { displayName: 'X' }, { ifMatch: 'W/"stale"' }, who)).rejects.toThrow(
      PreconditionFailedError,
    );
    await expect(putTenant(deps, fabrikam, { displayName: 'X' }, { ifMatch: '*' }, who)).rejects.toThrow(
      PreconditionFailedError,
    );
    const same = await putTenant(deps, contoso, { displayName: 'Contoso' }, { ifMatch: tenant.etag }, who);
    expect(same.tenant.etag).toBe(tenant.etag);
    const renamed = await putTenant(deps, contoso, { displayName: 'Contoso EU' }, { ifMatch: tenant.etag }, who);
    expect(renamed).toMatchObject({ created: false, tenant: { displayName: 'Contoso EU', addedBy: who } });
    expect(renamed.tenant.etag).not.toBe(tenant.etag);
    expect(written).toEqual([]);
    await putTenant(deps, contoso, { displayName: 'Contoso EU', enabled: false }, { ifMatch: '*' }, who);
    expect(written.map((w) => [w.alert.ruleId, w.alert.severity, w.alert.ruleName])).toEqual([
      [`tamper:tenant:${contoso}`, 'high', 'Tamper: tenant "Contoso EU" disabled'],
    ]);
    const entries = await history.list(home, 'tenant', contoso);
    // The clock stands still, so entries of the same instant come in no particular order.
    expect(entries.map((e) => e.action).sort()).toEqual(['create', 'replace', 'replace']);
    expect(
      entries.filter((e) => e.tamperAlertId).map((e) => [e.tamperAlertId, (e.after as { enabled: boolean }).enabled]),
    ).toEqual([[written[0].alert.id, false]]);
  });

  it('removes a tenant (404 when absent, 400 for the home tenant) and keeps its state and history', async () => {
    await add(contoso, { displayName: 'Contoso' });
    await pollState(contoso, new Date(now.getTime() - 2 * 60_000), { lastSuccessAt: now.toISOString() });
    expect(await failure(removeTenant(deps, fabrikam, {}, who))).toMatchObject({ kind: 'NotFoundError' });
    expect((await failure(removeTenant(deps, home, {}, who))).problems[0]).toContain('cannot be removed');
    await expect(removeTenant(deps, contoso, { ifMatch: 'W/"stale"' }, who)).rejects.toThrow(PreconditionFailedError);
    const removed = await removeTenant(deps, contoso, {}, who);
    expect(removed).toMatchObject({ id: contoso, displayName: 'Contoso' });
    expect(removed.note).toContain('kept');
    await expect(getTenant(deps, contoso)).rejects.toThrow(NotFoundError);
    expect((await watch.read(contoso)).checkpoint).toBeDefined();
    expect((await history.list(home, 'tenant', contoso)).map((e) => e.action).sort()).toEqual(['create', 'delete']);
    expect(written.map((w) => w.alert.ruleName)).toEqual(['Tamper: tenant "Contoso" removed']);
    await expect(removeTenant(deps, contoso, {}, who)).rejects.toThrow(NotFoundError);
  });

  it('shows each tenant’s last poll, lag and open incidents as the health report computes them; the home tenant’s sign-in from its watchdog', async () => {
    await add(contoso, { displayName: 'Contoso' });
    await add(fabrikam, { displayName: 'Fabrikam' });
    await pollState(contoso, new Date(now.getTime() - 90_000), {
      lastSuccessAt: '2026-11-25T09:59:00.000Z',
      incidents: {
        lag: incident('lag', 'lag'),
        'channel-failing:teams': incident('channel-failing:teams', 'channel-failing'),
      },
    });
    await pollState(home, new Date(now.getTime() - 30 * 60_000), {
      lastSuccessAt: '2026-11-25T09:30:00.000Z',
      incidents: { 'graph-auth': incident('graph-auth', 'graph-auth', 'forbidden') },
    });
    counter.byTable.clear();
    const list = await listTenants(deps);
    // One query of the Tenants table, and one range read of each tenant's PollState partition (not one per row kind).
    expect(Object.fromEntries(counter.byTable)).toEqual({ Tenants: 1, PollState: 3 });
    const byId = new Map(list.map((t) => [t.id, t]));
    expect(byId.get(contoso)).toMatchObject({
      lastSuccessfulPollAt: '2026-11-25T09:59:00.000Z',
      scannedTo: '2026-11-25T09:58:30.000Z',
      lagMinutes: 1.5,
      openIncidents: 2,
      authState: 'unknown',
    });
    expect(byId.get(fabrikam)).toMatchObject({ openIncidents: 0 });
    expect(byId.get(fabrikam)?.lagMinutes).toBeUndefined();
    expect(byId.get(home)).toMatchObject({
      home: true,
      authState: 'forbidden',
      authError: 'graph-auth detail',
      lagMinutes: 30,
      openIncidents: 1,
    });
    expect(await getTenant(deps, contoso)).toEqual(byId.get(contoso));
    expect(await getTenant(deps, home)).toEqual(byId.get(home));
  });

  it('checks a registered tenant (and the home tenant) through the directory; an unregistered one is 404', async () => {
    await add(contoso, { displayName: 'Contoso' });
    expect(await checkTenant(deps, contoso.toUpperCase())).toMatchObject({
      tenantId: contoso,
      authState: 'consent-missing',
    });
    await checkTenant(deps, home);
    await expect(checkTenant(deps, fabrikam)).rejects.toThrow(NotFoundError);
    expect((await failure(checkTenant(deps, 'nope'))).problems[0]).toContain('id: must be an Entra tenant id');
    expect(checks).toEqual([contoso, home]);
  });

  it('refuses If-None-Match other than *', async () => {
    await expect(add(contoso, { displayName: 'C' }, { ifNoneMatch: 'W/"x"' })).rejects.toThrow(ValidationError);
    await expect(add(contoso, { displayName: 'C' })).resolves.toBeDefined();
    await expect(add(contoso, { displayName: 'C' })).rejects.toThrow(ConflictError);
  });
});
