import { z } from 'zod';
import { ConfigError, type FieldProblem } from '../shared/errors';
import type { AuthSettings } from './authSettings';
import { appSettings } from './settings';
import { maxWindowInDays } from '../dispatch/changeWindow';
import type { ChannelConfig } from '../notifiers/channelConfig';

/** The parsed, validated configuration. Built once from the environment; every bad setting reported at once. */
export interface AppConfig {
  storage: { connectionString?: string; tableServiceUri?: string };
  /** The tenant this configuration polls (for a registered tenant: that tenant's id). */
  tenantId: string;
  /** Display name of `tenantId`, when it is a registered tenant (cards and payloads name it). */
  tenantName?: string;
  /** Many tenants: the home tenant (AZURE_TENANT_ID) owns global rules and channels; others are registered in the Tenants table. */
  tenancy: {
    homeTenantId: string;
    /** The multi-tenant app registration that signs in to registered tenants. */
    appClientId?: string;
    queue: { connectionString?: string; queueServiceUri?: string; prefix?: string };
    authRetryMinutes: number;
  };
  graph: {
    baseUrl: string;
    isSimulator: boolean;
    auth:
      | { kind: 'none' }
      | { kind: 'clientSecret'; clientId: string; clientSecret: string }
      | { kind: 'certificate'; clientId: string; certificatePath: string }
      | { kind: 'managedIdentity'; clientId?: string };
    pageSize: number;
    maxPagesPerRun: number;
    runTimeBudgetInMs: number;
    requestTimeoutInMs: number;
    maxRetries: number;
    retryDelayInSeconds: number;
  };
  ownClientId?: string;
  timerSchedule: string;
  lookbackInMinutes: number;
  initialLookbackInMinutes: number;
  channels: ChannelConfig[];
  webhookPolicy: { extraAllowedHosts: string[]; allowLoopback: boolean };
  delivery: {
    timeoutInMs: number;
    retryBaseInSeconds: number;
    maxAgeInMinutes: number;
    groupWindowInMinutes: number;
    failoverChannel?: string;
    /** `table`: per-channel pacing through a lease row shared by every instance; `process`: this process only. */
    pacing: 'table' | 'process';
  };
  /** Reads an app setting by name: the secrets that table channels reference (never logged). */
  readSetting: (name: string) => string | undefined;
  alertSampleEvents: number;
  seenRetentionInHours: number;
  deliveredRetentionInDays: number;
  intunePortalUrl: string;
  auth: AuthSettings;
  /** Graph pages one backtest reads at most. */
  backtestMaxPages: number;
  /** The watchdog, health and heartbeat (src/composition/watchServices.ts). */
  watch: {
    channel?: string;
    failedPolls: number;
    channelFailures: number;
    maxLagInMinutes: number;
    heartbeatSchedule?: string;
    ledgerRetentionInDays: number;
  };
}

type Env = Record<string, string | undefined>;

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
const ncrontab = z
  .string()
  .regex(
    /^\s*(\S+\s+){5}\S+\s*$/,
    'must be an NCRONTAB expression with 6 fields (second minute hour day month day-of-week)',
  );
const url = z.url({ protocol: /^https?$/ });

