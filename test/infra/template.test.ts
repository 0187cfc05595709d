/**
 * Compiles infra/main.bicep with the real Bicep CLI (found by .ci/bicep.sh: PATH → az → NuGet restore)
 * and checks the security baseline and the app-settings contract with src/config/settings.ts.
 * No CLI = every test FAILS (never skips): an infrastructure check that silently skips is no check.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { appSettings } from '../../src/config/settings';
import { buildLogRow } from '../../src/notifiers/azureMonitorLogs/logsRow';
import { poisonQueueName, tenantPollQueueName } from '../../src/state/storageQueues';
import { tableNames } from '../../src/state/tableClients';
import { sampleAlert } from '../helpers/alertFixtures';

const repo = resolve(__dirname, '..', '..');
const CLI_TIMEOUT_MS = 150_000; // a first NuGet restore takes a few seconds here; allow slow feeds

/**
 * Settings that are not localOnly, that the template does not set, and why that is right in Azure.
 * The test fails when a setting is added to settings.ts without a decision here or in the template.
 */
const optionalInAzure: Record<string, string> = {
  AzureWebJobsStorage:
    'identity-based host storage (AzureWebJobsStorage__*) + TABLES_SERVICE_URI; a connection string would need shared keys, which are disabled',
  AZURE_CLIENT_SECRET: 'the app signs in to Graph with its user-assigned managed identity, never a secret',
  AZURE_CLIENT_CERTIFICATE_PATH:
    'the app signs in to Graph with its user-assigned managed identity, never a certificate',
  GRAPH_BASE_URL: 'the default https://graph.microsoft.com is right in Azure; anything else is the local simulator',
  INITIAL_LOOKBACK_MINUTES: 'code default (60) is the intended first-run window; set by hand to backfill',
  GRAPH_PAGE_SIZE: 'code default (100) suits audit-event volumes',
  GRAPH_MAX_PAGES_PER_RUN: 'code default (100) bounds one run; backlogs are worked off over several runs',
  POLL_TIME_BUDGET_SECONDS: 'code default (45 s) ends a run before the next 1-minute timer fires',
  GRAPH_REQUEST_TIMEOUT_MS: 'code default (30 s) fits under the 4 min functionTimeout',
  GRAPH_MAX_RETRIES: 'code default (3) is the tuned retry budget',
  GRAPH_RETRY_DELAY_SECONDS: 'code default (3 s) is the tuned base delay',
  WEBHOOK_ALLOWED_HOSTS: 'empty by default: only Workflows / Logic Apps hosts are accepted unless an admin widens it',
  ALLOW_LOOPBACK_WEBHOOKS: 'development only; must stay false (the default) in Azure',
  DELIVERY_TIMEOUT_MS: 'code default (15 s) is the tuned delivery timeout',
  DELIVERY_RETRY_BASE_SECONDS: 'code default (30 s) is the tuned first retry delay',
  DELIVERY_MAX_AGE_MINUTES: 'code default (1 day) before dead-lettering',
  ALERT_SAMPLE_EVENTS: 'code default (10) keeps cards small',
  SEEN_RETENTION_HOURS: 'code default (72 h) exceeds the lookback',
  DELIVERED_RETENTION_DAYS: 'code default (30 days) of delivery history',
  ADMIN_APP_ROLE: 'code default (PkiAlerts.Admin) matches the app role documented in docs/deploy.md',
  ALERT_GROUP_WINDOW_MINUTES: 'code default (10 min) is the tuned digest window; set by hand to change it',
  FAILOVER_CHANNEL: 'names a channel an admin creates after deployment (Channels table); unset until then',
  READER_APP_ROLE: 'code default (PkiAlerts.Reader) matches the app role documented in docs/deploy.md',
  WATCHDOG_CHANNEL: 'unset by default: watchdog messages go to FAILOVER_CHANNEL, else the default channels',
  WATCHDOG_FAILED_POLLS: 'code default (3 failed polls in a row) before a watchdog incident',
  WATCHDOG_CHANNEL_FAILURES: 'code default (3 failed attempts in a row) before a channel counts as failing',
  HEALTH_MAX_LAG_MINUTES: 'code default (10 min) is the tuned lag threshold for a 1-minute timer',
  LEDGER_RETENTION_DAYS: 'code default (30 days) of coverage-ledger history',
  BACKTEST_MAX_PAGES: 'code default (500 pages) keeps one backtest well inside the HTTP function timeout',
  TENANT_AUTH_RETRY_MINUTES:
    'code default (30 min) between sign-in retries of a tenant whose consent or sign-in failed; tuned, set by hand',
  DELIVERY_PACING:
    "code default (table) shares each channel's pacing lease across the instances Flex scales out to; process is for one instance only",
};

/** Settings the template must never set (secrets, local-only values, settings Flex rejects). */
const forbiddenInAzure = [
  'AzureWebJobsStorage',
  'AZURE_CLIENT_SECRET',
  'AZURE_CLIENT_CERTIFICATE_PATH',
  'GRAPH_BASE_URL',
  'FUNCTIONS_WORKER_RUNTIME',
  'FUNCTIONS_EXTENSION_VERSION',
  'WEBSITE_RUN_FROM_PACKAGE',
];

