import { z } from 'zod';
import { type FieldProblem, ValidationError } from '../shared/errors';
import { parseWebhookSecrets } from './webhook/standardWebhook';
import { checkLogsEndpoint, customStreamPattern, dcrImmutableIdPattern } from './azureMonitorLogs/logsEndpoint';
import { pagerDutyEndpoint, pagerDutyRegions } from './pagerduty/pagerDutyEndpoint';
import { checkWebhookUrl } from './urlPolicy';

/** The channel types; the registry is the only switch on them. */
export const channelTypes = [
  'teams',
  'email-graph',
  'email-webhook',
  'webhook',
  'pagerduty',
  'azure-monitor-logs',
] as const;
export type ChannelType = (typeof channelTypes)[number];

/**
 * A delivery channel. Secrets (webhook URLs, signing secrets) are never stored here: `urlSetting` and
 * `secretSetting` name the APP SETTINGS that hold them (Key Vault references in Azure).
 */
export interface ChannelDefinition {
  id: string;
  type: ChannelType;
  /** A rule's `default` channel stands for every default channel. */
  isDefault: boolean;
  description?: string;
  /** `app-settings`: built from TEAMS_WEBHOOK_URL / LOCAL_INBOX_URL (read-only); `table`: the Channels table. */
  source: 'app-settings' | 'table';
  settings: ChannelSettings;
}

export interface ChannelSettings {
  /** teams, email-webhook, webhook: app setting holding the URL. */
  urlSetting?: string;
  /** webhook: app setting holding the `whsec_` secret (several, space-separated, while rotating). */
  secretSetting?: string;
  /** email-graph: the sender mailbox (UPN or object id). */
  mailbox?: string;
  /** email-graph, email-webhook: recipients. */
  to?: string[];
  /** pagerduty: app setting holding the Events API v2 integration (routing) key. */
  routingKeySetting?: string;
  /** pagerduty: the account's service region (default `us`). */
  region?: 'us' | 'eu';
  /** pagerduty: DEVELOPMENT ONLY, a loopback receiver replacing the region's endpoint (ALLOW_LOOPBACK_WEBHOOKS). */
  endpoint?: string;
  /** pagerduty: link back to the app (`client_url`); default https://$WEBSITE_HOSTNAME/api/ui when known. */
  clientUrl?: string;
  /** azure-monitor-logs: data collection endpoint (or DCR ingestion endpoint) origin. */
  ingestionEndpoint?: string;
  /** azure-monitor-logs: the data collection rule's immutableId (`dcr-<32 hex>`). */
  dcrImmutableId?: string;
  /** azure-monitor-logs: the DCR's custom stream (`Custom-<name>`). */
  streamName?: string;
  /** Pacing override (sends per second). */
  maxPerSecond?: number;
}

const channelId = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9-]{0,62}$/,
    'must be 1-63 lowercase letters, digits or dashes, starting with a letter or digit',
  );
const settingName = z
  .string()
  .regex(
    /^[A-Za-z_][A-Za-z0-9_]{0,127}$/,
    'must be an app setting NAME (letters, digits, underscores), never the secret itself',
  );
const email = z
  .string()
  .trim()
  .regex(/^[^\s@<>"',;]+@[^\s@<>"',;]+\.[^\s@<>"',;]+$/, 'must be an email address')
  .max(254);
const recipients = z.array(email).min(1, 'must list at least one recipient').max(20);
const rate = z.number().min(0.1).max(50).optional();
const base = { id: channelId, isDefault: z.boolean().default(false), description: z.string().max(500).optional() };

/** A table channel document (parseChannel); also the OpenAPI document's schema of PUT /api/channels/{id}. */
export const channelDocumentSchema = z.discriminatedUnion(
  'type',
  [
    z
      .object({
        ...base,
        type: z.literal('teams'),
        settings: z.object({ urlSetting: settingName, maxPerSecond: rate }).strict(),
      })
      .strict(),
    z
      .object({
        ...base,
        type: z.literal('email-webhook'),
        settings: z.object({ urlSetting: settingName, to: recipients, maxPerSecond: rate }).strict(),
      })
      .strict(),
    z
      .object({
        ...base,
        type: z.literal('email-graph'),
        settings: z
          .object({
            mailbox: z.union([email, z.string().uuid('must be a mailbox address or object id')]),
            to: recipients,
            maxPerSecond: rate,
          })
          .strict(),
      })
      .strict(),
    z
      .object({
        ...base,
        type: z.literal('webhook'),
        settings: z.object({ urlSetting: settingName, secretSetting: settingName, maxPerSecond: rate }).strict(),
      })
      .strict(),
    z
      .object({
        ...base,
        type: z.literal('pagerduty'),
        settings: z
          .object({
            routingKeySetting: settingName,
            region: z.enum(pagerDutyRegions, { error: `must be one of ${pagerDutyRegions.join(', ')}` }).default('us'),
            endpoint: z.string().max(500).optional(),
            clientUrl: z
              .string()
              .max(2000)
              .regex(/^https:\/\/[^\s/@]+(\/[^\s]*)?$/, 'must be an https:// URL without user info')
              .optional(),
            maxPerSecond: rate,
          })
          .strict(),
      })
      .strict(),
    z
      .object({
        ...base,
        type: z.literal('azure-monitor-logs'),
        settings: z
          .object({
            ingestionEndpoint: z.string().max(500, 'must be at most 500 characters'),
            dcrImmutableId: z
              .string()
              .regex(
                dcrImmutableIdPattern,
                'must be the DCR immutableId: dcr- followed by 32 hex digits (az monitor data-collection rule show --query immutableId)',
              ),
            streamName: z
              .string()
              .regex(
                customStreamPattern,
                'must be a custom stream name starting with Custom- (letters, digits, underscores), e.g. Custom-CloudPkiAlerts_CL',
              ),
            maxPerSecond: rate,
          })
          .strict(),
      })
      .strict(),
  ],
  { error: `type must be one of ${channelTypes.join(', ')}` },
);

