import { ApiError, type FieldProblem } from '../api';
import type { ViewContext } from '../context';
import { h, replace } from '../dom';
import { errorBox } from '../errors';
import { utc } from '../format';
import type { BacktestEvent } from './backtest';
import { renderCard } from './cardRenderer';

interface Preview {
  message: { attachments: { content: unknown }[] };
  eventSource: 'given' | 'graph' | 'sample';
  eventId: string;
  matches: boolean;
  bytes: number;
}

/** The card the draft would send (POST /api/ui/preview), rendered as Teams would show it. */
export function previewPanel(
  ctx: ViewContext,
  draft: () => Record<string, unknown>,
  onProblems: (p: FieldProblem[]) => void,
) {
  const output = h('div', { class: 'preview-output', 'aria-live': 'polite' });
  const element = h(
    'section',
    { class: 'card', 'aria-labelledby': 'preview-title', id: 'card-preview' },
    h('h2', { id: 'preview-title', tabindex: '-1' }, 'Card preview'),
    h(
      'p',
      { class: 'hint' },
      'What on-call would see in Teams, drawn by the official Adaptive Cards renderer from the card the app builds. Pick an event in the backtest, or use a made-up one.',
    ),
    h('button', { type: 'button', class: 'secondary', onclick: () => void show({}) }, 'Preview with a sample event'),
    output,
  );

  async function show(
    ref: { eventRef?: { id: string; activityDateTime: string } },
    event?: BacktestEvent,
  ): Promise<void> {
    replace(output, h('p', { class: 'muted' }, 'Building the card…'));
    element.scrollIntoView({ block: 'start' });
    let preview: Preview;
    try {
      preview = (await ctx.api.request<Preview>('POST', '/ui/preview', { body: { rule: draft(), ...ref } })).body;
    } catch (err) {
      if (err instanceof ApiError && err.status === 400 && err.problems.some((p) => p.field.startsWith('rule.'))) {
        onProblems(err.problems.filter((p) => p.field.startsWith('rule.')));
        return void replace(
          output,
          h('p', { class: 'field-error' }, 'The draft has problems (shown on the form); fix them to preview its card.'),
        );
      }
      return void replace(output, errorBox('No preview', err));
    }
    const content = preview.message.attachments[0]?.content;
    const opened = h('p', { class: 'muted', 'aria-live': 'polite' });
    let rendered: HTMLElement;
    let warnings: string[] = [];
    try {
      ({ element: rendered, warnings } = renderCard(content, (url) => {
        opened.textContent = `This button opens ${url}`;
      }));
    } catch (err) {
      rendered = errorBox('The renderer could not draw this card', err);
    }
    const source =
      preview.eventSource === 'sample'
        ? 'a made-up sample event'
        : `the event at ${utc(event?.activityDateTime)}${event ? ` by ${event.actor}` : ''}`;
    replace(
      output,
      h('p', {}, `Card for ${source} (${Math.round(preview.bytes / 102.4) / 10} KB of the 20 KB budget).`),
      preview.matches
        ? null
        : h(
            'p',
            { class: 'notice notice-warn' },
            'The draft does not match this event: the card shows what it would look like if it did.',
          ),
      h('div', { class: 'teams-frame', 'data-testid': 'card' }, rendered),
      opened,
      warnings.length
        ? h(
            'ul',
            { class: 'notice notice-warn' },
            warnings.map((w) => h('li', {}, w)),
          )
        : null,
      h(
        'details',
        {},
        h('summary', {}, 'Card JSON'),
        h('pre', { class: 'mono json' }, JSON.stringify(content, null, 2)),
      ),
    );
    element.querySelector<HTMLElement>('h2')?.focus();
  }
  return { element, show };
}