const isHostSetting = (name: string) =>
  /^AzureWebJobsStorage__\w+$/.test(name) || /^APPLICATIONINSIGHTS_\w+$/.test(name);

const ROLE = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88',
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3',
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6',
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb',
};

// ---------------------------------------------------------------------------------------------------
// Running the CLI

interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<RunResult> {
  return new Promise((done) => {
    execFile(
      cmd,
      args,
      { cwd: repo, env, timeout: CLI_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        done({
          code,
          stdout: String(stdout),
          stderr: String(stderr) + (error && typeof error.code !== 'number' ? `\n${error.message}` : ''),
        });
      },
    );
  });
}

/** Variables main.bicepparam reads; cleared so the compiled parameters are the committed defaults. */
const PARAM_ENV = [
  'PKI_ALERTS_ENABLE_LOGS',
  'PKI_ALERTS_BASE_NAME',
  'PKI_ALERTS_NAME_SUFFIX',
  'AZURE_ENV_NAME',
  'PKI_ALERTS_TIMER_SCHEDULE',
  'PKI_ALERTS_LOOKBACK_MINUTES',
  'TEAMS_WEBHOOK_SECRET_NAME',
  'ENABLE_APP_SERVICE_AUTH',
  'AUTH_CLIENT_ID',
  'PKI_ALERTS_MULTI_TENANT_APP_CLIENT_ID',
];

interface Compiled {
  bicep: string;
  template: ArmTemplate;
  lint: RunResult;
  parameters: Record<string, { value: unknown }>;
}

let compiled: Compiled | undefined;
let setupError: Error | undefined;

/** Every test calls this: a missing CLI or a failed build fails each test with the reason. */
function built(): Compiled {
  if (setupError) throw setupError;
  if (!compiled) throw new Error('beforeAll did not finish');
  return compiled;
}

beforeAll(
  async () => {
    try {
      const locate = await run('bash', [join(repo, '.ci', 'bicep.sh')]);
      const bicep = locate.stdout.trim().split('\n').pop() ?? '';
      if (locate.code !== 0 || !bicep) {
        throw new Error(`No Bicep CLI: .ci/bicep.sh exited ${locate.code}.\n${locate.stderr}`);
      }
      const build = await run(bicep, ['build', 'infra/main.bicep', '--stdout']);
      if (build.code !== 0) throw new Error(`bicep build failed (${build.code}):\n${build.stderr}`);
      const lint = await run(bicep, ['lint', 'infra/main.bicep']);
      const env = { ...process.env };
      for (const name of PARAM_ENV) delete env[name];
      const params = await run(bicep, ['build-params', 'infra/main.bicepparam', '--stdout'], env);
      if (params.code !== 0) throw new Error(`bicep build-params failed (${params.code}):\n${params.stderr}`);
      const paramsOut = JSON.parse(params.stdout) as { parametersJson: string };
      const parameters = (JSON.parse(paramsOut.parametersJson) as { parameters: Record<string, { value: unknown }> })
        .parameters;
      compiled = { bicep, template: JSON.parse(build.stdout) as ArmTemplate, lint, parameters };
    } catch (err) {
      setupError = err instanceof Error ? err : new Error(String(err));
    }
  },
  CLI_TIMEOUT_MS * 3 + 10_000,
);

// ---------------------------------------------------------------------------------------------------
// Walking the compiled ARM JSON (nested module deployments; resources as array or symbolic map)

interface ArmTemplate {
  parameters?: Record<string, { type: string; defaultValue?: unknown }>;
  variables?: Record<string, unknown>;
  resources: ArmResource[] | Record<string, ArmResource>;
  outputs?: Record<string, { type: string; value: unknown }>;
}

interface ArmResource {
  type: string;
  name: string;
  condition?: unknown;
  scope?: unknown;
  kind?: string;
  sku?: { name?: string; tier?: string };
  identity?: { type?: string; userAssignedIdentities?: Record<string, unknown> };
  properties?: Record<string, any>;
  resources?: ArmResource[];
  copy?: unknown;
}

/** A template level: its parameters' values come from the parent's module call (or the params file). */
interface Scope {
  template: ArmTemplate;
  args: Record<string, { value?: unknown }>;
  parent?: Scope;
  path: string;
}

interface Found {
  resource: ArmResource;
  scope: Scope;
}

const listOf = (r: ArmTemplate['resources']): ArmResource[] => (Array.isArray(r) ? r : Object.values(r));

