import type { ChannelConfig } from '../app/config';
import { ConfigError, type FieldProblem } from '../shared/errors';
import type { HttpSender } from './httpSender';
import type { Notifier } from './notifier';
import { TeamsNotifier } from './teams/teamsNotifier';
import { checkWebhookUrl } from './urlPolicy';

export interface RegistryOptions {
  sender: HttpSender;
  timeoutInMs: number;
  intunePortalUrl: string;
  extraAllowedHosts: string[];
  allowLoopback: boolean;
}

/**
 * Builds one notifier per configured channel: the only switch on channel type. Every URL is checked
 * against the allow-list up front, so a bad or unresolved URL fails start-up naming its setting.
 */
export function createNotifiers(channels: readonly ChannelConfig[], options: RegistryOptions): Map<string, Notifier> {
  const problems: FieldProblem[] = [];
  const out = new Map<string, Notifier>();
  for (const channel of channels) {
    // The local inbox is the app's own loopback stand-in, so it alone may use loopback without the dev flag.
    const allowLoopback = options.allowLoopback || channel.id === 'local-inbox';
    const check = checkWebhookUrl(channel.url, { kind: 'teams', extraAllowedHosts: options.extraAllowedHosts, allowLoopback });
    if (!check.ok) {
      problems.push({ field: channel.setting, message: check.message });
      continue;
    }
    switch (channel.type) {
      case 'teams':
        out.set(channel.id, new TeamsNotifier({ channelId: channel.id, url: channel.url, sender: options.sender, timeoutInMs: options.timeoutInMs, intunePortalUrl: options.intunePortalUrl, urlPolicy: { extraAllowedHosts: options.extraAllowedHosts, allowLoopback } }));
        break;
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return out;
}