const schema = z.object({
  AzureWebJobsStorage: z.string().min(1),
  TABLES_SERVICE_URI: url.optional(),
  QUEUES_SERVICE_URI: url.optional(),
  MULTI_TENANT_APP_CLIENT_ID: z
    .string()
    .regex(/^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$/, 'must be an application (client) id, a GUID')
    .optional(),
  TENANT_AUTH_RETRY_MINUTES: int(1, 7 * 24 * 60),
  DELIVERY_PACING: z.enum(['table', 'process'], { error: 'must be table or process' }),
  AZURE_TENANT_ID: z
    .string()
    .regex(/^[0-9a-zA-Z.-]{1,64}$/, 'must be a tenant id (GUID) or domain')
    .optional(),
  AZURE_CLIENT_ID: z.string().min(1).optional(),
  AZURE_CLIENT_SECRET: z.string().min(1).optional(),
  AZURE_CLIENT_CERTIFICATE_PATH: z.string().min(1).optional(),
  GRAPH_BASE_URL: url,
  TIMER_SCHEDULE: ncrontab,
  LOOKBACK_MINUTES: int(0, 24 * 60),
  INITIAL_LOOKBACK_MINUTES: int(1, 366 * 24 * 60),
  GRAPH_PAGE_SIZE: int(1, 1000),
  GRAPH_MAX_PAGES_PER_RUN: int(1, 100_000),
  POLL_TIME_BUDGET_SECONDS: int(5, 3600),
  GRAPH_REQUEST_TIMEOUT_MS: int(100, 600_000),
  GRAPH_MAX_RETRIES: int(0, 10),
  GRAPH_RETRY_DELAY_SECONDS: int(0, 180),
  TEAMS_WEBHOOK_URL: z.string().min(1).optional(),
  WEBHOOK_ALLOWED_HOSTS: z.string(),
  ALLOW_LOOPBACK_WEBHOOKS: bool,
  DELIVERY_TIMEOUT_MS: int(100, 120_000),
  DELIVERY_RETRY_BASE_SECONDS: int(0, 3600),
  DELIVERY_MAX_AGE_MINUTES: int(1, 30 * 24 * 60),
  ALERT_GROUP_WINDOW_MINUTES: int(0, 24 * 60),
  FAILOVER_CHANNEL: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be a channel id')
    .optional(),
  ALERT_SAMPLE_EVENTS: int(1, 50),
  SEEN_RETENTION_HOURS: int(1, 24 * 400),
  DELIVERED_RETENTION_DAYS: int(1, 400),
  INTUNE_PORTAL_URL: z.url({ protocol: /^https$/ }),
  LOCAL_INBOX_URL: url.optional(),
  LOCAL_QUEUE_PREFIX: z
    .string()
    .regex(/^[a-z0-9]{1,20}$/, 'must be 1 to 20 lower-case letters or digits')
    .optional(),
  ADMIN_AUTH_MODE: z.enum(['key', 'entra'], { error: 'must be key or entra' }),
  ADMIN_APP_ROLE: z.string().min(1),
  READER_APP_ROLE: z.string().min(1),
  ADMIN_AUTH_CLIENT_ID: z.string().min(1).optional(),
  BACKTEST_MAX_PAGES: int(1, 100_000),
  WATCHDOG_CHANNEL: z.string().min(1).optional(),
  WATCHDOG_FAILED_POLLS: int(1, 1000),
  WATCHDOG_CHANNEL_FAILURES: int(1, 1000),
  HEALTH_MAX_LAG_MINUTES: int(1, 7 * 24 * 60),
  HEARTBEAT_SCHEDULE: z.union([z.literal(''), ncrontab]),
  LEDGER_RETENTION_DAYS: int(1, 400),
});

