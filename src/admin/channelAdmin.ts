import { randomUUID } from 'node:crypto';
import type { Alert } from '../dispatch/alert';
import type { ChannelStatus } from '../dispatch/deliveryState';
import { type ChannelDefinition, parseChannel, resolveSecrets } from '../notifiers/channel';
import { ConflictError, DeliveryError, type FieldProblem, NotFoundError, ValidationError } from '../shared/errors';
import { errorText } from '../shared/logger';
import { redactSecrets } from '../shared/redact';
import type { Services } from '../composition/services';
import { appSettings } from '../config/settings';

/** What the channel API shows: setting NAMES and the destination host, never a URL, a path, a query or a secret. */
export interface ChannelView {
  id: string;
  type: string;
  source: ChannelDefinition['source'];
  /** Set on a registered tenant's own channel (its partition of the Channels table); absent for a global channel. */
  tenantId?: string;
  isDefault: boolean;
  description?: string;
  settings: ChannelDefinition['settings'];
  /** Host of the destination (e.g. `prod-12.westeurope.logic.azure.com`, `events.eu.pagerduty.com`), when it resolves. */
  host?: string;
  /** `ok`, or `misconfigured` with problems that name settings (never their values). */
  configuration: 'ok' | 'misconfigured';
  problems?: string[];
  status?: Omit<ChannelStatus, 'channelId'>;
  updatedAt?: string;
  updatedBy?: string;
  etag?: string;
}

export interface ChannelTestResult {
  channelId: string;
  ok: boolean;
  status: number;
  /** `accepted` / `ok`, or the failure reason and redacted message. */
  detail: string;
  deliveryId: string;
}

// App settings a channel may not point at: the app's own configuration and platform settings.
const reserved = new Set(appSettings.map((s) => s.name.toUpperCase()).filter((n) => n !== 'TEAMS_WEBHOOK_URL'));
const reservedPrefixes = [
  'AZUREWEBJOBS',
  'WEBSITE_',
  'APPSETTING_',
  'IDENTITY_',
  'MSI_',
  'FUNCTIONS_',
  'APPLICATIONINSIGHTS_',
];

function view(
  services: Services,
  def: ChannelDefinition,
  status: ChannelStatus | undefined,
  stored?: { etag: string; updatedAt?: string; updatedBy?: string },
  tenantId?: string,
): ChannelView {
  const { registryOptions } = services;
  const resolved = resolveSecrets(def, {
    readSetting: services.config.readSetting,
    extraAllowedHosts: registryOptions.extraAllowedHosts,
    allowLoopback: registryOptions.allowLoopback || def.id === 'local-inbox',
  });
  const url = resolved.ok ? (resolved.secrets.url ?? resolved.secrets.endpoint) : undefined;
  const { channelId: _id, ...rest } = status ?? { channelId: def.id, lastOutcomes: [], consecutiveFailures: 0 };
  return {
    id: def.id,
    type: def.type,
    source: def.source,
    ...(tenantId ? { tenantId } : {}),
    isDefault: def.isDefault,
    ...(def.description ? { description: def.description } : {}),
    settings: def.settings,
    ...(url && URL.canParse(url) ? { host: new URL(url).host } : {}),
    configuration: resolved.ok ? 'ok' : 'misconfigured',
    ...(resolved.ok ? {} : { problems: resolved.problems.map((p) => redactSecrets(`${p.field}: ${p.message}`)) }),
    status: rest,
    ...(stored ? { etag: stored.etag, updatedAt: stored.updatedAt, updatedBy: stored.updatedBy } : {}),
  };
}

/** The tenant id when `id` is the tenant's own channel in this set (a registered tenant's services). */
const ownerOf = (services: Services, set: { tenantOwned: Set<string> }, id: string) =>
  set.tenantOwned.has(id) ? services.config.tenantId : undefined;

/** Every channel (app settings and table; for a registered tenant's services also its own) with its configuration check and last outcomes. */
export async function listChannels(services: Services): Promise<ChannelView[]> {
  const [set, statuses] = await Promise.all([
    services.channels.load(),
    services.deliveryState.listChannelStatus(services.config.tenantId),
  ]);
  const byId = new Map(statuses.map((s) => [s.channelId, s]));
  return set.definitions.map((d) =>
    view(services, d, byId.get(d.id), set.stored.get(d.id), ownerOf(services, set, d.id)),
  );
}

export async function getChannel(services: Services, id: string): Promise<ChannelView> {
  const set = await services.channels.load();
  const def = set.definitions.find((d) => d.id === id);
  if (!def) throw new NotFoundError(`channel "${id}" does not exist`);
  return view(
    services,
    def,
    await services.deliveryState.getChannelStatus(services.config.tenantId, id),
    set.stored.get(id),
    ownerOf(services, set, id),
  );
}

/**
 * Creates or replaces a table channel after validating it: the document, the setting names (never the
 * app's own settings), and that each named app setting exists, is not an unresolved Key Vault reference
 * and parses (a URL on the type's allow-list, a `whsec_` secret).
 */
