import type { View, ViewContext } from '../context';
import { announce, badge, h, replace, table, put } from '../dom';
import { errorBox } from '../errors';
import { ago, utc } from '../format';
import type { ChannelView } from './shared';

/** #/channels: every channel (setting names and host, never a URL or secret), test sends, last outcomes. */
export const channelsView: View = async (ctx, main) => {
  const { body } = await ctx.api.get<{ value: ChannelView[] }>('/channels');
  put(
    main,
    h('h1', { tabindex: '-1' }, 'Channels'),
    h(
      'p',
      { class: 'lead' },
      'Where alerts go. URLs and secrets live in app settings (Key Vault in Azure) and are never shown here.',
    ),
    body.value.length === 0 ? h('p', {}, 'No channel is configured.') : null,
    h(
      'div',
      { class: 'cards' },
      body.value.map((c) => channelCard(ctx, c)),
    ),
  );
};

function channelCard(ctx: ViewContext, c: ChannelView, shown?: Node): HTMLElement {
  const result = h('div', { class: 'test-result', 'aria-live': 'polite' }, shown ?? null);
  const outcomes = c.status?.lastOutcomes ?? [];
  const test = async (button: HTMLButtonElement) => {
    button.disabled = true;
    replace(result, h('p', { class: 'muted' }, 'Sending a test alert…'));
    try {
      const { body } = await ctx.api.request<{ ok: boolean; status: number; detail: string }>(
        'POST',
        `/channels/${encodeURIComponent(c.id)}/test`,
      );
      const shownResult = h(
        'p',
        { class: `notice notice-${body.ok ? 'ok' : 'error'}`, 'data-testid': 'test-result' },
        `${body.ok ? 'Delivered' : 'Failed'}: HTTP ${body.status}, ${body.detail}`,
      );
      announce(`Test to ${c.id}: ${body.ok ? 'delivered' : 'failed'}.`, body.ok ? 'ok' : 'error');
      // Redraw the card so the outcome shows in its last deliveries too.
      const fresh = await ctx.api.get<ChannelView>(`/channels/${encodeURIComponent(c.id)}`).catch(() => undefined);
      if (fresh) card.replaceWith(channelCard(ctx, fresh.body, shownResult));
      else replace(result, shownResult);
    } catch (err) {
      replace(result, errorBox('The test could not be sent', err));
    } finally {
      button.disabled = false;
    }
  };
  const card = h(
    'section',
    { class: 'card channel', 'aria-labelledby': `ch-${c.id}` },
    h(
      'h2',
      { id: `ch-${c.id}`, class: 'h3' },
      c.id,
      ' ',
      badge(c.type, 'neutral'),
      c.isDefault ? badge('default', 'neutral') : null,
      c.configuration === 'ok' ? badge('configured', 'ok') : badge('misconfigured', 'error'),
      c.status?.incidentSince ? badge('failing', 'error') : null,
    ),
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'Destination host'),
      h('dd', { class: 'mono' }, c.host ?? '—'),
      settingFacts(c).map(([label, value]) => [h('dt', {}, label), h('dd', { class: 'mono' }, value)]),
      h('dt', {}, 'Defined in'),
      h('dd', {}, c.source === 'table' ? 'the channel table (API)' : 'app settings'),
      c.description ? [h('dt', {}, 'Description'), h('dd', {}, c.description)] : null,
      h('dt', {}, 'Last success'),
      h(
        'dd',
        {},
        c.status?.lastSuccessAt ? `${ago(c.status.lastSuccessAt)} (${utc(c.status.lastSuccessAt)})` : 'none recorded',
      ),
      h('dt', {}, 'Failures in a row'),
      h('dd', {}, String(c.status?.consecutiveFailures ?? 0)),
    ),
    c.problems?.length
      ? h(
          'ul',
          { class: 'notice notice-error' },
          c.problems.map((p) => h('li', {}, p)),
        )
      : null,
    outcomes.length
      ? table(
          `Last deliveries to ${c.id}`,
          ['When', 'Outcome', 'HTTP', 'Detail'],
          outcomes.map((o) => [
            h('time', { datetime: o.at, title: utc(o.at) }, ago(o.at)),
            o.ok ? badge('ok', 'ok') : badge('failed', 'error'),
            String(o.status || '—'),
            o.detail,
          ]),
          { className: 'outcomes' },
        )
      : h('p', { class: 'muted' }, 'No delivery recorded yet.'),
    ctx.isAdmin
      ? h(
          'button',
          {
            type: 'button',
            class: 'secondary',
            onclick: (e: Event) => void test(e.currentTarget as HTMLButtonElement),
          },
          `Send a test alert to ${c.id}`,
        )
      : null,
    result,
  );
  return card;
}

// What the card shows of a channel's settings: names of app settings and plain options, never a value of a secret.
const settingLabels: [string, string][] = [
  ['urlSetting', 'URL app setting'],
  ['secretSetting', 'Signing secret app setting'],
  ['routingKeySetting', 'Routing key app setting'],
  ['region', 'PagerDuty region'],
  ['mailbox', 'Sender mailbox'],
  ['dcrImmutableId', 'Data collection rule'],
  ['streamName', 'Stream'],
];

function settingFacts(c: ChannelView): [string, string][] {
  const settings = c.settings ?? {};
  return settingLabels
    .filter(([key]) => typeof settings[key] === 'string' && settings[key] !== '')
    .map(([key, label]) => [label, String(settings[key])]);
}
