import { ApiError, type FieldProblem } from '../api';
import type { ViewContext } from '../context';
import { field, h, replace, table } from '../dom';
import { errorBox } from '../errors';
import { plural, utc } from '../format';

/** One event a backtest says would have fired (POST /api/backtest, `firedEvents.items`). */
export interface BacktestEvent {
  id: string;
  activityDateTime: string;
  activityType: string | null;
  activityResult: string | null;
  actor: string;
  ca: string;
}

interface BacktestResult {
  range?: { from: string; to: string; scannedTo?: string };
  notes: string[];
  truncated: boolean;
  scanned: { pages: number; events: number; malformed: number; ignoredOwn: number };
  matches: number;
  firedEvents: { count: number; items: BacktestEvent[]; truncated: boolean };
  alerts: { count: number; truncated: boolean };
}

interface Options {
  draft: () => Record<string, unknown>;
  /** The saved rule to compare with; undefined for a new rule. */
  savedId?: string;
  onProblems: (problems: FieldProblem[]) => void;
  onPreview: (event: BacktestEvent) => void;
}

/** "What would this draft have done over the last N days, next to the saved version?" (POST /api/backtest, twice). */
export function backtestPanel(ctx: ViewContext, options: Options): HTMLElement {
  const days = h('input', { type: 'number', min: 1, max: 365, value: 7, inputmode: 'numeric' });
  const daysField = field(
    'Days back',
    days,
    'Read from the Graph audit log (kept 1 year); change windows are ignored.',
  );
  const output = h('div', { class: 'backtest-output', 'aria-live': 'polite' });
  const run = h('button', { type: 'submit', class: 'primary' }, 'Run backtest');
  const form = h('form', { class: 'inline-form', 'aria-label': 'Backtest' }, daysField.row, run);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void go();
  });

  async function go(): Promise<void> {
    const n = Math.round(Number(days.value));
    if (!(n >= 1 && n <= 365))
      return void replace(output, h('p', { class: 'field-error' }, 'Days back must be a whole number from 1 to 365.'));
    const to = new Date();
    const from = new Date(to.getTime() - n * 86_400_000);
    const range = { from: from.toISOString(), to: to.toISOString() };
    run.disabled = true;
    run.textContent = 'Running…';
    output.setAttribute('aria-busy', 'true');
    replace(output, h('p', { class: 'muted' }, `Reading ${plural(n, 'day')} of audit events…`));
    const [draft, saved] = await Promise.all([
      settle(ctx.api.request<BacktestResult>('POST', '/backtest', { body: { rule: options.draft(), ...range } })),
      options.savedId
        ? settle(ctx.api.request<BacktestResult>('POST', '/backtest', { body: { ruleId: options.savedId, ...range } }))
        : Promise.resolve(undefined),
    ]);
    run.disabled = false;
    run.textContent = 'Run backtest';
    output.removeAttribute('aria-busy');
    if (
      draft.error instanceof ApiError &&
      draft.error.status === 400 &&
      draft.error.problems.some((p) => p.field.startsWith('rule.'))
    ) {
      options.onProblems(draft.error.problems.filter((p) => p.field.startsWith('rule.')));
      return void replace(
        output,
        h(
          'p',
          { class: 'field-error' },
          'The draft has problems (shown on the form); fix them and run the backtest again.',
        ),
      );
    }
    if (draft.error) return void replace(output, errorBox('The backtest failed', draft.error));
    replace(output, render(draft.value!, saved, n, options));
  }
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'backtest-title' },
    h('h2', { id: 'backtest-title' }, 'Backtest before saving'),
    h(
      'p',
      { class: 'hint' },
      'Runs the draft (as if enabled) over past audit events and shows which events would have fired and how many alerts would have been sent, next to the saved version.',
    ),
    form,
    output,
  );
}

async function settle<T>(p: Promise<{ body: T }>): Promise<{ value?: T; error?: unknown }> {
  try {
    return { value: (await p).body };
  } catch (error) {
    return { error };
  }
}

function render(
  draft: BacktestResult,
  saved: { value?: BacktestResult; error?: unknown } | undefined,
  days: number,
  options: Options,
): HTMLElement {
  const s = saved?.value;
  const savedText = (f: (r: BacktestResult) => string | number) =>
    s ? String(f(s)) : saved?.error ? 'failed' : 'not saved yet';
  const savedIds = new Set(s?.firedEvents.items.map((e) => e.id) ?? []);
  const draftIds = new Set(draft.firedEvents.items.map((e) => e.id));
  const dropped = s ? s.firedEvents.items.filter((e) => !draftIds.has(e.id)).length : 0;
  const summary = table(
    `Backtest over the last ${plural(days, 'day')}`,
    ['', 'Draft', 'Saved version'],
    [
      ['Events read', String(draft.scanned.events), savedText((r) => r.scanned.events)],
      [
        'Events that would fire',
        h('strong', { 'data-testid': 'draft-fired' }, String(draft.firedEvents.count)),
        savedText((r) => r.firedEvents.count),
      ],
      [
        'Alerts that would be sent',
        h('strong', { 'data-testid': 'draft-alerts' }, String(draft.alerts.count)),
        savedText((r) => r.alerts.count),
      ],
    ],
    { className: 'compare' },
  );
  const rows = draft.firedEvents.items.map((e) => [
    h('time', { datetime: e.activityDateTime }, utc(e.activityDateTime)),
    e.activityType ?? '—',
    e.activityResult ?? '—',
    e.actor,
    e.ca,
    s ? (savedIds.has(e.id) ? 'also fires' : h('strong', {}, 'new')) : '—',
    h(
      'button',
      {
        type: 'button',
        class: 'link-button',
        'aria-label': `Preview card: event at ${utc(e.activityDateTime)} by ${e.actor}`,
        onclick: () => options.onPreview(e),
      },
      'Preview card',
    ),
  ]);
  return h(
    'div',
    {},
    summary,
    saved?.error ? errorBox('The saved version could not be backtested', saved.error) : null,
    dropped
      ? h(
          'p',
          { class: 'notice notice-warn' },
          `${plural(dropped, 'event')} the saved version fires on would no longer fire with the draft.`,
        )
      : null,
    draft.truncated
      ? h(
          'p',
          { class: 'notice notice-warn' },
          `Cut short: only events up to ${utc(draft.range?.scannedTo)} were read.`,
        )
      : null,
    rows.length
      ? table(
          `Events the draft would fire on${draft.firedEvents.truncated ? ` (first ${rows.length} of ${draft.firedEvents.count})` : ''}`,
          ['Time', 'Activity', 'Result', 'Actor', 'CA', 'Saved version', 'Card'],
          rows,
          { className: 'events' },
        )
      : h('p', {}, `No event in the last ${plural(days, 'day')} would have fired.`),
    h(
      'ul',
      { class: 'notes' },
      draft.notes.map((n) => h('li', {}, n)),
    ),
  );
}