export async function putChannel(
  services: Services,
  id: string,
  body: unknown,
  options: { ifMatch?: string; caller: string },
): Promise<ChannelView> {
  if (services.channels.configured.some((c) => c.id === id))
    throw new ConflictError(`channel "${id}" comes from app settings and cannot be changed through the API`);
  // A tenant's channel with a global channel's id would be ignored (global ids win): refuse it here.
  if (!services.channels.isHome) {
    const set = await services.channels.load();
    if (set.definitions.some((d) => d.id === id) && !set.tenantOwned.has(id))
      throw new ConflictError(
        `channel "${id}" is a global channel; give tenant ${services.config.tenantId}'s channel another id`,
      );
  }
  const input = typeof body === 'object' && body !== null && !Array.isArray(body) ? { ...body, id } : body;
  const def = parseChannel(input);
  const problems: FieldProblem[] = [];
  for (const field of ['urlSetting', 'secretSetting', 'routingKeySetting'] as const) {
    const name = def.settings[field]?.toUpperCase();
    if (name && (reserved.has(name) || reservedPrefixes.some((p) => name.startsWith(p))))
      problems.push({
        field: `settings.${field}`,
        message: `${def.settings[field]} is one of the app's own settings; use a dedicated app setting for the channel secret`,
      });
  }
  const { registryOptions } = services;
  const resolved = resolveSecrets(def, {
    readSetting: services.config.readSetting,
    extraAllowedHosts: registryOptions.extraAllowedHosts,
    allowLoopback: registryOptions.allowLoopback,
  });
  if (!resolved.ok) problems.push(...resolved.problems);
  if (problems.length > 0) throw new ValidationError(`channel "${id}"`, problems);
  const etag = await services.channelStore.upsert(services.config.tenantId, def, {
    ifMatch: options.ifMatch,
    updatedBy: options.caller,
  });
  const owner = services.channels.isHome ? undefined : services.config.tenantId;
  return {
    ...view(
      services,
      def,
      await services.deliveryState.getChannelStatus(services.config.tenantId, id),
      undefined,
      owner,
    ),
    etag,
    updatedBy: options.caller,
  };
}

export async function deleteChannel(services: Services, id: string): Promise<void> {
  if (services.channels.configured.some((c) => c.id === id))
    throw new ConflictError(`channel "${id}" comes from app settings; remove the setting to remove it`);
  await services.channelStore.delete(services.config.tenantId, id);
}

/** A sample alert for a channel test (never written to the outbox). */
export function testAlert(tenantId: string, now: Date): Alert {
  const at = now.toISOString();
  return {
    id: `test-${randomUUID().replace(/-/g, '').slice(0, 24)}`,
    tenantId,
    kind: 'test',
    ruleId: 'channel-test',
    ruleName: 'Test alert from cloud-pki-alerts',
    severity: 'low',
    eventCount: 1,
    events: [
      {
        id: randomUUID(),
        activityDateTime: at,
        activityTimeInMs: now.getTime(),
        activityType: 'ChannelTest CloudPkiAlerts',
        activityOperationType: 'Test',
        activityResult: 'Success',
        activity: null,
        category: null,
        componentName: 'cloud-pki-alerts',
        correlationId: null,
        displayName: 'Channel test',
        actor: {
          type: 'Application',
          userPrincipalName: null,
          userId: null,
          applicationId: null,
          applicationDisplayName: 'cloud-pki-alerts',
          servicePrincipalName: null,
          ipAddress: null,
          remoteTenantId: null,
          remoteUserId: null,
        },
        resources: [
          {
            displayName: 'Sample CA (test)',
            type: 'CloudCertificationAuthority',
            resourceId: null,
            modifiedProperties: [{ name: 'Example', oldValue: 'before', newValue: 'after' }],
          },
        ],
      },
    ],
    firstEventTime: at,
    lastEventTime: at,
    createdAt: at,
  };
}

/** Sends a sample alert to one channel now and reports the outcome (status and detail, never the URL). */
export async function testChannel(services: Services, id: string): Promise<ChannelTestResult> {
  const set = await services.channels.load();
  const notifier = services.notifiers.get(id) ?? set.tableNotifiers.get(id);
  if (!notifier) throw new NotFoundError(`channel "${id}" does not exist`);
  const now = new Date();
  const alert = testAlert(services.config.tenantId, now);
  const deliveryId = `${alert.id}.${id}`;
  let result: ChannelTestResult;
  try {
    const receipt = await notifier.send(alert, { deliveryId, possibleDuplicate: false, attempt: 1 });
    result = { channelId: id, ok: true, status: receipt.status, detail: receipt.detail, deliveryId };
  } catch (err) {
    const e = err instanceof DeliveryError ? err : new DeliveryError('network', errorText(err), true);
    result = {
      channelId: id,
      ok: false,
      status: e.status ?? 0,
      detail: redactSecrets(`${e.reason}: ${e.message}`),
      deliveryId,
    };
  }
  await services.deliveryState.recordOutcome(services.config.tenantId, id, {
    at: now.toISOString(),
    ok: result.ok,
    status: result.status,
    detail: `test: ${result.detail}`.slice(0, 300),
  });
  return result;
}
