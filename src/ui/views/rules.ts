import type { View, ViewContext } from '../context';
import { announce, badge, h, table, put } from '../dom';
import { errorBox } from '../errors';
import { ago, plural, utc } from '../format';
import { confirmDialog } from './confirm';
import { optional, type RuleStat, severityOrder, type StoredRule } from './shared';

/** #/rules: every rule with severity, state, channels, last fired and the last 7 days' alerts. */
export const rulesView: View = async (ctx, main) => {
  const [rules, stats] = await Promise.all([
    ctx.api.get<{ value: StoredRule[]; packVersion: number; problems: number }>('/rules'),
    optional(() => ctx.api.get<{ since: string; days: number; value: RuleStat[] }>('/ui/rule-stats')),
  ]);
  const statsById = new Map((stats.value?.body.value ?? []).map((s) => [s.ruleId, s]));
  const list = [...rules.body.value].sort(
    (a, b) =>
      severityOrder.indexOf(a.rule?.severity ?? 'low') - severityOrder.indexOf(b.rule?.severity ?? 'low') ||
      a.id.localeCompare(b.id),
  );

  put(
    main,
    h(
      'div',
      { class: 'title-row' },
      h('h1', { tabindex: '-1' }, 'Rules'),
      ctx.isAdmin ? h('a', { class: 'button primary', href: '#/rules/new' }, 'New rule') : null,
    ),
    h(
      'p',
      { class: 'lead' },
      `${list.length} rules (built-in pack version ${rules.body.packVersion}). Matches are counted from the outbox over the last 7 days.`,
    ),
    stats.error ? errorBox('Alert counts are not available', stats.error) : null,
    rules.body.problems
      ? h(
          'div',
          { class: 'notice notice-warn', role: 'note' },
          `${rules.body.problems} stored rule(s) do not parse and are skipped by every poll: open them to fix.`,
        )
      : null,
    table(
      'Alert rules',
      ['Rule', 'Severity', 'Enabled', 'Channels', 'Last fired', 'Alerts, 7 days', 'Actions'],
      list.map((s) => row(ctx, s, statsById.get(s.id), stats.value !== undefined)),
      { captionHidden: true, className: 'rules' },
    ),
  );
};

function row(ctx: ViewContext, stored: StoredRule, stat: RuleStat | undefined, haveStats: boolean) {
  const rule = stored.rule;
  const name = h(
    'div',
    {},
    h('a', { href: `#/rules/${encodeURIComponent(stored.id)}`, class: 'rule-name' }, rule?.name ?? stored.id),
    h('div', { class: 'muted mono' }, stored.id),
  );
  if (!rule) {
    return [
      name,
      badge('invalid', 'error'),
      '—',
      '—',
      '—',
      '—',
      h(
        'div',
        { class: 'problems' },
        (stored.problems ?? []).map((p) => h('div', {}, `${p.field}: ${p.message}`)),
      ),
    ];
  }
  const state = h('span', { class: rule.enabled ? 'state-on' : 'state-off' }, rule.enabled ? 'On' : 'Off');
  const enabled = ctx.isAdmin
    ? h(
        'div',
        { class: 'toggle-cell' },
        state,
        h(
          'button',
          {
            type: 'button',
            class: 'toggle',
            'aria-label': `${rule.enabled ? 'Disable' : 'Enable'} ${rule.name}`,
            onclick: () => void toggle(ctx, stored),
          },
          rule.enabled ? 'Disable' : 'Enable',
        ),
      )
    : state;
  const fired = stat?.lastFiredAt
    ? h('time', { datetime: stat.lastFiredAt, title: utc(stat.lastFiredAt) }, ago(stat.lastFiredAt))
    : haveStats
      ? 'no alert kept'
      : '—';
  const counts = !haveStats
    ? '—'
    : stat && (stat.alerts || stat.suppressed)
      ? `${plural(stat.alerts, 'alert')}, ${plural(stat.events, 'event')}${stat.suppressed ? ` (+${stat.suppressed} suppressed)` : ''}`
      : 'none';
  const actions = h(
    'div',
    { class: 'actions' },
    h(
      'a',
      {
        href: `#/rules/${encodeURIComponent(stored.id)}`,
        'aria-label': `${ctx.isAdmin ? 'Edit' : 'View'} ${rule.name}`,
      },
      ctx.isAdmin ? 'Edit' : 'View',
    ),
    h(
      'a',
      { href: `#/rules/${encodeURIComponent(stored.id)}/history`, 'aria-label': `History of ${rule.name}` },
      'History',
    ),
    ctx.isAdmin
      ? h(
          'button',
          {
            type: 'button',
            class: 'link-button danger',
            'aria-label': `Delete ${rule.name}`,
            onclick: () => void remove(ctx, stored),
          },
          'Delete',
        )
      : null,
  );
  return [name, badge(rule.severity, rule.severity), enabled, rule.channels.join(', '), fired, counts, actions];
}

async function toggle(ctx: ViewContext, stored: StoredRule): Promise<void> {
  const rule = stored.rule!;
  try {
    await ctx.api.request('PUT', `/rules/${encodeURIComponent(stored.id)}`, {
      body: { ...rule, enabled: !rule.enabled, origin: undefined },
      headers: { 'if-match': stored.etag },
    });
    ctx.refresh();
    setTimeout(() => announce(`${rule.name} is now ${rule.enabled ? 'disabled' : 'enabled'}.`, 'ok'), 50);
  } catch (err) {
    document
      .querySelector('.view')
      ?.prepend(errorBox(`Could not ${rule.enabled ? 'disable' : 'enable'} ${rule.name}`, err));
  }
}

async function remove(ctx: ViewContext, stored: StoredRule): Promise<void> {
  const name = stored.rule?.name ?? stored.id;
  const critical = stored.rule && ['critical', 'high'].includes(stored.rule.severity);
  const yes = await confirmDialog(
    `Delete the rule "${name}"?`,
    [
      'Its activity will no longer raise alerts. The rule history keeps its last version, so it can be restored.',
      critical ? 'It is a critical / high rule: deleting it raises a tamper alert to its channels.' : '',
    ].filter(Boolean),
    'Delete rule',
  );
  if (!yes) return;
  try {
    await ctx.api.request('DELETE', `/rules/${encodeURIComponent(stored.id)}`, {
      headers: { 'if-match': stored.etag },
    });
    ctx.refresh();
    setTimeout(() => announce(`Deleted ${name}.`, 'ok'), 50);
  } catch (err) {
    document.querySelector('.view')?.prepend(errorBox(`Could not delete ${name}`, err));
  }
}
