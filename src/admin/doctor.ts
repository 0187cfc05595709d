import type { AccessToken, TokenCredential } from '@azure/identity';
import { describeCapabilities } from '../audit/graphCapabilities';
import type { GraphAuditSource } from '../audit/graphAuditSource';
import { GraphReadError } from '../audit/graphReadError';
import { cloudPkiActivityTypes } from '../rules/defaultRulePack';
import { ConfigError } from '../shared/errors';
import { errorText } from '../shared/logger';
import { adminAuthPosture } from '../config/adminAuthPosture';
import { type AppConfig, loadConfig } from '../config/config';
import {
  type DoctorCheck,
  type DoctorReport,
  doctorOk,
  grantCommand,
  graphPermissions,
  tokenClaims,
  settled,
} from './doctorChecks';
import { channelChecks } from './doctorChannels';
import type { Services } from '../composition/services';

export type { DoctorCheck, DoctorReport } from './doctorChecks';

/** What doctor needs of the services (a subset, so tests and the HTTP handler pass what they have). */
export type DoctorServices = Pick<Services, 'config' | 'source' | 'channels' | 'probeStorage'> & {
  credential?: TokenCredential;
};

export interface DoctorInput {
  env: Record<string, string | undefined>;
  /** Builds the services for a parsed configuration (the CLI), or returns the running ones (GET /api/doctor). */
  services: (config: AppConfig) => DoctorServices;
  clock?: () => Date;
  /** Resolves a host name (DNS); tests pass a fake. */
  resolveHost?: (host: string) => Promise<string>;
  /** `--send-test`: posts a test card to each channel. */
  sendTest?: (channelId: string) => Promise<{ ok: boolean; status: number; detail: string }>;
}

/**
 * `pki-alerts doctor` / `GET /api/doctor`: the onboarding checks, in order, each with its fix. Later checks
 * are skipped when what they need failed. Never prints a secret: tokens are decoded, not shown; channel
 * URLs are reduced to scheme and host.
 */
export async function runDoctor(input: DoctorInput): Promise<DoctorReport> {
  const clock = input.clock ?? (() => new Date());
  const checks: DoctorCheck[] = [];
  const add = (c: DoctorCheck) => checks.push(c);
  const finish = (): DoctorReport => ({ ok: doctorOk(checks), checkedAt: clock().toISOString(), checks });

  let config: AppConfig;
  try {
    config = loadConfig(input.env);
    add({
      id: 'settings',
      title: 'Settings parse',
      status: 'pass',
      required: true,
      detail: `tenant ${config.tenantId}, Graph ${config.graph.isSimulator ? `stand-in at ${config.graph.baseUrl}` : 'https://graph.microsoft.com'}`,
    });
  } catch (err) {
    const problems = err instanceof ConfigError ? err.problems.map((p) => `${p.field} ${p.message}`) : [errorText(err)];
    add({
      id: 'settings',
      title: 'Settings parse',
      status: 'fail',
      required: true,
      detail: problems.join('; '),
      fix: 'Fix each setting named (app settings in Azure, local.settings.json "Values" or the environment locally); docs/configuration.md lists them with defaults.',
    });
    return finish();
  }
  const services = input.services(config);

  const storage = await settled(() => services.probeStorage());
  add(
    storage.ok
      ? {
          id: 'storage',
          title: 'Table Storage reachable',
          status: 'pass',
          required: true,
          detail: `wrote, read and deleted a probe row in ${storage.value.table} (${storage.ms} ms)`,
        }
      : {
          id: 'storage',
          title: 'Table Storage reachable',
          status: 'fail',
          required: true,
          detail: errorText(storage.error),
          fix: config.storage.tableServiceUri
            ? 'Give the app\'s identity "Storage Table Data Contributor" on the storage account and check TABLES_SERVICE_URI.'
            : 'Check AzureWebJobsStorage (locally: is Azurite running?).',
        },
  );

  await tokenChecks(config, services, add);
  const auditOk = await auditEventsCheck(config, services.source, clock(), add);
  if (auditOk) await activityTypesCheck(services.source, add);
  else
    add({
      id: 'activity-types',
      title: 'Cloud PKI activity types',
      status: 'skip',
      required: false,
      detail: 'skipped: auditEvents did not answer',
    });
  await channelChecks(config, services.channels, input, add);

  const posture = adminAuthPosture(config.auth, config.readSetting);
  add(
    posture.ok
      ? {
          id: 'admin-auth',
          title: 'Admin API authentication',
          status: 'pass',
          required: false,
          detail: posture.summary,
        }
      : {
          id: 'admin-auth',
          title: 'Admin API authentication',
          status: 'warn',
          required: false,
          detail: posture.problem,
          fix: 'See docs/deploy.md: enable App Service Authentication for ADMIN_AUTH_CLIENT_ID, or use ADMIN_AUTH_MODE=key.',
        },
  );
  return finish();
}

