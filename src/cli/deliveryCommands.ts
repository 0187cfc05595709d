import { parseArgs } from 'node:util';
import { getAlertStatus, listAlertStatus } from '../admin/alertStatus';
import { getChannel, listChannels, testChannel } from '../admin/channelAdmin';
import { listQuarantine, retryQuarantined } from '../admin/quarantine';
import { loadConfig } from '../config/config';
import { createServices, type Services } from '../composition/services';
import { scopedServices } from '../composition/tenantScope';
import { NotFoundError, ValidationError } from '../shared/errors';
import { errorText } from '../shared/logger';
import { UsageError } from './cliInput';

export const deliveryUsage = `  pki-alerts channels list [--json]           every channel: id, type, source, host, configuration, last outcome
    (channels list, get, test: --tenant ID = a registered tenant's own channels beside the global ones)
  pki-alerts channels get ID                  one channel as JSON (setting names and host, never a URL or secret)
  pki-alerts channels test ID                 sends a sample alert to the channel now; prints status and detail
                                              (exit code 1 when the channel failed)
  pki-alerts alerts list [--limit N] [--tenant ID] [--json]
                                              recent alerts (every tenant, or one: a tenant id or "home")
                                              with their tenant and each channel's delivery state
  pki-alerts alerts get ID [--tenant ID]      one alert with each channel's delivery as JSON
  pki-alerts quarantine list [--json]         alerts set aside because they could not be stored
  pki-alerts quarantine retry ID              writes a quarantined alert to the outbox again (exit 1 if still refused)`;

type Out = (line: string) => void;

/** `pki-alerts channels …`, `alerts …` and `quarantine …`; `services` is injectable for tests. */
export async function deliveryCommand(
  command: 'channels' | 'alerts' | 'quarantine',
  argv: string[],
  out: Out,
  services?: Services,
): Promise<number> {
  const [sub, ...rest] = argv;
  try {
    const { values, positionals } = parseArgs({
      args: rest,
      options: { json: { type: 'boolean' }, limit: { type: 'string' }, tenant: { type: 'string' } },
      strict: true,
      allowPositionals: true,
    });
    const s = () => services ?? createServices(loadConfig());
    const channelServices = async () => (await scopedServices(s(), values.tenant)).services;
    const one = () => {
      if (positionals.length !== 1) throw new UsageError(`${command} ${sub} needs one id`);
      return positionals[0];
    };
    switch (`${command} ${sub}`) {
      case 'channels list': {
        const channels = await listChannels(await channelServices());
        if (values.json) out(JSON.stringify({ value: channels }));
        else
          for (const c of channels) {
            const last = c.status?.lastOutcomes[0];
            out(
              [
                c.id.padEnd(20),
                c.type.padEnd(14),
                (c.tenantId ? 'tenant' : c.source).padEnd(13),
                (c.host ?? '-').padEnd(40),
                c.configuration,
                last ? `${last.ok ? 'ok' : 'FAILED'} ${last.status} ${last.at}` : 'never used',
                c.status?.incidentSince ? `INCIDENT since ${c.status.incidentSince}` : '',
              ]
                .join('  ')
                .trimEnd(),
            );
          }
        return 0;
      }
      case 'channels get':
        out(JSON.stringify(await getChannel(await channelServices(), one()), null, 2));
        return 0;
      case 'channels test': {
        const result = await testChannel(await channelServices(), one());
        out(JSON.stringify(result));
        return result.ok ? 0 : 1;
      }
      case 'alerts list': {
        const limit = Math.min(500, Math.max(1, Number(values.limit ?? 50) || 50));
        const alerts = await listAlertStatus(s(), limit, values.tenant);
        if (values.json) out(JSON.stringify({ value: alerts }));
        else
          for (const a of alerts) {
            const deliveries = a.deliveries
              .map((d) => `${d.channelId}:${d.state}${d.lastStatus ? `(${d.lastStatus})` : ''}`)
              .join(' ');
            out(
              `${a.id}  ${a.createdAt}  ${(a.kind ?? 'alert').padEnd(6)}  ${a.severity.padEnd(8)}  ${String(a.eventCount).padStart(6)} ev  ${a.ruleId}  ${deliveries}  [${a.tenantName.slice(0, 60)}]`,
            );
          }
        return 0;
      }
      case 'alerts get':
        out(JSON.stringify(await getAlertStatus(s(), one(), values.tenant), null, 2));
        return 0;
      case 'quarantine list': {
        const items = await listQuarantine(s());
        if (values.json) out(JSON.stringify({ value: items }));
        else if (items.length === 0) out('quarantine is empty');
        else
          for (const q of items)
            out(
              `${q.id}  ${q.createdAt}  ${q.kind.padEnd(8)}  ${String(q.matchCount).padStart(6)} matches  ${q.ruleId}  retries ${q.retries}  ${q.reason}`,
            );
        return 0;
      }
      case 'quarantine retry':
        out(JSON.stringify(await retryQuarantined(s(), one())));
        return 0;
      default:
        throw new UsageError(sub ? `unknown ${command} command "${sub}"` : `${command} needs a command`);
    }
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`pki-alerts: ${(err as Error).message}\n\nUsage:\n${deliveryUsage}\n`);
      return 2;
    }
    if (err instanceof ValidationError || err instanceof NotFoundError) {
      process.stderr.write(`pki-alerts: ${err.message}\n`);
      return 2;
    }
    process.stderr.write(`pki-alerts ${command} ${sub ?? ''} failed: ${errorText(err)}\n`);
    return 1;
  }
}
