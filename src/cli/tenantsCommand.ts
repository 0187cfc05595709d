import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { checkTenant, listTenants, putTenant, removeTenant, type TenantView } from '../admin/tenantAdmin';
import { loadConfig } from '../config/config';
import { createServices, type Services } from '../composition/services';
import { tenantAdminDeps } from '../composition/tenantAdminDeps';
import { ConflictError, NotFoundError, ValidationError } from '../shared/errors';
import { createLogger, errorText } from '../shared/logger';
import { UsageError } from './cliInput';

export const tenantsUsage = `  pki-alerts tenants list [--json]            the home tenant and the registered ones: sign-in state, last successful
                                              poll, lag, open incidents
  pki-alerts tenants add ID --name NAME [--disabled]
                                              registers a tenant (GUID) to poll; prints its admin-consent link and
                                              the next steps (exit 1 when it is already registered)
  pki-alerts tenants remove ID                unregisters a tenant; its checkpoint, ledger, alerts and history stay
  pki-alerts tenants check ID                 signs in to the tenant and reads Graph once now; records and prints
                                              the sign-in state (exit 1 unless ok)`;

type Out = (line: string) => void;

const authLabel: Record<TenantView['authState'], string> = {
  ok: 'ok',
  'consent-missing': 'CONSENT MISSING',
  forbidden: 'FORBIDDEN',
  unknown: 'unknown',
};

/** The list as a table: one row per tenant, the home tenant first. */
export function tenantTable(tenants: readonly TenantView[]): string[] {
  const rows = tenants.map((t) => [
    t.id,
    t.home ? `${t.displayName} (home)` : t.displayName,
    t.enabled ? 'yes' : 'no',
    authLabel[t.authState],
    t.lastSuccessfulPollAt ?? 'never',
    t.lagMinutes === undefined ? '-' : `${t.lagMinutes} min`,
    String(t.openIncidents),
  ]);
  const header = ['TENANT', 'NAME', 'ENABLED', 'SIGN-IN', 'LAST SUCCESSFUL POLL', 'LAG', 'INCIDENTS'];
  const widths = header.map((h, i) => Math.min(48, Math.max(h.length, ...rows.map((r) => r[i].length))));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  const errors = tenants.filter((t) => t.authError).map((t) => `  ${t.id}: ${t.authError}`);
  return [line(header), ...rows.map(line), ...(errors.length ? ['', 'Sign-in problems:', ...errors] : [])];
}

/** What `add` prints after the tenant is registered: the consent link and what to do next. */
function nextSteps(t: TenantView): string[] {
  const consent = t.consentUrl
    ? [
        'Admin consent: an administrator of that tenant (Global Administrator or Privileged Role Administrator)',
        'opens this link and consents to the app reading its audit events (DeviceManagementApps.Read.All):',
        `  ${t.consentUrl}`,
      ]
    : [
        'No admin-consent link: MULTI_TENANT_APP_CLIENT_ID is not set. Set it to the client id of the multi-tenant',
        'app registration, then run `pki-alerts tenants list --json` to see the link.',
      ];
  return [
    `Registered tenant ${t.id} ("${t.displayName}"), ${t.enabled ? 'enabled' : 'disabled'}.`,
    '',
    ...consent,
    '',
    'Next steps:',
    `  1. After consent, check the sign-in: pki-alerts tenants check ${t.id}`,
    `  2. ${t.enabled ? 'The next timer run polls it' : 'Enable it (PUT /api/tenants/{id} with If-Match) to poll it'}; pki-alerts tenants list shows its last poll and lag.`,
  ];
}

/** `pki-alerts tenants …`; `services` and the error writer are injectable for tests. */
export async function tenantsCommand(
  argv: string[],
  out: Out,
  options: { services?: Services; err?: Out } = {},
): Promise<number> {
  const err = options.err ?? ((line: string) => process.stderr.write(`${line}\n`));
  const [sub, ...rest] = argv;
  try {
    const { values, positionals } = parseArgs({
      args: rest,
      options: { json: { type: 'boolean' }, name: { type: 'string' }, disabled: { type: 'boolean' } },
      strict: true,
      allowPositionals: true,
    });
    const log = createLogger((level, line) => err(`${level.toUpperCase()} ${line}`));
    const deps = () => tenantAdminDeps(options.services ?? createServices(loadConfig()), log);
    const one = () => {
      if (positionals.length !== 1) throw new UsageError(`tenants ${sub} needs one tenant id`);
      return positionals[0];
    };
    const who = `cli:${userInfo().username}`;
    switch (sub) {
      case 'list': {
        const tenants = await listTenants(deps());
        if (values.json) out(JSON.stringify({ value: tenants }));
        else tenantTable(tenants).forEach((l) => out(l));
        return 0;
      }
      case 'add': {
        const id = one();
        if (values.name === undefined) throw new UsageError('tenants add needs --name "display name"');
        const { tenant } = await putTenant(
          deps(),
          id,
          { displayName: values.name, enabled: !values.disabled },
          { ifNoneMatch: '*' },
          who,
        );
        nextSteps(tenant).forEach((l) => out(l));
        return 0;
      }
      case 'remove': {
        const removed = await removeTenant(deps(), one(), {}, who);
        out(`Removed tenant ${removed.id} ("${removed.displayName}"). ${removed.note}`);
        return 0;
      }
      case 'check': {
        const result = await checkTenant(deps(), one());
        out(
          `${result.tenantId}: ${authLabel[result.authState]}${result.error ? `: ${result.error}` : ''} (${result.checkedAt})`,
        );
        return result.authState === 'ok' ? 0 : 1;
      }
      default:
        throw new UsageError(sub ? `unknown tenants command "${sub}"` : 'tenants needs a command');
    }
  } catch (e) {
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      err(`pki-alerts: ${(e as Error).message}\n\nUsage:\n${tenantsUsage}`);
      return 2;
    }
    if (e instanceof ValidationError || e instanceof NotFoundError) {
      err(`pki-alerts: ${e.message}`);
      return 2;
    }
    if (e instanceof ConflictError) {
      err(`pki-alerts: ${e.message}`);
      return 1;
    }
    err(`pki-alerts tenants ${sub ?? ''} failed: ${errorText(e)}`);
    return 1;
  }
}