async function tokenChecks(config: AppConfig, services: DoctorServices, add: (c: DoctorCheck) => void): Promise<void> {
  const auth = config.graph.auth;
  const which =
    auth.kind === 'none'
      ? 'none: GRAPH_BASE_URL is not Microsoft Graph, so no token is requested'
      : auth.kind === 'clientSecret'
        ? `client secret of app ${auth.clientId} (AZURE_CLIENT_ID / AZURE_CLIENT_SECRET)`
        : auth.kind === 'certificate'
          ? `client certificate of app ${auth.clientId} (AZURE_CLIENT_CERTIFICATE_PATH)`
          : auth.clientId
            ? `user-assigned managed identity ${auth.clientId} (AZURE_CLIENT_ID)`
            : 'system-assigned managed identity';
  add({ id: 'credential', title: 'Credential', status: 'pass', required: false, detail: which });
  if (auth.kind === 'none' || !services.credential) {
    add({
      id: 'token',
      title: 'Graph token',
      status: 'skip',
      required: false,
      detail: 'skipped: a Graph stand-in needs no token',
    });
    return;
  }
  const got = await settled<AccessToken | null>(() =>
    services.credential!.getToken('https://graph.microsoft.com/.default'),
  );
  if (!got.ok || !got.value) {
    add({
      id: 'token',
      title: 'Graph token',
      status: 'fail',
      required: true,
      detail: got.ok ? 'the credential returned no token' : errorText(got.error),
      fix:
        auth.kind === 'managedIdentity'
          ? 'Check the identity is assigned to the Function App and AZURE_CLIENT_ID is its client id.'
          : 'Check AZURE_TENANT_ID, AZURE_CLIENT_ID and the secret or certificate (not expired).',
    });
    return;
  }
  const claims = tokenClaims(got.value.token);
  add({
    id: 'token',
    title: 'Graph token',
    status: 'pass',
    required: true,
    detail: `tenant ${claims?.tenantId ?? '?'}, client id ${claims?.clientId ?? '?'}, expires ${claims?.expiresAt ?? '?'}`,
  });
  const roles = new Set(claims?.roles ?? []);
  const mailChannel =
    (await services.channels.load().catch(() => undefined))?.definitions.some((d) => d.type === 'email-graph') ?? false;
  const wanted: [string, boolean, string][] = [
    [graphPermissions.auditEvents, true, 'reads the audit events'],
    [graphPermissions.caDetails, false, 'CA details on cards'],
    // Not required: Exchange RBAC for Applications (the recommended, scoped grant, docs/deploy.md §3) puts no role in the token.
    ...(mailChannel
      ? ([
          [
            graphPermissions.mail,
            false,
            'a Graph email channel sends with it; fine without it when Exchange RBAC for Applications scopes the grant',
          ],
        ] as [string, boolean, string][])
      : []),
  ];
  for (const [role, required, why] of wanted) {
    const held = roles.has(role);
    add({
      id: `role:${role}`,
      title: `Token role ${role}`,
      status: held ? 'pass' : required ? 'fail' : 'warn',
      required,
      detail: held ? `present (${why})` : `missing (${why}); roles in the token: ${[...roles].join(', ') || 'none'}`,
      ...(held ? {} : { fix: `Grant ${role}: ${grantCommand(role)}. A new token carries it within minutes.` }),
    });
  }
}

