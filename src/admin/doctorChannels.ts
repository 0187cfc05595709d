import { lookup } from 'node:dns/promises';
import type { Services } from '../composition/services';
import type { AppConfig } from '../config/config';
import { resolveSecrets } from '../notifiers/channel';
import { errorText } from '../shared/logger';
import { describeUrl } from '../shared/redact';
import { type DoctorCheck, settled } from './doctorChecks';

/** The doctor's channel checks: each channel passes the URL policy, its host resolves, and (`--send-test`) a test card is accepted. */
export async function channelChecks(
  config: AppConfig,
  channels: Services['channels'],
  input: {
    /** Resolves a host name (DNS); tests pass a fake. */
    resolveHost?: (host: string) => Promise<string>;
    /** `--send-test`: posts a test card to each channel. */
    sendTest?: (channelId: string) => Promise<{ ok: boolean; status: number; detail: string }>;
  },
  add: (c: DoctorCheck) => void,
): Promise<void> {
  const set = await settled(() => channels.load());
  const definitions = set.ok ? set.value.definitions : channels.configured;
  if (!set.ok)
    add({
      id: 'channels',
      title: 'Channels table',
      status: 'fail',
      required: true,
      detail: errorText(set.error),
      fix: 'The Channels table could not be read; see the storage check.',
    });
  const resolveHost = input.resolveHost ?? (async (host: string) => (await lookup(host)).address);
  for (const def of definitions) {
    const title = `Channel ${def.id} (${def.type})`;
    const allowLoopback = config.webhookPolicy.allowLoopback || def.id === 'local-inbox';
    const secrets = resolveSecrets(def, {
      readSetting: config.readSetting,
      extraAllowedHosts: config.webhookPolicy.extraAllowedHosts,
      allowLoopback,
    });
    if (!secrets.ok) {
      add({
        id: `channel:${def.id}`,
        title,
        status: 'fail',
        required: true,
        detail: secrets.problems.map((p) => p.message).join('; '),
        fix: 'Fix the app setting named (docs/reference/alert-delivery.md has the URL rules per type).',
      });
      continue;
    }
    const target = secrets.secrets.url ?? secrets.secrets.endpoint;
    let detail =
      def.type === 'email-graph' ? `Graph sendMail as ${def.settings.mailbox ?? '?'}` : 'passes the URL policy';
    if (target) {
      const host = new URL(target).hostname.replace(/^\[|\]$/g, '');
      const resolved = await settled(() => resolveHost(host));
      if (!resolved.ok) {
        add({
          id: `channel:${def.id}`,
          title,
          status: 'fail',
          required: true,
          detail: `${describeUrl(target)} passes the URL policy but its host does not resolve: ${errorText(resolved.error)}`,
          fix: "Check the URL in the app setting and the app's DNS / outbound network.",
        });
        continue;
      }
      detail = `${describeUrl(target)} passes the URL policy and resolves`;
    }
    if (input.sendTest) {
      const sent = await settled(() => input.sendTest!(def.id));
      const outcome = sent.ok ? sent.value : { ok: false, status: 0, detail: errorText(sent.error) };
      add({
        id: `channel:${def.id}`,
        title,
        status: outcome.ok ? 'pass' : 'fail',
        required: true,
        detail:
          `${detail}; test card: ${outcome.ok ? 'accepted' : 'refused'} (HTTP ${outcome.status}) ${outcome.detail}`.trim(),
        ...(outcome.ok ? {} : { fix: 'See docs/reference/alert-delivery.md for what the channel answered.' }),
      });
    } else {
      add({ id: `channel:${def.id}`, title, status: 'pass', required: true, detail });
    }
  }
  if (definitions.length === 0)
    add({
      id: 'channels',
      title: 'Channels',
      status: 'fail',
      required: true,
      detail: 'no channel is configured',
      fix: 'Set TEAMS_WEBHOOK_URL or add a channel (pki-alerts channels add).',
    });
}
