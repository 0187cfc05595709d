import { diffFields } from '../../shared/jsonDiff';
import type { View } from '../context';
import { h, table, put } from '../dom';
import { utc, valueText } from '../format';

interface HistoryEntry {
  id: string;
  action: string;
  who: string;
  at: string;
  before?: unknown;
  after?: unknown;
  tamperAlertId?: string;
}

const verbs: Record<string, string> = {
  create: 'created',
  replace: 'changed',
  delete: 'deleted',
  'pack-seed': 'seeded from the built-in pack',
  'pack-upgrade': 'upgraded by the built-in pack',
  end: 'ended',
};

/** #/rules/{id}/history: who changed what, newest first, as field-level before → after. */
export const ruleHistoryView: View = async (ctx, main, [id]) => {
  const { body } = await ctx.api.get<{ value: HistoryEntry[] }>(`/rules/${encodeURIComponent(id)}/history?limit=100`);
  put(
    main,
    h(
      'div',
      { class: 'title-row' },
      h('h1', { tabindex: '-1' }, `History of ${id}`),
      h('a', { href: `#/rules/${encodeURIComponent(id)}` }, 'Open the rule'),
    ),
    body.value.length === 0 ? h('p', {}, 'No recorded change.') : null,
    h(
      'ol',
      { class: 'history' },
      body.value.map((e) => {
        const changes = diffFields(strip(e.before) ?? {}, strip(e.after) ?? {});
        return h(
          'li',
          { class: 'card' },
          h('h2', { class: 'h3' }, `${e.who} ${verbs[e.action] ?? e.action} the rule`),
          h(
            'p',
            { class: 'muted' },
            h('time', { datetime: e.at }, utc(e.at)),
            e.tamperAlertId ? ` · raised tamper alert ${e.tamperAlertId}` : '',
          ),
          changes.length
            ? table(
                `Fields changed at ${utc(e.at)}`,
                ['Field', 'Before', 'After'],
                changes.map((c) => [
                  h('span', { class: 'mono' }, c.field),
                  'before' in c ? h('del', {}, valueText(c.before)) : h('span', { class: 'muted' }, '(none)'),
                  'after' in c ? h('ins', {}, valueText(c.after)) : h('span', { class: 'muted' }, '(none)'),
                ]),
                { captionHidden: true, className: 'diff' },
              )
            : h('p', { class: 'muted' }, 'No field changed.'),
        );
      }),
    ),
  );
};

/** `origin` is app-managed provenance, not an admin's change. */
function strip(doc: unknown): unknown {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return doc;
  const { origin: _origin, ...rest } = doc as Record<string, unknown>;
  return rest;
}