async function auditEventsCheck(
  config: AppConfig,
  source: GraphAuditSource,
  now: Date,
  add: (c: DoctorCheck) => void,
): Promise<boolean> {
  const window = { from: new Date(now.getTime() - 3_600_000), to: now, basis: 'lookback' as const };
  const ids = new Set<string>();
  let pages = 0;
  let largestPage = 0;
  let firstPageInMs: number | undefined;
  const started = Date.now();
  const read = await settled(async () => {
    for await (const page of source.listPages(window, { deadline: new Date(Date.now() + 120_000) })) {
      firstPageInMs ??= Date.now() - started;
      pages++;
      largestPage = Math.max(largestPage, page.events.length);
      for (const e of page.events)
        if (typeof (e as { id?: unknown })?.id === 'string') ids.add((e as { id: string }).id);
      if (pages >= 50) break;
    }
  });
  const title = 'auditEvents answers the production query (last hour)';
  if (!read.ok) {
    const status = read.error instanceof GraphReadError ? read.error.status : undefined;
    const denied = status === 401 || status === 403;
    add({
      id: 'audit-events',
      title,
      status: 'fail',
      required: true,
      detail: errorText(read.error),
      fix: denied
        ? `${status === 401 ? 'The token was refused: check the tenant and the credential.' : 'Access denied.'} The identity needs the application permission ${graphPermissions.auditEvents} with admin consent: ${grantCommand(graphPermissions.auditEvents)}. The tenant also needs an Intune licence.`
        : 'Check GRAPH_BASE_URL and the network path to Graph; a 429 means throttling (retry later).',
      ...(status ? { data: { status } } : {}),
    });
    return false;
  }
  const orders = await Promise.all(
    (['desc', 'none', 'asc'] as const).map(async (o) => [o, await source.probeOrder(window, o)] as const),
  );
  const orderText = orders
    .map(
      ([o, r]) =>
        `${o === 'none' ? 'no $orderby' : o}: ${r.accepted ? 'accepted' : `refused${r.status ? ` (${r.status})` : ''}`}`,
    )
    .join(', ');
  const remembered = describeCapabilities(await source.capabilities());
  add({
    id: 'audit-events',
    title,
    status: 'pass',
    required: true,
    detail: `${ids.size} event(s) in ${pages} page(s), first page in ${firstPageInMs ?? read.ms} ms, all in ${read.ms} ms; largest page ${largestPage} ($top=${config.graph.pageSize}); order options: ${orderText}${remembered.length ? `; remembered: ${remembered.join('; ')}` : ''}`,
    data: {
      events: ids.size,
      pages,
      largestPage,
      top: config.graph.pageSize,
      latencyInMs: read.ms,
      orders: Object.fromEntries(orders.map(([o, r]) => [o, r.accepted])),
    },
  });
  return true;
}

async function activityTypesCheck(source: GraphAuditSource, add: (c: DoctorCheck) => void): Promise<void> {
  const title = 'Cloud PKI activity types Graph reports';
  const listed = await settled(async () => {
    const categories = await source.listCategories();
    const types = new Set<string>();
    for (const category of categories)
      for (const t of await source.listActivityTypes(category))
        if (/CloudCertificationAuthority/i.test(t)) types.add(t);
    return { categories, types };
  });
  if (!listed.ok) {
    add({
      id: 'activity-types',
      title,
      status: 'warn',
      required: false,
      detail: errorText(listed.error),
      fix: 'getAuditCategories / getAuditActivityTypes need the same permission as auditEvents.',
    });
    return;
  }
  const documented = Object.values(cloudPkiActivityTypes) as string[];
  const reported = [...listed.value.types];
  const unknown = reported.filter((t) => !documented.includes(t));
  const missing = documented.filter((t) => !reported.includes(t));
  const detail =
    reported.length === 0
      ? `none in ${listed.value.categories.length} categories (no Cloud PKI activity yet, or no Cloud PKI licence)`
      : `${reported.length} reported; ${unknown.length ? `unknown to the docs: ${unknown.join(', ')}` : 'none unknown'}${missing.length ? `; documented but not reported: ${missing.length}` : ''}`;
  add({
    id: 'activity-types',
    title,
    status: unknown.length || reported.length === 0 ? 'warn' : 'pass',
    required: false,
    detail,
    data: { reported, unknown, missing },
    ...(unknown.length
      ? {
          fix: 'The rule "Unknown Cloud PKI activity type" alerts on these; review them and give each a rule of its own.',
        }
      : {}),
  });
}
