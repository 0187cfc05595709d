import { randomBytes } from 'node:crypto';
import { putChannel } from '../../src/admin/channelAdmin';
import type { Services } from '../../src/composition/services';
import type { Alert } from '../../src/dispatch/alert';
import type { Delivery } from '../../src/dispatch/outbox';
import { cloudPkiActivityTypes as T } from './alertFixtures';
import { graphEvent, minutesBefore } from './graphEvents';
import { startReceiver } from './httpReceiver';
import { startPipeline } from './pipeline';

export const mailWebhookSecret = 'sig-MAILHOOK-SECRET-9876';

/**
 * The pipeline plus a second real receiver standing in for a Logic App email webhook, configured as the
 * table channel `oncall-mail` (its URL in the app setting ONCALL_MAIL_URL) and as FAILOVER_CHANNEL.
 */
export async function startDeliveryPipeline(options: { env?: Record<string, string> } = {}) {
  const mail = await startReceiver();
  const p = await startPipeline({
    env: {
      FAILOVER_CHANNEL: 'oncall-mail',
      ONCALL_MAIL_URL: `${mail.url}/workflows/fedcba9876543210fedcba9876543210/triggers/manual/paths/invoke?api-version=2016-06-01&sig=${mailWebhookSecret}`,
      ...options.env,
    },
  });
  await putChannel(
    p.services(),
    'oncall-mail',
    { type: 'email-webhook', settings: { urlSetting: 'ONCALL_MAIL_URL', to: ['pki-oncall@contoso.com'] } },
    { caller: 'test' },
  );
  const close = p.close;
  return Object.assign(p, {
    mail,
    /** Adds events of these activity types, a minute apart, ending `endMinutesAgo` before now. */
    addEvents(types: string[], endMinutesAgo = 1) {
      p.sim.addEvents(
        types.map((type, i) => graphEvent({ type, at: minutesBefore(p.clock.now, endMinutesAgo + types.length - i) })),
      );
    },
    /** The email-webhook bodies received (alertId, severity, subject, to, html, text). */
    mails() {
      return mail.requests.map(
        (r) =>
          r.body as {
            alertId: string;
            deliveryId: string;
            severity: string;
            subject: string;
            to: string[];
            html: string;
            text: string;
          },
      );
    },
    async outbox(s: Services = p.services()): Promise<{ alert: Alert; deliveries: Delivery[] }[]> {
      return s.outbox.listAlerts(p.tenantId, { limit: 1000 });
    },
    async close() {
      await close();
      await mail.close();
    },
  });
}

export type DeliveryPipeline = Awaited<ReturnType<typeof startDeliveryPipeline>>;

export const threeRules = [T.caDeleted, T.caCertificateRevoked, T.caStatusChanged];

/** A fresh `whsec_` secret. */
export const newWebhookSecret = () => `whsec_${randomBytes(32).toString('base64')}`;
