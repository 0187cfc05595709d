import { ApiError } from '../api';
import type { View, ViewContext } from '../context';
import { announce, badge, field, h, replace, setFieldError, table, uid, put } from '../dom';
import { errorBox } from '../errors';
import { commaList, localInputToIso, plural, toLocalInput, utc } from '../format';
import { confirmDialog } from './confirm';
import { optional, type StoredRule } from './shared';

interface ChangeWindow {
  id: string;
  scope: { ruleIds?: string[]; caIds?: string[]; actors?: string[] };
  start: string;
  end: string;
  reason: string;
  owner: string;
  createdBy: string;
  status: 'scheduled' | 'active' | 'ended' | 'summarized';
  suppressedCount?: number;
  etag: string;
}

const statusKind: Record<ChangeWindow['status'], string> = {
  active: 'warn',
  scheduled: 'neutral',
  ended: 'neutral',
  summarized: 'ok',
};

/** #/windows: active and upcoming change windows, open one, end one early, see what it suppressed. */
export const windowsView: View = async (ctx, main) => {
  const [windows, rules] = await Promise.all([
    ctx.api.get<{ value: ChangeWindow[] }>('/windows'),
    optional(() => ctx.api.get<{ value: StoredRule[] }>('/rules')),
  ]);
  const order = ['active', 'scheduled', 'ended', 'summarized'];
  const list = [...windows.body.value].sort(
    (a, b) => order.indexOf(a.status) - order.indexOf(b.status) || b.start.localeCompare(a.start),
  );
  const current = list.filter((w) => w.status === 'active' || w.status === 'scheduled');
  const past = list.filter((w) => w.status === 'ended' || w.status === 'summarized');
  const details = h('div', { class: 'suppressed', 'aria-live': 'polite' });
  const rows = (ws: ChangeWindow[]) =>
    ws.map((w) => [
      badge(w.status, statusKind[w.status]),
      scopeText(w),
      h('span', {}, utc(w.start), h('br'), '→ ', utc(w.end)),
      w.reason,
      w.owner,
      h(
        'div',
        { class: 'actions' },
        labelled('Suppressed matches', w, () => void showSuppressed(ctx, w, details)),
        ctx.isAdmin && w.status === 'active' ? labelled('End now', w, () => void endNow(ctx, w), 'danger') : null,
        ctx.isAdmin && (w.status === 'scheduled' || w.status === 'summarized')
          ? labelled('Delete', w, () => void remove(ctx, w), 'danger')
          : null,
      ),
    ]);
  const columns = ['Status', 'Scope', 'When (UTC)', 'Reason', 'Owner', 'Actions'];
  put(
    main,
    h('h1', { tabindex: '-1' }, 'Change windows'),
    h(
      'p',
      { class: 'lead' },
      'During a window, matching alerts are recorded but not sent; one summary goes out when it ends. A window over a critical or high rule raises a tamper alert.',
    ),
    current.length
      ? table('Active and upcoming windows', columns, rows(current))
      : h('p', {}, 'No active or upcoming window.'),
    details,
    ctx.isAdmin ? openForm(ctx, rules.value?.body.value ?? []) : null,
    past.length
      ? h(
          'details',
          { class: 'past' },
          h('summary', {}, `Ended windows (${past.length})`),
          table('Ended windows', columns, rows(past), { captionHidden: true }),
        )
      : null,
  );
};

/** A row action whose accessible name starts with its visible text and names the window. */
const labelled = (text: string, w: ChangeWindow, onclick: () => void, kind = '') =>
  h(
    'button',
    { type: 'button', class: `link-button ${kind}`.trim(), 'aria-label': `${text}: window "${w.reason}"`, onclick },
    text,
  );

function scopeText(w: ChangeWindow): HTMLElement {
  const parts: [string, string[] | undefined][] = [
    ['Rules', w.scope.ruleIds],
    ['CAs', w.scope.caIds],
    ['Actors', w.scope.actors],
  ];
  return h(
    'div',
    { class: 'scope' },
    parts
      .filter(([, v]) => v?.length)
      .map(([label, v]) =>
        h('div', {}, h('span', { class: 'muted' }, `${label}: `), h('span', { class: 'mono' }, v!.join(', '))),
      ),
  );
}

