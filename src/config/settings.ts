/**
 * Every app setting the code reads, with its default and meaning. This table is the single source for
 * `config.ts` (parsing), the settings table of docs/configuration.md and the infra test that compares it with the
 * compiled Bicep template.
 */
export interface SettingSpec {
  name: string;
  /** Text form of the default; `undefined` = no default (optional unless `required`). */
  default?: string;
  required?: boolean;
  /** Secret values (webhook URLs, client secrets) are never logged or returned. */
  secret?: boolean;
  /** Read only by `npm start` / tests / local tooling, never set in Azure. */
  localOnly?: boolean;
  description: string;
}

export const appSettings: readonly SettingSpec[] = [
  {
    name: 'AzureWebJobsStorage',
    default: 'UseDevelopmentStorage=true',
    description: 'Storage connection string for state tables when TABLES_SERVICE_URI is not set (Azurite locally).',
  },
  {
    name: 'TABLES_SERVICE_URI',
    description:
      'Table service endpoint (https://<account>.table.core.windows.net) reached with the managed identity; takes precedence over AzureWebJobsStorage.',
  },
  {
    name: 'QUEUES_SERVICE_URI',
    description:
      'Queue service endpoint (https://<account>.queue.core.windows.net) for the per-tenant poll queue, reached with the managed identity; takes precedence over AzureWebJobsStorage.',
  },
  {
    name: 'AZURE_TENANT_ID',
    description:
      'Entra tenant id: Graph sign-in and the partition key of every state row. Required unless Graph is the local simulator.',
  },
  {
    name: 'AZURE_CLIENT_ID',
    description:
      'Client id of the app registration or user-assigned managed identity. Events made by this identity are ignored.',
  },
  {
    name: 'MULTI_TENANT_APP_CLIENT_ID',
    description:
      'Client id of the multi-tenant app registration that reads Graph in registered tenants. With a managed identity, the identity signs in as its federated credential (no secret); with AZURE_CLIENT_SECRET / AZURE_CLIENT_CERTIFICATE_PATH, AZURE_CLIENT_ID is that app and this may be left empty. Shown in the admin-consent link.',
  },
  {
    name: 'TENANT_AUTH_RETRY_MINUTES',
    default: '30',
    description:
      'A registered tenant whose sign-in or consent failed (401 / 403 / AADSTS error) is polled again only this often until it works.',
  },
  {
    name: 'AZURE_CLIENT_SECRET',
    secret: true,
    description: 'Client secret (local development against a real tenant). Prefer managed identity in Azure.',
  },
  { name: 'AZURE_CLIENT_CERTIFICATE_PATH', description: 'PEM certificate (with key) for client-certificate sign-in.' },
  {
    name: 'GRAPH_BASE_URL',
    default: 'https://graph.microsoft.com',
    description:
      'Graph origin. Any other origin is treated as a Graph simulator: requests are rewritten to it and no token is fetched.',
  },
  { name: 'TIMER_SCHEDULE', default: '0 */1 * * * *', description: 'NCRONTAB (6 fields, UTC) of the poll timer.' },
  {
    name: 'LOOKBACK_MINUTES',
    default: '15',
    description: 'Each window starts this far before the last checkpoint, because Graph events become visible late.',
  },
  { name: 'INITIAL_LOOKBACK_MINUTES', default: '60', description: 'How far back the very first run looks.' },
  { name: 'GRAPH_PAGE_SIZE', default: '100', description: '$top of each Graph request.' },
  {
    name: 'GRAPH_MAX_PAGES_PER_RUN',
    default: '100',
    description: 'Page budget per run; a bigger backlog is worked off over several runs.',
  },
  {
    name: 'POLL_TIME_BUDGET_SECONDS',
    default: '45',
    description:
      'No Graph request is started after this long in a run (retry waits end there too), so a run ends before the next timer fires; the rest is read by the next run.',
  },
  { name: 'GRAPH_REQUEST_TIMEOUT_MS', default: '30000', description: 'Timeout of every Graph request attempt.' },
  {
    name: 'GRAPH_MAX_RETRIES',
    default: '3',
    description: 'Retries of a Graph request on 429 / 503 / 504 (Retry-After honoured).',
  },
  {
    name: 'GRAPH_RETRY_DELAY_SECONDS',
    default: '3',
    description:
      'First retry wait when Graph sends no Retry-After (429 without it is observed on auditEvents); doubles per retry with jitter, each wait at most 30 s.',
  },
  {
    name: 'TEAMS_WEBHOOK_URL',
    secret: true,
    description: 'Teams Workflows webhook URL (Key Vault reference in Azure). Channel id `teams`, a default channel.',
  },
  {
    name: 'WEBHOOK_ALLOWED_HOSTS',
    default: '',
    description: 'Extra hosts (comma-separated) accepted for webhook URLs besides the Workflows / Logic Apps hosts.',
  },
  {
    name: 'ALLOW_LOOPBACK_WEBHOOKS',
    default: 'false',
    description: 'DEVELOPMENT ONLY: accept http://127.0.0.1 / localhost webhook URLs.',
  },
  {
    name: 'DELIVERY_PACING',
    default: 'table',
    description:
      "How a channel's rate (Teams 4 / s) is held: `table` = one lease row per channel in Table Storage, shared by every instance; `process` = in this process's memory only (one instance).",
  },
  { name: 'DELIVERY_TIMEOUT_MS', default: '15000', description: 'Timeout of one delivery attempt.' },
  {
    name: 'DELIVERY_RETRY_BASE_SECONDS',
    default: '30',
    description:
      'First retry delay of a failed delivery; doubles per attempt with jitter, capped at 15 min, Retry-After honoured.',
  },
  {
    name: 'DELIVERY_MAX_AGE_MINUTES',
    default: '1440',
    description: 'A delivery still failing after this long is dead-lettered.',
  },
  {
    name: 'ALERT_SAMPLE_EVENTS',
    default: '10',
    description: "How many of an alert's events are kept and shown; the count is always exact.",
  },
  {
    name: 'SEEN_RETENTION_HOURS',
    default: '72',
    description: 'How long recorded matches (rule + event) are kept for de-duplication (must exceed the lookback).',
  },
  {
    name: 'DELIVERED_RETENTION_DAYS',
    default: '30',
    description:
      'How long sent alerts and their delivery records are kept (also the matches recorded inside a change window, so more than 7 days).',
  },
  {
    name: 'ALERT_GROUP_WINDOW_MINUTES',
    default: '10',
    description:
      'After a post of a medium or low alert group (rule + group key) to a channel, further alerts of that group within this many minutes are held and sent as one follow-up digest when the window ends (0 = off). High and critical alerts are never held unless their rule sets groupWindow.',
  },
  {
    name: 'FAILOVER_CHANNEL',
    description:
      'Channel id that gets a notice (through the outbox, once per incident) when another channel fails permanently, dead-letters or is misconfigured.',
  },
  {
    name: 'INTUNE_PORTAL_URL',
    default: 'https://intune.microsoft.com',
    description: 'Base of the admin-center links on cards.',
  },
  {
    name: 'ADMIN_AUTH_MODE',
    default: 'key',
    description:
      'Admin API authorization: `key` (function keys; a key holder is an admin) or `entra` (App Service Authentication in front; Entra app roles decide).',
  },
  {
    name: 'ADMIN_APP_ROLE',
    default: 'PkiAlerts.Admin',
    description: 'Entra app role value that may change rules, windows and channels (`entra` mode).',
  },
  {
    name: 'ADMIN_AUTH_CLIENT_ID',
    description:
      'Client id of the Entra app registration App Service Authentication signs admin users in with (`entra` mode). Admin routes answer 503 unless the platform reports Authentication on (WEBSITE_AUTH_ENABLED) with this client id.',
  },
  {
    name: 'READER_APP_ROLE',
    default: 'PkiAlerts.Reader',
    description: 'Entra app role value that may read rules, alerts and health (`entra` mode).',
  },
  {
    name: 'WATCHDOG_CHANNEL',
    description:
      'Channel id(s), comma-separated, that receive watchdog messages (failing polls, lag, Graph 401 / 403, failing channels, coverage gaps). Default: FAILOVER_CHANNEL when set, else the default channels.',
  },
  {
    name: 'WATCHDOG_FAILED_POLLS',
    default: '3',
    description:
      'Polls failing this many times in a row raise a watchdog incident (and make GET /api/health answer 503).',
  },
  {
    name: 'WATCHDOG_CHANNEL_FAILURES',
    default: '3',
    description:
      'Delivery attempts to one channel failing this many times in a row raise a watchdog incident (at once on 401 / 403 / 404 / 410).',
  },
  {
    name: 'HEALTH_MAX_LAG_MINUTES',
    default: '10',
    description:
      'Largest acceptable lag between now and the checkpoint: beyond it GET /api/health answers 503 and the watchdog raises a lag incident.',
  },
  {
    name: 'HEARTBEAT_SCHEDULE',
    default: '',
    description:
      'NCRONTAB (6 fields, UTC) of the heartbeat: a coverage summary to every Teams channel, e.g. `0 0 8 * * *` daily. Empty = off (the heartbeat function is not registered).',
  },
  {
    name: 'LEDGER_RETENTION_DAYS',
    default: '30',
    description: 'How long run-ledger rows (the proof of which time ranges were scanned) are kept.',
  },
  {
    name: 'BACKTEST_MAX_PAGES',
    default: '500',
    description:
      'Graph pages a backtest (POST /api/backtest, `pki-alerts rules backtest`) reads at most; a longer range is cut short and the response says up to when it was read.',
  },
  {
    name: 'LOCAL_ADMIN_KEY',
    localOnly: true,
    description:
      '`npm start`: the key admin routes require locally (`x-functions-key` header or `?code=`); a random one is generated and printed when unset.',
  },
  {
    name: 'LOCAL_EASY_AUTH',
    default: 'on',
    localOnly: true,
    description:
      '`npm start` with ADMIN_AUTH_MODE=entra: `on` puts the local stand-in for App Service Authentication in front (sign-in form at /.auth/login/aad, client `x-ms-*` headers stripped); `off` leaves it out, so the admin API is closed (503).',
  },
  {
    name: 'LOCAL_INBOX_URL',
    localOnly: true,
    description: 'Set by `npm start` when no channel is configured: cards are posted to the local inbox instead.',
  },
  {
    name: 'LOCAL_QUEUE_PREFIX',
    localOnly: true,
    description:
      "Tests and local tooling only: prefixes every Storage queue name (the poll queue and its poison queue) so runs sharing one Azurite cannot take each other's messages; the local functions host applies it to queue triggers too.",
  },
  {
    name: 'PORT',
    default: '7071',
    localOnly: true,
    description: '`npm start`: port of the local host (HTTP routes under /api/).',
  },
  {
    name: 'SIMULATOR_DRIP_SECONDS',
    default: '45',
    localOnly: true,
    description: '`npm start` with the Graph simulator: a new random Cloud PKI event every N seconds (0 = off).',
  },
  {
    name: 'SIMULATOR_EVENTS_FILE',
    localOnly: true,
    description:
      '`npm start` with the Graph simulator: serve this Graph-shaped export (`{"value": [...]}`) instead of the made-up scenario, shifted so its last event is a minute old (no live events).',
  },
  {
    name: 'SIMULATOR_TENANTS',
    default: '0',
    localOnly: true,
    description:
      "`npm start` only: simulate this many tenants (each with its own Cloud PKI scenario and CA names), all registered in the Tenants table and polled through the queue; SIMULATOR_MODE applies to every tenant, SIMULATOR_EVENTS_FILE replaces the home tenant's events. 0 = the one home tenant.",
  },
  {
    name: 'SIMULATOR_MODE',
    default: 'strict',
    localOnly: true,
    description:
      "`npm start` with the Graph simulator: how it behaves where Graph's docs are silent: `strict` (newest first, `asc` refused, pages below `$top`), `asc-accepted`, `asc-ignored`, `repeated-items`, `throttled-no-retry-after`, `intune-error-body`, `hanging-next-link`.",
  },
  {
    name: 'RUN_ON_START',
    default: 'false',
    localOnly: true,
    description: '`npm start`: run each timer once right after start.',
  },
];