function walk(scope: Scope, out: { resources: Found[]; scopes: Scope[] }) {
  out.scopes.push(scope);
  const visit = (resource: ArmResource) => {
    out.resources.push({ resource, scope });
    const inner = resource.properties?.template as ArmTemplate | undefined;
    if (resource.type === 'Microsoft.Resources/deployments' && inner) {
      walk(
        {
          template: inner,
          args: resource.properties?.parameters ?? {},
          parent: scope,
          path: `${scope.path}/${resource.name}`,
        },
        out,
      );
    }
    for (const child of resource.resources ?? []) visit(child);
  };
  for (const r of listOf(scope.template.resources)) visit(r);
}

/** Resolves `[parameters('x')]` chains through module calls down to a literal (or returns the expression). */
function resolveParam(scope: Scope, name: string): unknown {
  const arg = scope.args[name];
  if (arg && 'value' in arg) return resolveValue(scope.parent, arg.value);
  const def = scope.template.parameters?.[name]?.defaultValue;
  return resolveValue(scope, def);
}

/** Also follows a module output (`reference(resourceId('Microsoft.Resources/deployments', 'm')…).outputs.x.value`). */
function resolveValue(scope: Scope | undefined, value: unknown): unknown {
  if (!scope || typeof value !== 'string') return value;
  const m = /^\[parameters\('(\w+)'\)\]$/.exec(value);
  if (m) return resolveParam(scope, m[1]);
  const out =
    /^\[reference\(resourceId\('Microsoft\.Resources\/deployments', '([^']+)'\)(?:, '[^']+')?\)\.outputs\.(\w+)\.value\]$/.exec(
      value,
    );
  if (out) {
    const dep = listOf(scope.template.resources).find(
      (r) => r.type === 'Microsoft.Resources/deployments' && r.name === out[1],
    );
    const inner = dep?.properties?.template as ArmTemplate | undefined;
    if (dep && inner?.outputs?.[out[2]]) {
      const innerScope: Scope = {
        template: inner,
        args: dep.properties?.parameters ?? {},
        parent: scope,
        path: `${scope.path}/${out[1]}`,
      };
      return resolveValue(innerScope, inner.outputs[out[2]].value);
    }
  }
  return value;
}

/** Replaces `variables('v').prop` with the literal so role ids etc. can be read from expressions. */
function expandVariables(scope: Scope, text: string): string {
  return text.replace(/variables\('(\w+)'\)(?:\.(\w+))?/g, (whole, v: string, prop?: string) => {
    const val = scope.template.variables?.[v];
    const picked = prop && val && typeof val === 'object' ? (val as Record<string, unknown>)[prop] : val;
    return typeof picked === 'string' ? `'${picked}'` : whole;
  });
}

const isExpression = (v: unknown): v is string => typeof v === 'string' && v.startsWith('[') && !v.startsWith('[[');

function model() {
  const c = built();
  const top: Scope = { template: c.template, args: c.parameters, path: 'main' };
  const out = { resources: [] as Found[], scopes: [] as Scope[] };
  walk(top, out);
  const ofType = (type: string) => out.resources.filter((f) => f.resource.type.toLowerCase() === type.toLowerCase());
  const one = (type: string) => {
    const found = ofType(type);
    expect(found, `exactly one ${type}`).toHaveLength(1);
    return found[0];
  };
  return { ...out, top, ofType, one };
}

