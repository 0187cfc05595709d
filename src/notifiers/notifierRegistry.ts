import type { TokenCredential } from '@azure/identity';
import type { LogsIngestionClientOptions } from '@azure/monitor-ingestion';
import type { Client } from '@microsoft/microsoft-graph-client';
import type { ChannelConfig } from './channelConfig';
import type { Alert } from '../dispatch/alert';
import { ConfigError, DeliveryError, type FieldProblem } from '../shared/errors';
import { type ChannelDefinition, type ResolvedSecrets, resolveSecrets } from './channel';
import { EmailWebhookNotifier } from './email/emailWebhookNotifier';
import { GraphMailNotifier } from './email/graphMailNotifier';
import type { HttpSender } from './httpSender';
import type { DeliveryReceipt, Notifier } from './notifier';
import { LogsIngestionNotifier } from './azureMonitorLogs/logsIngestionNotifier';
import { PagerDutyNotifier } from './pagerduty/pagerDutyNotifier';
import { TeamsNotifier } from './teams/teamsNotifier';
import { checkWebhookUrl } from './urlPolicy';
import { WebhookNotifier } from './webhook/webhookNotifier';

export interface RegistryOptions {
  sender: HttpSender;
  /** The app's Graph client for `email-graph` channels (no retries: the outbox retries). */
  graph?: Client;
  timeoutInMs: number;
  intunePortalUrl: string;
  extraAllowedHosts: string[];
  allowLoopback: boolean;
  /** Reads an app setting by name (channel secrets). */
  readSetting?: (name: string) => string | undefined;
  /** The app's identity, for `azure-monitor-logs` channels (Logs Ingestion API tokens). */
  credential?: TokenCredential;
  /** Extra Logs Ingestion client options (tests: trust the loopback receiver's certificate). */
  logsClientOptions?: LogsIngestionClientOptions;
}

/** The channels built from app settings (TEAMS_WEBHOOK_URL, LOCAL_INBOX_URL), as definitions. */
export function definitionsFromConfig(channels: readonly ChannelConfig[]): ChannelDefinition[] {
  return channels.map((c) => ({
    id: c.id,
    type: c.type,
    isDefault: c.isDefault,
    source: 'app-settings',
    settings: { urlSetting: c.setting },
  }));
}

/**
 * Builds one notifier per app-settings channel. Every URL is checked against the allow-list up front, so
 * a bad or unresolved URL fails start-up naming its setting.
 */