function openForm(ctx: ViewContext, rules: StoredRule[]): HTMLElement {
  const boxes = rules.filter((r) => r.rule).map((r) => h('input', { type: 'checkbox', value: r.id, id: uid('wr') }));
  const ruleSet = h(
    'fieldset',
    { class: 'field checks rules-scope', 'aria-describedby': 'scope-error' },
    h('legend', {}, 'Rules'),
    boxes.map((b, i) =>
      h(
        'label',
        { class: 'check', for: b.id },
        b,
        `${rules.filter((r) => r.rule)[i].rule!.name} `,
        h('span', { class: 'muted mono' }, `(${b.value})`),
      ),
    ),
    h('p', { class: 'field-error', id: 'scope-error', hidden: true }),
  );
  const scopeError = { error: ruleSet.querySelector<HTMLElement>('#scope-error')!, control: ruleSet };
  const cas = field(
    'CA ids',
    h('input', { type: 'text', class: 'mono', autocomplete: 'off' }),
    'Comma-separated resource ids; empty = any CA.',
  );
  const actors = field(
    'Actors',
    h('input', { type: 'text', class: 'mono', autocomplete: 'off' }),
    'Comma-separated UPNs or application ids; empty = anyone.',
  );
  const now = new Date();
  const start = field(
    'Start (your local time)',
    h('input', { type: 'datetime-local', value: toLocalInput(now) }),
    'Now or later.',
  );
  const end = field(
    'End (your local time)',
    h('input', { type: 'datetime-local', value: toLocalInput(new Date(now.getTime() + 2 * 3_600_000)) }),
    'At most 7 days after the start.',
  );
  const reason = field(
    'Reason',
    h('input', { type: 'text', autocomplete: 'off', maxlength: 500 }),
    'e.g. the change ticket: CHG0012345 renew issuing CA.',
  );
  const result = h('div', { 'aria-live': 'polite' });
  const fields = {
    scope: scopeError,
    'scope.ruleIds': scopeError,
    'scope.caIds': cas,
    'scope.actors': actors,
    start,
    end,
    reason,
  } as Record<string, { error: HTMLElement; control: HTMLElement }>;
  const form = h(
    'form',
    { class: 'card', 'aria-labelledby': 'open-window-title', novalidate: true },
    h('h2', { id: 'open-window-title' }, 'Open a change window'),
    ruleSet,
    h('div', { class: 'grid' }, cas.row, actors.row, start.row, end.row),
    reason.row,
    h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary' }, 'Open window')),
    result,
  );
  const submit = async (e: Event) => {
    e.preventDefault();
    for (const f of Object.values(fields)) setFieldError(f, undefined);
    replace(result);
    const ruleIds = boxes.filter((b) => b.checked).map((b) => b.value);
    const scope = Object.fromEntries(
      Object.entries({ ruleIds, caIds: commaList(cas.control.value), actors: commaList(actors.control.value) }).filter(
        ([, v]) => v.length,
      ),
    );
    const startIso = localInputToIso(start.control.value);
    // A start within the last few minutes means "now" (the field is filled with the time the page loaded).
    const startMs = startIso ? Date.parse(startIso) : undefined;
    const sendStart = startMs !== undefined && (startMs > Date.now() || startMs < Date.now() - 4 * 60_000);
    const body = {
      scope,
      ...(sendStart ? { start: startIso } : {}),
      end: localInputToIso(end.control.value) ?? '',
      reason: reason.control.value.trim(),
    };
    try {
      await ctx.api.request('POST', '/windows', { body });
      ctx.refresh();
      setTimeout(() => announce('The change window is open.', 'ok'), 50);
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 400))
        return void replace(result, errorBox('The window was not opened', err));
      for (const p of err.problems) {
        const f = fields[p.field] ?? (p.field.startsWith('scope') ? scopeError : undefined);
        if (f) setFieldError(f, p.message);
        else result.append(h('p', { class: 'field-error' }, `${p.field}: ${p.message}`));
      }
      form.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
    }
  };
  form.addEventListener('submit', (e) => void submit(e));
  return form;
}

async function endNow(ctx: ViewContext, w: ChangeWindow): Promise<void> {
  if (
    !(await confirmDialog(
      'End this change window now?',
      [
        `Alerts for ${scopeSummary(w)} will be sent again from now on; the window's summary goes out with the next poll.`,
      ],
      'End window',
    ))
  )
    return;
  try {
    await ctx.api.request('POST', `/windows/${encodeURIComponent(w.id)}/end`, { headers: { 'if-match': w.etag } });
    ctx.refresh();
    setTimeout(() => announce('The change window has ended.', 'ok'), 50);
  } catch (err) {
    document.querySelector('.view')?.prepend(errorBox('The window was not ended', err));
  }
}

async function remove(ctx: ViewContext, w: ChangeWindow): Promise<void> {
  if (
    !(await confirmDialog(
      'Delete this change window?',
      [
        w.status === 'scheduled'
          ? 'It has not started; it will not silence anything.'
          : 'Its summary has been sent; only the record goes.',
      ],
      'Delete window',
    ))
  )
    return;
  try {
    await ctx.api.request('DELETE', `/windows/${encodeURIComponent(w.id)}`, { headers: { 'if-match': w.etag } });
    ctx.refresh();
  } catch (err) {
    document.querySelector('.view')?.prepend(errorBox('The window was not deleted', err));
  }
}

const scopeSummary = (w: ChangeWindow) =>
  [
    w.scope.ruleIds?.join(', '),
    w.scope.caIds?.length ? `CAs ${w.scope.caIds.join(', ')}` : '',
    w.scope.actors?.length ? `actors ${w.scope.actors.join(', ')}` : '',
  ]
    .filter(Boolean)
    .join('; ');

async function showSuppressed(ctx: ViewContext, w: ChangeWindow, target: HTMLElement): Promise<void> {
  replace(target, h('p', { class: 'muted' }, 'Loading…'));
  try {
    const { body } = await ctx.api.get<{
      value: {
        ruleName: string;
        severity: string;
        eventCount: number;
        firstEventTime: string;
        lastEventTime: string;
      }[];
    }>(`/ui/windows/${encodeURIComponent(w.id)}/suppressed`);
    const total = body.value.reduce((n, a) => n + a.eventCount, 0);
    replace(
      target,
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'suppressed-title' },
        h('h2', { id: 'suppressed-title', tabindex: '-1' }, `Suppressed by the window "${w.reason}"`),
        body.value.length
          ? [
              h('p', {}, `${plural(body.value.length, 'alert')} (${plural(total, 'event')}) recorded and not sent.`),
              table(
                'Suppressed alerts',
                ['Rule', 'Severity', 'Events', 'First event', 'Last event'],
                body.value.map((a) => [
                  a.ruleName,
                  badge(a.severity, a.severity),
                  String(a.eventCount),
                  utc(a.firstEventTime),
                  utc(a.lastEventTime),
                ]),
                { captionHidden: true },
              ),
            ]
          : h('p', {}, 'Nothing has been suppressed by this window.'),
      ),
    );
    target.querySelector<HTMLElement>('h2')?.focus();
  } catch (err) {
    replace(target, errorBox('Suppressed matches are not available', err));
  }
}