/** Reads every setting (defaults from `appSettings`), validates them all, and throws one ConfigError naming each bad one. */
export function loadConfig(env: Env = process.env): AppConfig {
  const raw: Record<string, string | undefined> = {};
  for (const spec of appSettings) {
    const value = env[spec.name];
    raw[spec.name] = value === undefined || value.trim() === '' ? spec.default : value.trim();
  }
  const problems: FieldProblem[] = [];
  for (const spec of appSettings) {
    if (!spec.secret) continue;
    // An unresolved Key Vault reference leaves its literal text in the variable.
    if (raw[spec.name]?.startsWith('@Microsoft.KeyVault(')) {
      problems.push({
        field: spec.name,
        message:
          'is an unresolved Key Vault reference: check the secret exists and the identity has "Key Vault Secrets User"',
      });
      raw[spec.name] = undefined;
    }
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const field = String(issue.path[0] ?? 'config');
      const shown = appSettings.find((s) => s.name === field)?.secret ? '' : ` (got "${raw[field] ?? ''}")`;
      problems.push({ field, message: `${issue.message}${shown}` });
    }
    throw new ConfigError(problems);
  }
  const s = parsed.data;
  const graphUrl = new URL(s.GRAPH_BASE_URL);
  const isSimulator = graphUrl.origin !== 'https://graph.microsoft.com';
  if (!isSimulator && !s.AZURE_TENANT_ID)
    problems.push({ field: 'AZURE_TENANT_ID', message: 'is required to read the real Microsoft Graph' });
  if (s.AZURE_CLIENT_SECRET && !s.AZURE_CLIENT_ID)
    problems.push({ field: 'AZURE_CLIENT_ID', message: 'is required with AZURE_CLIENT_SECRET' });
  if (s.AZURE_CLIENT_CERTIFICATE_PATH && !s.AZURE_CLIENT_ID)
    problems.push({ field: 'AZURE_CLIENT_ID', message: 'is required with AZURE_CLIENT_CERTIFICATE_PATH' });
  if (s.ALERT_GROUP_WINDOW_MINUTES >= s.DELIVERY_MAX_AGE_MINUTES)
    problems.push({
      field: 'ALERT_GROUP_WINDOW_MINUTES',
      message: 'must be shorter than DELIVERY_MAX_AGE_MINUTES, or held alerts would be dead-lettered',
    });
  if (s.DELIVERED_RETENTION_DAYS <= maxWindowInDays)
    problems.push({
      field: 'DELIVERED_RETENTION_DAYS',
      message: `must be longer than the longest change window (${maxWindowInDays} days), or matches a window suppressed could be cleaned up before its summary`,
    });
  if (s.SEEN_RETENTION_HOURS * 60 <= s.LOOKBACK_MINUTES)
    problems.push({
      field: 'SEEN_RETENTION_HOURS',
      message: 'must be longer than LOOKBACK_MINUTES, or re-read events would alert again',
    });

  const channels: ChannelConfig[] = [];
  if (s.TEAMS_WEBHOOK_URL)
    channels.push({
      id: 'teams',
      type: 'teams',
      url: s.TEAMS_WEBHOOK_URL,
      isDefault: true,
      setting: 'TEAMS_WEBHOOK_URL',
    });
  else if (s.LOCAL_INBOX_URL)
    channels.push({
      id: 'local-inbox',
      type: 'teams',
      url: s.LOCAL_INBOX_URL,
      isDefault: true,
      setting: 'LOCAL_INBOX_URL',
    });
  else if (!problems.some((p) => p.field === 'TEAMS_WEBHOOK_URL'))
    problems.push({ field: 'TEAMS_WEBHOOK_URL', message: 'is required: no alert channel is configured' });
  if (problems.length > 0) throw new ConfigError(problems);

  const auth: AppConfig['graph']['auth'] = isSimulator
    ? { kind: 'none' }
    : s.AZURE_CLIENT_SECRET
      ? { kind: 'clientSecret', clientId: s.AZURE_CLIENT_ID!, clientSecret: s.AZURE_CLIENT_SECRET }
      : s.AZURE_CLIENT_CERTIFICATE_PATH
        ? { kind: 'certificate', clientId: s.AZURE_CLIENT_ID!, certificatePath: s.AZURE_CLIENT_CERTIFICATE_PATH }
        : { kind: 'managedIdentity', clientId: s.AZURE_CLIENT_ID };

  return {
    storage: { connectionString: s.AzureWebJobsStorage, tableServiceUri: s.TABLES_SERVICE_URI },
    tenantId: (s.AZURE_TENANT_ID ?? 'simulator').toLowerCase(),
    tenancy: {
      homeTenantId: (s.AZURE_TENANT_ID ?? 'simulator').toLowerCase(),
      appClientId: s.MULTI_TENANT_APP_CLIENT_ID?.toLowerCase(),
      queue: {
        connectionString: s.AzureWebJobsStorage,
        queueServiceUri: s.QUEUES_SERVICE_URI,
        prefix: s.LOCAL_QUEUE_PREFIX,
      },
      authRetryMinutes: s.TENANT_AUTH_RETRY_MINUTES,
    },
    graph: {
      baseUrl: graphUrl.origin,
      isSimulator,
      auth,
      pageSize: s.GRAPH_PAGE_SIZE,
      maxPagesPerRun: s.GRAPH_MAX_PAGES_PER_RUN,
      runTimeBudgetInMs: s.POLL_TIME_BUDGET_SECONDS * 1000,
      requestTimeoutInMs: s.GRAPH_REQUEST_TIMEOUT_MS,
      maxRetries: s.GRAPH_MAX_RETRIES,
      retryDelayInSeconds: s.GRAPH_RETRY_DELAY_SECONDS,
    },
    ownClientId: s.AZURE_CLIENT_ID,
    timerSchedule: s.TIMER_SCHEDULE,
    lookbackInMinutes: s.LOOKBACK_MINUTES,
    initialLookbackInMinutes: s.INITIAL_LOOKBACK_MINUTES,
    channels,
    webhookPolicy: {
      extraAllowedHosts: s.WEBHOOK_ALLOWED_HOSTS.split(',')
        .map((h) => h.trim().toLowerCase())
        .filter(Boolean),
      allowLoopback: s.ALLOW_LOOPBACK_WEBHOOKS,
    },
    delivery: {
      timeoutInMs: s.DELIVERY_TIMEOUT_MS,
      retryBaseInSeconds: s.DELIVERY_RETRY_BASE_SECONDS,
      maxAgeInMinutes: s.DELIVERY_MAX_AGE_MINUTES,
      groupWindowInMinutes: s.ALERT_GROUP_WINDOW_MINUTES,
      failoverChannel: s.FAILOVER_CHANNEL,
      pacing: s.DELIVERY_PACING,
    },
    readSetting: (name) => env[name],
    alertSampleEvents: s.ALERT_SAMPLE_EVENTS,
    seenRetentionInHours: s.SEEN_RETENTION_HOURS,
    deliveredRetentionInDays: s.DELIVERED_RETENTION_DAYS,
    intunePortalUrl: s.INTUNE_PORTAL_URL.replace(/\/+$/, ''),
    auth: {
      mode: s.ADMIN_AUTH_MODE,
      adminRole: s.ADMIN_APP_ROLE,
      readerRole: s.READER_APP_ROLE,
      clientId: s.ADMIN_AUTH_CLIENT_ID,
    },
    backtestMaxPages: s.BACKTEST_MAX_PAGES,
    watch: {
      channel: s.WATCHDOG_CHANNEL,
      failedPolls: s.WATCHDOG_FAILED_POLLS,
      channelFailures: s.WATCHDOG_CHANNEL_FAILURES,
      maxLagInMinutes: s.HEALTH_MAX_LAG_MINUTES,
      heartbeatSchedule: s.HEARTBEAT_SCHEDULE || undefined,
      ledgerRetentionInDays: s.LEDGER_RETENTION_DAYS,
    },
  };
}