export function createNotifiers(channels: readonly ChannelConfig[], options: RegistryOptions): Map<string, Notifier> {
  const problems: FieldProblem[] = [];
  const out = new Map<string, Notifier>();
  for (const channel of channels) {
    // The local inbox is the app's own loopback stand-in, so it alone may use loopback without the dev flag.
    const allowLoopback = options.allowLoopback || channel.id === 'local-inbox';
    const check = checkWebhookUrl(channel.url, {
      kind: 'teams',
      extraAllowedHosts: options.extraAllowedHosts,
      allowLoopback,
    });
    if (!check.ok) {
      problems.push({ field: channel.setting, message: check.message });
      continue;
    }
    const [def] = definitionsFromConfig([channel]);
    out.set(channel.id, createNotifier(def, { url: channel.url }, { ...options, allowLoopback }));
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return out;
}

/**
 * A notifier for a table channel. A channel whose app settings do not resolve (missing, unresolved Key
 * Vault reference, URL off the allow-list) still gets a notifier: one that fails every send as
 * `misconfigured` naming the setting, so its deliveries wait (and retry) instead of being lost, and the
 * other channels keep working.
 */
export function createTableNotifier(def: ChannelDefinition, options: RegistryOptions): Notifier {
  const resolved = resolveSecrets(def, {
    readSetting: options.readSetting ?? (() => undefined),
    extraAllowedHosts: options.extraAllowedHosts,
    allowLoopback: options.allowLoopback,
  });
  if (!resolved.ok) return new MisconfiguredNotifier(def, resolved.problems);
  return createNotifier(def, resolved.secrets, options);
}

/** The only switch on channel type. */
export function createNotifier(def: ChannelDefinition, secrets: ResolvedSecrets, options: RegistryOptions): Notifier {
  const common = {
    channelId: def.id,
    timeoutInMs: options.timeoutInMs,
    intunePortalUrl: options.intunePortalUrl,
    maxPerSecond: def.settings.maxPerSecond,
  };
  const urlPolicy = { extraAllowedHosts: options.extraAllowedHosts, allowLoopback: options.allowLoopback };
  switch (def.type) {
    case 'teams':
      return new TeamsNotifier({ ...common, url: secrets.url ?? '', sender: options.sender, urlPolicy });
    case 'email-webhook':
      return new EmailWebhookNotifier({
        ...common,
        url: secrets.url ?? '',
        to: def.settings.to ?? [],
        sender: options.sender,
        urlPolicy,
      });
    case 'webhook':
      return new WebhookNotifier({
        ...common,
        url: secrets.url ?? '',
        keys: secrets.keys ?? [],
        sender: options.sender,
        urlPolicy,
      });
    case 'email-graph':
      if (!options.graph)
        return new MisconfiguredNotifier(def, [
          { field: 'type', message: 'no Graph client is configured for email-graph channels' },
        ]);
      return new GraphMailNotifier({
        ...common,
        mailbox: def.settings.mailbox ?? '',
        to: def.settings.to ?? [],
        graph: options.graph,
      });
    case 'pagerduty': {
      if (!secrets.routingKey || !secrets.endpoint)
        return new MisconfiguredNotifier(def, [
          { field: 'settings.routingKeySetting', message: 'the routing key or endpoint did not resolve' },
        ]);
      const host = options.readSetting?.('WEBSITE_HOSTNAME')?.trim();
      const clientUrl =
        def.settings.clientUrl ?? (host && /^[A-Za-z0-9.-]+(:\d+)?$/.test(host) ? `https://${host}/api/ui` : undefined);
      return new PagerDutyNotifier({
        ...common,
        endpoint: secrets.endpoint,
        routingKey: secrets.routingKey,
        sender: options.sender,
        clientUrl,
      });
    }
    case 'azure-monitor-logs':
      if (!options.credential)
        return new MisconfiguredNotifier(def, [
          {
            field: 'type',
            message:
              'no Azure credential is configured (managed identity or AZURE_CLIENT_ID with a secret / certificate) for azure-monitor-logs channels',
          },
        ]);
      if (!secrets.endpoint)
        return new MisconfiguredNotifier(def, [
          { field: 'settings.ingestionEndpoint', message: 'the endpoint did not resolve' },
        ]);
      return new LogsIngestionNotifier({
        ...common,
        endpoint: secrets.endpoint,
        audience: secrets.audience ?? 'https://monitor.azure.com',
        dcrImmutableId: def.settings.dcrImmutableId ?? '',
        streamName: def.settings.streamName ?? '',
        credential: options.credential,
        clientOptions: options.logsClientOptions,
      });
  }
}

/** Stands in for a channel whose settings do not resolve: every send fails naming the setting (never its value). */
export class MisconfiguredNotifier implements Notifier {
  readonly channelId: string;
  readonly type: string;
  readonly maxPerSecond = 1;
  constructor(
    def: ChannelDefinition,
    readonly problems: FieldProblem[],
  ) {
    this.channelId = def.id;
    this.type = def.type;
  }
  async send(_alert: Alert): Promise<DeliveryReceipt> {
    const text = this.problems.map((p) => `${p.field}: ${p.message}`).join('; ');
    throw new DeliveryError('misconfigured', `channel '${this.channelId}' is misconfigured: ${text}`, true);
  }
}