/** App settings as name → raw value (literal or ARM expression text), from siteConfig and sites/config. */
function appSettingsOf(m: ReturnType<typeof model>): Map<string, unknown> {
  const site = m.one('Microsoft.Web/sites');
  const settings = new Map<string, unknown>();
  const add = (name: unknown, value: unknown) => {
    if (typeof name !== 'string' || isExpression(name))
      throw new Error(`app setting name must be a literal, got ${JSON.stringify(name)}`);
    if (settings.has(name)) throw new Error(`app setting ${String(name)} is set twice`);
    settings.set(name, value);
  };
  const list = site.resource.properties?.siteConfig?.appSettings;
  if (list !== undefined) {
    if (!Array.isArray(list))
      throw new Error(
        `siteConfig.appSettings must be a literal array to be checked, got ${JSON.stringify(list).slice(0, 200)}`,
      );
    for (const item of list as Array<{ name: unknown; value: unknown }>) add(item.name, item.value);
  }
  for (const f of m.ofType('Microsoft.Web/sites/config')) {
    if (!/\/appsettings'?\)?\]?$/i.test(f.resource.name) && !/'appsettings'/i.test(f.resource.name)) continue;
    const props = f.resource.properties;
    if (!props || typeof props !== 'object' || Array.isArray(props))
      throw new Error('sites/config appsettings must be a literal object');
    for (const [k, v] of Object.entries(props)) add(k, v);
  }
  return settings;
}

const text = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

/** Column names of the DCR's one stream declaration (the columns come from a module variable). */
function expandColumns(scope: Scope, declarations: unknown): string[] {
  const [decl] = Object.values((declarations ?? {}) as Record<string, { columns: unknown }>);
  const raw = decl?.columns;
  const list = typeof raw === 'string' ? scope.template.variables?.[/variables\('(\w+)'\)/.exec(raw)?.[1] ?? ''] : raw;
  return Array.isArray(list) ? (list as { name: string }[]).map((c) => c.name) : [];
}

// ---------------------------------------------------------------------------------------------------

describe('infra/main.bicep', () => {
  it('finds a working Bicep CLI and compiles the template and the parameters file', () => {
    const c = built();
    expect(c.bicep).not.toBe('');
    expect(listOf(c.template.resources).length).toBeGreaterThan(0);
    for (const name of Object.keys(c.parameters)) {
      expect(c.template.parameters, `main.bicepparam sets unknown parameter ${name}`).toHaveProperty(name);
    }
  });

  it('passes bicep lint with the CI rules raised to error', () => {
    const c = built();
    expect(c.lint.code, `bicep lint failed:\n${c.lint.stdout}\n${c.lint.stderr}`).toBe(0);
    expect(c.lint.stdout + c.lint.stderr).not.toMatch(/\bError\b/);
    const config = JSON.parse(readFileSync(join(repo, 'infra', 'bicepconfig.json'), 'utf8'));
    const rules = config.analyzers.core.rules as Record<string, { level: string }>;
    for (const rule of [
      'no-hardcoded-env-urls',
      'no-unused-params',
      'no-unused-vars',
      'no-unused-existing-resources',
      'no-unnecessary-dependson',
      'outputs-should-not-contain-secrets',
      'secure-secrets-in-params',
      'secure-parameter-default',
      'use-secure-value-for-secure-inputs',
      'use-stable-resource-identifiers',
      'use-resource-symbol-reference',
    ]) {
      expect(rules[rule]?.level, rule).toBe('error');
    }
  });

  it('uses plain resources only (no registry modules, no Graph extension)', () => {
    const files = [
      'main.bicep',
      ...['identity', 'storage', 'monitoring', 'keyVault', 'functionApp', 'roleAssignments'].map(
        (n) => `modules/${n}.bicep`,
      ),
    ];
    for (const f of files) {
      const src = readFileSync(join(repo, 'infra', f), 'utf8');
      expect(src, f).not.toMatch(/['"]br[:/]/);
      expect(src, f).not.toMatch(/^\s*extension\s/m);
    }
  });

  it('runs on Flex Consumption (FC1) with Node 22 and one user-assigned identity for everything', () => {
    const m = model();
    const plan = m.one('Microsoft.Web/serverfarms').resource;
    expect(plan.sku).toEqual({ name: 'FC1', tier: 'FlexConsumption' });
    expect(plan.properties?.reserved).toBe(true);

    m.one('Microsoft.ManagedIdentity/userAssignedIdentities');
    const site = m.one('Microsoft.Web/sites');
    const p = site.resource.properties!;
    expect(site.resource.kind).toBe('functionapp,linux');
    expect(site.resource.identity?.type).toBe('UserAssigned');
    const ids = Object.keys(site.resource.identity?.userAssignedIdentities ?? {});
    expect(ids).toHaveLength(1);
    const identityId = resolveValue(site.scope, p.keyVaultReferenceIdentity);
    expect(
      isExpression(identityId) && identityId.includes('Microsoft.ManagedIdentity/userAssignedIdentities'),
      `keyVaultReferenceIdentity = ${text(identityId)}`,
    ).toBe(true);
    expect(p.functionAppConfig.deployment.storage.authentication).toEqual({
      type: 'UserAssignedIdentity',
      userAssignedIdentityResourceId: p.keyVaultReferenceIdentity,
    });
    expect(ids[0]).toContain(/parameters\('(\w+)'\)/.exec(p.keyVaultReferenceIdentity)?.[1] ?? '<none>');
    expect(p.functionAppConfig.deployment.storage.type).toBe('blobContainer');
    expect(p.functionAppConfig.runtime).toEqual({ name: 'node', version: '22' });
    const scale = p.functionAppConfig.scaleAndConcurrency;
    expect(resolveValue(site.scope, scale.instanceMemoryMB)).toBe(2048);
    const maxInstances = resolveValue(site.scope, scale.maximumInstanceCount);
    expect(
      typeof maxInstances === 'number' && maxInstances <= 100,
      `maximumInstanceCount = ${text(maxInstances)}`,
    ).toBe(true);
    expect(site.resource.properties?.siteConfig).not.toHaveProperty('alwaysOn', true);
  });

  it('locks the site down: https only, TLS 1.2, no FTP, no basic publishing credentials', () => {
    const m = model();
    const p = m.one('Microsoft.Web/sites').resource.properties!;
    expect(p.httpsOnly).toBe(true);
    expect(p.siteConfig.minTlsVersion).toBe('1.2');
    expect(p.siteConfig.scmMinTlsVersion).toBe('1.2');
    expect(p.siteConfig.ftpsState).toBe('Disabled');
    const policies = m.ofType('Microsoft.Web/sites/basicPublishingCredentialsPolicies');
    const names = policies.map((f) => f.resource.name);
    expect(names.some((n) => n.includes("'ftp'"))).toBe(true);
    expect(names.some((n) => n.includes("'scm'"))).toBe(true);
    for (const f of policies) {
      expect(f.resource.condition, 'credentials policies are unconditional').toBeUndefined();
      expect(f.resource.properties?.allow).toBe(false);
    }
  });

  it('puts optional App Service Authentication (Entra ID) behind a parameter that defaults to off', () => {
    const m = model();
    const auth = m.ofType('Microsoft.Web/sites/config').filter((f) => f.resource.name.includes('authsettingsV2'));
    expect(auth).toHaveLength(1);
    const { resource, scope } = auth[0];
    const flag = /^\[parameters\('(\w+)'\)\]$/.exec(text(resource.condition))?.[1];
    expect(flag, `condition = ${text(resource.condition)}`).toBeDefined();
    expect(resolveParam(scope, flag!)).toBe(false);
    const p = resource.properties!;
    expect(p.globalValidation.requireAuthentication).toBe(true);
    expect(p.globalValidation.unauthenticatedClientAction).toBe('Return401');
    expect(p.globalValidation.excludedPaths, 'only the anonymous health verdict bypasses sign-in').toEqual([
      '/api/health',
    ]);
    expect(p.identityProviders.azureActiveDirectory.enabled).toBe(true);
    expect(text(p.identityProviders.azureActiveDirectory.registration.openIdIssuer)).toContain(
      'environment().authentication.loginEndpoint',
    );
  });

  it('hardens the storage account and creates the deployment container and the app tables', () => {
    const m = model();
    const p = m.one('Microsoft.Storage/storageAccounts').resource.properties!;
    expect(p.allowSharedKeyAccess).toBe(false);
    expect(p.allowBlobPublicAccess).toBe(false);
    expect(p.minimumTlsVersion).toBe('TLS1_2');
    expect(p.supportsHttpsTrafficOnly).toBe(true);
    const container = m.one('Microsoft.Storage/storageAccounts/blobServices/containers').resource;
    expect(container.properties?.publicAccess).toBe('None');

    const tables = m.ofType('Microsoft.Storage/storageAccounts/tableServices/tables');
    const names = tables.flatMap(({ resource, scope }) => {
      const loopParam = /parameters\('(\w+)'\)\[copyIndex\(\)\]/.exec(resource.name)?.[1];
      if (loopParam) return resolveParam(scope, loopParam);
      return [resolveValue(scope, resource.name)];
    });
    expect(new Set(names)).toEqual(
      new Set([
        'AlertRules',
        'PollState',
        'AlertOutbox',
        'RuleHistory',
        'ChangeWindows',
        'Channels',
        'Tenants',
        'ChannelPacing',
      ]),
    );
    expect(new Set(names), 'the tables the code uses (src/state/tableClients.ts)').toEqual(
      new Set(Object.values(tableNames)),
    );
  });

  it('creates the per-tenant poll queue and its poison queue in the storage account', () => {
    const m = model();
    const stg = m.one('Microsoft.Storage/storageAccounts');
    const service = m.one('Microsoft.Storage/storageAccounts/queueServices');
    expect(service.scope.path, 'the queue service lives beside the account').toBe(stg.scope.path);
    expect(text(service.resource.name)).toMatch(/default/);
    const queues = m.ofType('Microsoft.Storage/storageAccounts/queueServices/queues');
    const names = queues.flatMap(({ resource, scope }) => {
      expect(scope.path).toBe(stg.scope.path);
      const loopParam = /parameters\('(\w+)'\)\[copyIndex\(\)\]/.exec(resource.name)?.[1];
      if (loopParam) return resolveParam(scope, loopParam);
      return [resolveValue(scope, resource.name)];
    });
    // tenant-polls: the timer's fan-out, trigger of pollTenant; tenant-polls-poison: the Functions host's
    // <queue>-poison convention after maxDequeueCount (host.json), trigger of tenantPollPoison.
    expect([...names].sort()).toEqual(['tenant-polls', 'tenant-polls-poison']);
    expect(new Set(names), 'the queues the code uses (src/state/storageQueues.ts)').toEqual(
      new Set([tenantPollQueueName, poisonQueueName(tenantPollQueueName)]),
    );
    for (const { resource } of queues) expect(resource.condition, 'queues are unconditional').toBeUndefined();
  });

  it('grants Storage Queue Data Contributor on the storage account to the app identity, once', () => {
    const m = model();
    const stg = m.one('Microsoft.Storage/storageAccounts');
    const queueGrants = m
      .ofType('Microsoft.Authorization/roleAssignments')
      .filter((f) =>
        expandVariables(f.scope, text(f.resource.properties?.roleDefinitionId)).includes(
          ROLE.storageQueueDataContributor,
        ),
      );
    expect(queueGrants, 'exactly one queue role assignment (no duplicate)').toHaveLength(1);
    const [{ resource, scope }] = queueGrants;
    expect(resource.condition).toBeUndefined();
    expect(text(resource.properties?.roleDefinitionId)).toMatch(
      /^\[subscriptionResourceId\('Microsoft\.Authorization\/roleDefinitions', /,
    );
    // Scope: this storage account (the module's storageAccountName is the storage module's account name).
    const scopeText = text(resource.scope);
    const account = /^\[resourceId\('Microsoft\.Storage\/storageAccounts', parameters\('(\w+)'\)\)\]$/.exec(
      scopeText,
    )?.[1];
    expect(account, `scope = ${scopeText}`).toBeDefined();
    expect(resolveParam(scope, account!)).toBe(resolveValue(stg.scope, stg.resource.name));
    // Principal: the user-assigned identity's principal id (the identity module's output).
    expect(resource.properties?.principalId).toBe("[parameters('principalId')]");
    expect(text(resolveParam(scope, 'principalId'))).toMatch(
      /^\[reference\(resourceId\('Microsoft\.ManagedIdentity\/userAssignedIdentities', parameters\('name'\)\), '[^']+'\)\.principalId\]$/,
    );
    expect(resource.properties?.principalType).toBe('ServicePrincipal');
  });

  it('disables local auth on Application Insights and uses a Log Analytics workspace', () => {
    const m = model();
    const appi = m.one('Microsoft.Insights/components').resource.properties!;
    expect(appi.DisableLocalAuth).toBe(true);
    expect(text(appi.WorkspaceResourceId)).toContain('Microsoft.OperationalInsights/workspaces');
    m.one('Microsoft.OperationalInsights/workspaces');
  });

  it('uses a Key Vault with RBAC authorization, soft delete and purge protection, and creates no secrets', () => {
    const m = model();
    const kv = m.one('Microsoft.KeyVault/vaults').resource.properties!;
    expect(kv.enableRbacAuthorization).toBe(true);
    expect(kv.enablePurgeProtection).toBe(true);
    expect(kv.enableSoftDelete).not.toBe(false);
    expect(kv.accessPolicies ?? []).toEqual([]);
    expect(m.ofType('Microsoft.KeyVault/vaults/secrets')).toHaveLength(0);
  });

  it('grants least-privilege roles, each scoped to a single resource', () => {
    const m = model();
    // The optional Logs module's own grant (on its DCR) is checked in its own test below.
    const assignments = m
      .ofType('Microsoft.Authorization/roleAssignments')
      .filter((f) => !f.scope.path.endsWith('/alertLogs'));
    const granted = new Map<string, Set<string>>();
    for (const { resource, scope } of assignments) {
      const scopeText = text(resource.scope);
      expect(resource.scope, `role assignment ${resource.name} has no scope (= resource group)`).toBeDefined();
      expect(scopeText).not.toMatch(/resourceGroup\(\)|subscription\(\)|managementGroup\(\)|tenant\(\)/);
      const target = /Microsoft\.(Storage\/storageAccounts|KeyVault\/vaults|Insights\/components)'?[,/]/.exec(
        scopeText,
      )?.[1];
      expect(target, `scope ${scopeText} is not one of the app's resources`).toBeDefined();
      expect(resource.name).toMatch(/^\[guid\(/);
      expect(resource.properties?.principalType).toBe('ServicePrincipal');
      const roleText = expandVariables(scope, text(resource.properties?.roleDefinitionId));
      const roleId = Object.values(ROLE).find((id) => roleText.includes(id));
      expect(roleId, `unexpected role ${roleText}`).toBeDefined();
      const nameText = expandVariables(scope, resource.name);
      expect(nameText, 'name = guid(scope.id, principalId, roleId)').toContain(roleId!);
      expect(nameText).toContain("parameters('principalId')");
      if (!granted.has(target!)) granted.set(target!, new Set());
      granted.get(target!)!.add(roleId!);
    }
    expect(Object.fromEntries([...granted].map(([k, v]) => [k, [...v].sort()]))).toEqual({
      'Storage/storageAccounts': [
        ROLE.storageBlobDataOwner,
        ROLE.storageQueueDataContributor,
        ROLE.storageTableDataContributor,
      ].sort(),
      'KeyVault/vaults': [ROLE.keyVaultSecretsUser],
      'Insights/components': [ROLE.monitoringMetricsPublisher],
    });
    expect(assignments).toHaveLength(5);
  });

  it('has an optional Azure Monitor Logs module, off by default: custom table, DCE, DCR with the row columns, Monitoring Metrics Publisher on the DCR', () => {
    const m = model();
    const call =
      m.top.template.resources &&
      listOf(m.top.template.resources).find(
        (r) => r.type === 'Microsoft.Resources/deployments' && r.name === 'alertLogs',
      );
    expect(call, 'module alertLogs').toBeDefined();
    expect(text(call!.condition)).toBe("[parameters('enableAlertLogs')]");
    expect(m.top.template.parameters?.enableAlertLogs?.defaultValue).toBe(false);
    expect(built().parameters.enableAlertLogs?.value).toBe(false);
    const inModule = (type: string) => m.ofType(type).filter((f) => f.scope.path.endsWith('/alertLogs'));
    expect(inModule('Microsoft.OperationalInsights/workspaces/tables')).toHaveLength(1);
    expect(inModule('Microsoft.Insights/dataCollectionEndpoints')).toHaveLength(1);
    const [dcr] = inModule('Microsoft.Insights/dataCollectionRules');
    const columns = expandColumns(dcr.scope, dcr.resource.properties?.streamDeclarations);
    const row = buildLogRow(sampleAlert(), {
      deliveryId: 'd',
      possibleDuplicate: false,
      intunePortalUrl: 'https://intune.microsoft.com',
    });
    expect(
      columns,
      'DCR stream columns = the row the channel sends (src/notifiers/azureMonitorLogs/logsRow.ts)',
    ).toEqual(Object.keys(row));
    const [grant] = inModule('Microsoft.Authorization/roleAssignments');
    expect(text(grant.resource.scope)).toMatch(/Microsoft\.Insights\/dataCollectionRules/);
    expect(expandVariables(grant.scope, text(grant.resource.properties?.roleDefinitionId))).toContain(
      ROLE.monitoringMetricsPublisher,
    );
    expect(grant.resource.properties?.principalType).toBe('ServicePrincipal');
    for (const name of ['ALERT_LOGS_INGESTION_ENDPOINT', 'ALERT_LOGS_DCR_IMMUTABLE_ID', 'ALERT_LOGS_STREAM_NAME'])
      expect(m.top.template.outputs).toHaveProperty(name);
  });

  it('outputs nothing secret', () => {
    const m = model();
    for (const scope of m.scopes) {
      for (const [name, out] of Object.entries(scope.template.outputs ?? {})) {
        expect(out.type.toLowerCase(), `${scope.path} output ${name}`).not.toMatch(/^secure/);
        expect(text(out.value), `${scope.path} output ${name}`).not.toMatch(
          /\blist\w*\(|ConnectionString|InstrumentationKey|primaryKey|secretUri/i,
        );
        expect(name, `${scope.path} output ${name}`).not.toMatch(/password|connectionstring|key$/i);
      }
    }
    const top = m.top.template.outputs ?? {};
    for (const name of [
      'AZURE_FUNCTION_APP_NAME',
      'AZURE_RESOURCE_GROUP',
      'AZURE_IDENTITY_PRINCIPAL_ID',
      'AZURE_IDENTITY_CLIENT_ID',
      'AZURE_KEY_VAULT_NAME',
      'AZURE_STORAGE_ACCOUNT_NAME',
    ]) {
      expect(top, `deploy step needs output ${name}`).toHaveProperty(name);
    }
  });

  it('sets identity-based host storage and Entra-authenticated Application Insights', () => {
    const m = model();
    const s = appSettingsOf(m);
    expect(s.get('AzureWebJobsStorage__credential')).toBe('managedidentity');
    for (const name of [
      'AzureWebJobsStorage__clientId',
      'AzureWebJobsStorage__blobServiceUri',
      'AzureWebJobsStorage__queueServiceUri',
      'AzureWebJobsStorage__tableServiceUri',
    ]) {
      expect(isExpression(s.get(name)), `${name} = ${text(s.get(name))}`).toBe(true);
    }
    expect(text(s.get('AzureWebJobsStorage__blobServiceUri'))).toContain('primaryEndpoints.blob');
    expect(text(s.get('AzureWebJobsStorage__queueServiceUri'))).toContain('primaryEndpoints.queue');
    expect(text(s.get('AzureWebJobsStorage__tableServiceUri'))).toContain('primaryEndpoints.table');
    expect(text(s.get('APPLICATIONINSIGHTS_CONNECTION_STRING'))).toContain('ConnectionString');
    expect(text(s.get('APPLICATIONINSIGHTS_AUTHENTICATION_STRING'))).toMatch(/ClientId=\{0\};Authorization=AAD/);
    // The UAMI's client id everywhere a client id is needed.
    expect(s.get('AZURE_CLIENT_ID')).toBe(s.get('AzureWebJobsStorage__clientId'));
    expect(text(s.get('APPLICATIONINSIGHTS_AUTHENTICATION_STRING'))).toContain(
      text(s.get('AZURE_CLIENT_ID')).slice(1, -1),
    );
  });

  it('never sets connection strings, client secrets or settings Flex rejects', () => {
    const s = appSettingsOf(model());
    for (const name of forbiddenInAzure) expect(s.has(name), `${name} must not be set in Azure`).toBe(false);
    for (const spec of appSettings.filter((x) => x.localOnly))
      expect(s.has(spec.name), `${spec.name} is localOnly`).toBe(false);
  });

  it('keeps secrets out of app settings: every secret setting is a Key Vault reference', () => {
    const s = appSettingsOf(model());
    const secrets = appSettings.filter((x) => x.secret);
    expect(secrets.length).toBeGreaterThan(0);
    for (const spec of secrets) {
      if (!s.has(spec.name)) continue;
      const value = text(s.get(spec.name));
      expect(value, spec.name).toContain('@Microsoft.KeyVault(');
      expect(
        value.startsWith('@Microsoft.KeyVault(') || value.startsWith("[format('@Microsoft.KeyVault("),
        `${spec.name} = ${value}`,
      ).toBe(true);
    }
    expect(text(s.get('TEAMS_WEBHOOK_URL'))).toMatch(/@Microsoft\.KeyVault\(SecretUri=\{0\}secrets\/\{1\}\/\)/);
    for (const [name, value] of s) {
      expect(text(value), name).not.toMatch(
        /[?&](sig|code|key|token)=|logic\.azure\.com|webhook\.office\.com|AccountKey=|SharedAccessSignature/i,
      );
    }
  });

  it('matches the settings contract of src/config/settings.ts', () => {
    const m = model();
    const s = appSettingsOf(m);
    const known = new Set(appSettings.map((x) => x.name));
    for (const name of s.keys()) {
      expect(isHostSetting(name) || known.has(name), `${name} is neither a host setting nor in appSettings`).toBe(true);
    }
    for (const spec of appSettings.filter((x) => x.required)) {
      expect(s.has(spec.name), `required setting ${spec.name} is not set by the template`).toBe(true);
    }
    const unset = appSettings
      .filter((x) => !x.localOnly && !s.has(x.name))
      .map((x) => x.name)
      .sort();
    expect(
      unset,
      'each non-localOnly setting the template leaves out needs a reason in optionalInAzure (and only those)',
    ).toEqual(Object.keys(optionalInAzure).sort());
    for (const [name, reason] of Object.entries(optionalInAzure)) expect(reason.trim(), name).not.toBe('');

    for (const name of [
      'TABLES_SERVICE_URI',
      'AZURE_TENANT_ID',
      'AZURE_CLIENT_ID',
      'TIMER_SCHEDULE',
      'LOOKBACK_MINUTES',
      'TEAMS_WEBHOOK_URL',
      'INTUNE_PORTAL_URL',
    ]) {
      expect(s.has(name), `${name} is set in Azure`).toBe(true);
    }
    expect(s.get('AZURE_TENANT_ID')).toBe('[tenant().tenantId]');
    expect(text(s.get('TABLES_SERVICE_URI'))).toContain('primaryEndpoints.table');
  });

  it('sets the many-tenant settings: QUEUES_SERVICE_URI without a trailing slash, MULTI_TENANT_APP_CLIENT_ID from a parameter (default empty)', () => {
    const m = model();
    const site = m.one('Microsoft.Web/sites');
    const s = appSettingsOf(m);
    const queues = text(s.get('QUEUES_SERVICE_URI'));
    expect(queues).toContain('primaryEndpoints.queue');
    // Same trim as TABLES_SERVICE_URI: if(endsWith(x, '/'), take(x, sub(length(x), 1)), x).
    expect(queues).toMatch(/^\[if\(endsWith\(.*primaryEndpoints\.queue, '\/'\), take\(/);
    expect(queues.replaceAll('primaryEndpoints.queue', 'primaryEndpoints.table')).toBe(
      text(s.get('TABLES_SERVICE_URI')),
    );
    // The queue triggers (pollTenant, tenantPollPoison) use the host connection AzureWebJobsStorage.
    expect(text(s.get('AzureWebJobsStorage__queueServiceUri'))).toContain('primaryEndpoints.queue');
    const raw = text(s.get('MULTI_TENANT_APP_CLIENT_ID'));
    const p = /^\[parameters\('(\w+)'\)\]$/.exec(raw)?.[1];
    expect(p, `MULTI_TENANT_APP_CLIENT_ID = ${raw}`).toBeDefined();
    expect(resolveParam(site.scope, p!)).toBe('');
    expect(m.top.template.parameters?.multiTenantAppClientId?.defaultValue).toBe('');
    expect(built().parameters.multiTenantAppClientId?.value).toBe('');
  });

  it('defaults the deployed settings to the code defaults (template and main.bicepparam)', () => {
    const m = model();
    const site = m.one('Microsoft.Web/sites');
    const s = appSettingsOf(m);
    const deployed = (name: string) => {
      const raw = text(s.get(name));
      const p = /^\[(?:string\()?parameters\('(\w+)'\)\)?\]$/.exec(raw)?.[1];
      return p ? String(resolveParam(site.scope, p)) : raw;
    };
    const def = (name: string) => appSettings.find((x) => x.name === name)?.default;
    for (const name of ['TIMER_SCHEDULE', 'LOOKBACK_MINUTES', 'INTUNE_PORTAL_URL']) {
      expect(deployed(name), name).toBe(def(name));
    }
    // The Key Vault secret name defaults to teams-webhook-url.
    const kvArg = /parameters\('(\w+)'\)\)\]$/.exec(text(s.get('TEAMS_WEBHOOK_URL')))?.[1];
    expect(kvArg && resolveParam(site.scope, kvArg)).toBe('teams-webhook-url');
  });
});