/** The one parse-and-validate function for channel documents (API writes and table reads). */
export function parseChannel(input: unknown, subject = 'channel'): ChannelDefinition {
  const parsed = channelDocumentSchema.safeParse(input);
  if (parsed.success) return { ...parsed.data, source: 'table' };
  const id =
    typeof input === 'object' && input !== null && typeof (input as { id?: unknown }).id === 'string'
      ? (input as { id: string }).id
      : undefined;
  throw new ValidationError(
    id ? `${subject} "${id}"` : subject,
    parsed.error.issues.map((issue) => ({
      field:
        issue.path.map(String).join('.') ||
        (issue.code === 'unrecognized_keys' ? (issue as { keys: string[] }).keys.join(', ') : 'channel'),
      message:
        issue.code === 'unrecognized_keys'
          ? `unknown field(s) ${(issue as { keys: string[] }).keys.join(', ')}`
          : issue.message,
    })),
  );
}

/** What a channel's secrets resolve to; never logged or returned. */
export interface ResolvedSecrets {
  url?: string;
  keys?: Buffer[];
  /** pagerduty: the integration key (a secret). */
  routingKey?: string;
  /** pagerduty, azure-monitor-logs: the checked endpoint (not a secret; the channel list shows its host). */
  endpoint?: string;
  /** azure-monitor-logs: token audience of the endpoint's cloud. */
  audience?: string;
}

/** An Events API v2 integration key: 32 letters and digits. */
const routingKeyPattern = /^[A-Za-z0-9]{32}$/;

export interface SecretPolicy {
  readSetting: (name: string) => string | undefined;
  extraAllowedHosts: readonly string[];
  allowLoopback: boolean;
}

/**
 * Reads and checks the app settings a channel names: present, not an unresolved Key Vault reference,
 * a URL that passes the type's allow-list, a parseable `whsec_` secret. Problems name the setting, never
 * its value. Used at save time (400) and whenever notifiers are built.
 */
export function resolveSecrets(
  def: ChannelDefinition,
  policy: SecretPolicy,
): { ok: true; secrets: ResolvedSecrets } | { ok: false; problems: FieldProblem[] } {
  const problems: FieldProblem[] = [];
  const read = (field: string, name: string): string | undefined => {
    const value = policy.readSetting(name)?.trim();
    if (!value) problems.push({ field, message: `app setting ${name} is not set` });
    else if (value.startsWith('@Microsoft.KeyVault('))
      problems.push({
        field,
        message: `app setting ${name} is an unresolved Key Vault reference: check the secret exists and the identity has "Key Vault Secrets User"`,
      });
    else return value;
    return undefined;
  };
  const secrets: ResolvedSecrets = {};
  const { urlSetting, secretSetting } = def.settings;
  if (urlSetting) {
    const url = read('settings.urlSetting', urlSetting);
    if (url) {
      const kind = def.type === 'webhook' ? 'webhook' : def.type === 'email-webhook' ? 'email-webhook' : 'teams';
      const check = checkWebhookUrl(url, {
        kind,
        extraAllowedHosts: policy.extraAllowedHosts,
        allowLoopback: policy.allowLoopback,
      });
      if (check.ok) secrets.url = url;
      else problems.push({ field: 'settings.urlSetting', message: `app setting ${urlSetting}: ${check.message}` });
    }
  }
  if (secretSetting) {
    const value = read('settings.secretSetting', secretSetting);
    if (value) {
      const parsed = parseWebhookSecrets(value);
      if (parsed.ok) secrets.keys = parsed.keys;
      else
        problems.push({ field: 'settings.secretSetting', message: `app setting ${secretSetting} ${parsed.message}` });
    }
  }
  if (def.type === 'pagerduty') {
    const { routingKeySetting, region, endpoint } = def.settings;
    const key = routingKeySetting ? read('settings.routingKeySetting', routingKeySetting) : undefined;
    if (key && routingKeyPattern.test(key)) secrets.routingKey = key;
    else if (key)
      problems.push({
        field: 'settings.routingKeySetting',
        message: `app setting ${routingKeySetting} must hold a 32-character Events API v2 integration key (letters and digits)`,
      });
    const target = pagerDutyEndpoint(region, endpoint, policy.allowLoopback);
    if (target.ok) secrets.endpoint = target.url.href;
    else problems.push({ field: 'settings.endpoint', message: target.message });
  }
  if (def.type === 'azure-monitor-logs') {
    const target = checkLogsEndpoint(def.settings.ingestionEndpoint ?? '', policy.allowLoopback);
    if (target.ok) Object.assign(secrets, { endpoint: target.url.origin, audience: target.audience });
    else problems.push({ field: 'settings.ingestionEndpoint', message: target.message });
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, secrets };
}
