import type { View } from '../context';
import { badge, h, table, put } from '../dom';
import { ago, utc } from '../format';

interface Delivery {
  channelId: string;
  state: string;
  attempts: number;
  lastStatus?: number;
  lastError?: string;
  sentAt?: string;
  note?: string;
  possibleDuplicate: boolean;
}

interface AlertView {
  id: string;
  tenantId: string;
  tenantName?: string;
  ruleId: string;
  ruleName: string;
  severity: string;
  kind?: string;
  eventCount: number;
  firstEventTime: string;
  createdAt: string;
  suppressedBy?: string;
  deliveries: Delivery[];
}

const stateKind: Record<string, string> = {
  sent: 'ok',
  pending: 'neutral',
  sending: 'neutral',
  suppressed: 'neutral',
  failed: 'error',
  dead: 'error',
};

/** #/alerts: recent alerts with each channel's delivery status (and, with many tenants, whose they are). */
export const alertsView: View = async (ctx, main) => {
  const { body } = await ctx.api.get<{ value: AlertView[] }>('/alerts?limit=50');
  const manyTenants = new Set(body.value.map((a) => a.tenantId)).size > 1;
  put(
    main,
    h('h1', { tabindex: '-1' }, 'Recent alerts'),
    h('p', { class: 'lead' }, 'The newest 50 alerts in the outbox, with the delivery to each channel.'),
    body.value.length === 0
      ? h('p', {}, 'No alert yet.')
      : table(
          'Recent alerts',
          ['Detected', 'Severity', ...(manyTenants ? ['Tenant'] : []), 'Alert', 'Events', 'Deliveries'],
          body.value.map((a) => [
            h('time', { datetime: a.createdAt, title: utc(a.createdAt) }, ago(a.createdAt)),
            badge(a.severity, a.severity),
            ...(manyTenants
              ? [h('div', {}, a.tenantName ?? a.tenantId, h('div', { class: 'muted mono' }, a.tenantId))]
              : []),
            h(
              'div',
              {},
              a.ruleName,
              a.kind && a.kind !== 'alert' ? h('span', { class: 'muted' }, ` (${a.kind})`) : null,
              h('div', { class: 'muted mono' }, a.ruleId),
            ),
            `${a.eventCount} since ${utc(a.firstEventTime)}`,
            a.suppressedBy
              ? h('span', { class: 'muted' }, `Suppressed by change window ${a.suppressedBy}`)
              : h(
                  'ul',
                  { class: 'deliveries' },
                  a.deliveries.map((d) =>
                    h(
                      'li',
                      {},
                      h('span', { class: 'mono' }, d.channelId),
                      ' ',
                      badge(d.state, stateKind[d.state] ?? 'neutral'),
                      ` ${d.attempts} ${d.attempts === 1 ? 'attempt' : 'attempts'}`,
                      d.sentAt ? `, sent ${utc(d.sentAt)}` : '',
                      d.lastStatus ? `, HTTP ${d.lastStatus}` : '',
                      d.lastError ? h('div', { class: 'muted' }, d.lastError) : null,
                      d.note ? h('div', { class: 'muted' }, d.note) : null,
                      d.possibleDuplicate ? h('div', {}, badge('possible duplicate', 'warn')) : null,
                    ),
                  ),
                ),
          ]),
          { captionHidden: true, className: 'alerts' },
        ),
  );
};
