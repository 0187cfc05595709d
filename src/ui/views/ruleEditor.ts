import { ApiError } from '../api';
import type { View } from '../context';
import { announce, h, replace, put } from '../dom';
import { errorBox } from '../errors';
import { backtestPanel } from './backtest';
import { previewPanel } from './preview';
import { RuleForm } from './ruleForm';
import { optional, type ChannelView, type Rule } from './shared';

const newRule: Partial<Rule> = { enabled: true, severity: 'high', channels: ['default'] };

/** #/rules/new and #/rules/{id}: edit, validate, backtest, preview, save. */
export const ruleEditorView: View = async (ctx, main, [id]) => {
  const isNew = id === 'new';
  const [stored, channels] = await Promise.all([
    isNew
      ? Promise.resolve(undefined)
      : ctx.api.get<{
          rule?: Rule;
          raw?: unknown;
          problems?: { field: string; message: string }[];
          updatedAt?: string;
          updatedBy?: string;
        }>(`/rules/${encodeURIComponent(id)}`),
    optional(() => ctx.api.get<{ value: ChannelView[] }>('/channels')),
  ]);
  let etag = stored?.etag;
  const original = stored?.body.rule ?? (stored?.body.raw as Partial<Rule> | undefined) ?? newRule;
  const form = new RuleForm(
    original,
    isNew,
    (channels.value?.body.value ?? []).map((c) => c.id),
  );
  const title = isNew ? 'New rule' : `Rule: ${original.name ?? id}`;
  const result = h('div', { class: 'save-result' });

  const validate = async (): Promise<Record<string, unknown> | undefined> => {
    const draft = form.draft();
    try {
      await ctx.api.request('POST', '/rules/validate', { body: draft });
      form.clearProblems();
      return draft;
    } catch (err) {
      if (err instanceof ApiError && err.status === 400) form.showProblems(err.problems);
      else replace(result, errorBox('Could not validate', err));
      return undefined;
    }
  };

  const save = async () => {
    replace(result);
    const draft = await validate();
    if (!draft) return;
    const ruleId = form.ruleId;
    const headers: Record<string, string> = isNew ? { 'if-none-match': '*' } : { 'if-match': etag ?? '*' };
    try {
      const res = await ctx.api.request<{ id: string }>('PUT', `/rules/${encodeURIComponent(ruleId)}`, {
        body: draft,
        headers,
      });
      etag = res.etag;
      announce(`Saved ${String(draft.name)}${res.status === 201 ? ' (created)' : ''}.`, 'ok');
      if (isNew) ctx.navigate(`#/rules/${encodeURIComponent(ruleId)}`);
      else
        replace(
          result,
          h(
            'p',
            { class: 'notice notice-ok' },
            `Saved. `,
            h('a', { href: `#/rules/${encodeURIComponent(ruleId)}/history` }, 'See the history'),
          ),
        );
    } catch (err) {
      if (err instanceof ApiError && err.status === 400 && err.problems.length) form.showProblems(err.problems);
      else replace(result, errorBox('Not saved', err));
    }
  };

  const buttons = h(
    'div',
    { class: 'buttons' },
    h(
      'button',
      {
        type: 'button',
        class: 'secondary',
        onclick: () =>
          void validate().then((ok) => {
            if (ok) announce('The rule is valid.', 'ok');
          }),
      },
      'Validate',
    ),
    ctx.isAdmin
      ? h('button', { type: 'submit', class: 'primary' }, isNew ? 'Create rule' : 'Save rule')
      : h(
          'button',
          { type: 'submit', class: 'primary', disabled: true, 'aria-describedby': 'save-needs-admin' },
          'Save rule',
        ),
    ctx.isAdmin
      ? null
      : h(
          'span',
          { class: 'hint', id: 'save-needs-admin' },
          'Saving needs the admin role; you can still validate, backtest and preview.',
        ),
    h('a', { href: '#/rules' }, 'Back to rules'),
  );
  form.element.append(buttons, result);
  form.element.addEventListener('submit', (e) => {
    e.preventDefault();
    if (ctx.isAdmin) void save();
  });

  const preview = previewPanel(
    ctx,
    () => draftForBacktest(form),
    (problems) => form.showProblems(problems),
  );
  put(
    main,
    h(
      'div',
      { class: 'title-row' },
      h('h1', { tabindex: '-1' }, title),
      isNew ? null : h('a', { href: `#/rules/${encodeURIComponent(id)}/history` }, 'History'),
    ),
    stored?.body.updatedBy
      ? h(
          'p',
          { class: 'muted' },
          `Last changed by ${stored.body.updatedBy}${stored.body.updatedAt ? ` at ${stored.body.updatedAt}` : ''}.`,
        )
      : null,
    stored?.body.problems?.length
      ? h(
          'div',
          { class: 'notice notice-warn', role: 'note' },
          'The stored version does not parse; fix the problems below and save.',
        )
      : null,
    channels.error
      ? errorBox('The channel list is not available (channel ids can still be kept)', channels.error)
      : null,
    form.element,
    backtestPanel(ctx, {
      draft: () => draftForBacktest(form),
      savedId: isNew ? undefined : id,
      onProblems: (problems) => form.showProblems(problems),
      onPreview: (event) =>
        void preview.show({ eventRef: { id: event.id, activityDateTime: event.activityDateTime } }, event),
    }),
    preview.element,
  );
  if (stored?.body.problems?.length) form.showProblems(stored.body.problems, false);
};

/** The draft for a backtest or preview: a new rule may not have its id yet. */
function draftForBacktest(form: RuleForm): Record<string, unknown> {
  const draft = form.draft();
  if (!draft.id) draft.id = 'draft';
  return draft;
}
