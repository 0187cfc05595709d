import { h } from '../dom';
import type { Rule } from './shared';

// The rule form's parts that need no form instance: its fields, where a problem belongs, the kept conditions,
// the filter problem view (ruleForm.ts builds the form from them).

export const formFields = [
  'id',
  'name',
  'severity',
  'enabled',
  'activityTypes',
  'result',
  'actorExclude',
  'channels',
  'runbookUrl',
  'groupWindow',
  'description',
  'filter',
] as const;
export type FormField = (typeof formFields)[number];

/** Which form field a problem path (`activityTypes[2]`, `actor.exclude.userPrincipalNames[0]`, `rule.filter`) belongs to. */
export function fieldOf(path: string): FormField | undefined {
  const p = path.replace(/^rule\./, '');
  if (/^actor\.exclude(\.userPrincipalNames)?(\[|$)/.test(p)) return 'actorExclude';
  const head = /^[A-Za-z]+/.exec(p)?.[0];
  return formFields.find((f) => f === head && f !== 'actorExclude');
}

/** `at 23: expected ')' …` → position 23 and the detail. */
export function filterPosition(message: string): { position: number; detail: string } | undefined {
  const m = /^at (\d+): ([\s\S]*)$/.exec(message);
  return m ? { position: Number(m[1]), detail: m[2] } : undefined;
}

/** Conditions the form does not edit (threshold, resource, …): shown, and kept on save. */
export function keptFieldsView(original: Partial<Rule>): HTMLElement | null {
  const edited = new Set([
    'id',
    'name',
    'severity',
    'enabled',
    'activityTypes',
    'result',
    'channels',
    'runbookUrl',
    'groupWindow',
    'description',
    'filter',
    'origin',
  ]);
  const kept: Record<string, unknown> = Object.fromEntries(
    Object.entries(original).filter(([k]) => !edited.has(k) && k !== 'actor'),
  );
  const actor = original.actor;
  if (actor?.include) kept['actor.include'] = actor.include;
  const otherExclude = Object.fromEntries(
    Object.entries(actor?.exclude ?? {}).filter(([k]) => k !== 'userPrincipalNames'),
  );
  if (Object.keys(otherExclude).length) kept['actor.exclude (other than accounts)'] = otherExclude;
  if (Object.keys(kept).length === 0) return null;
  return h(
    'details',
    { class: 'kept' },
    h('summary', {}, `Also in this rule, kept as they are: ${Object.keys(kept).join(', ')}`),
    h('pre', { class: 'mono' }, JSON.stringify(kept, null, 2)),
  );
}

/** Shows a filter problem under the filter: at its position (line, column and a caret) when the message has one. */
export function renderFilterError(container: HTMLElement, control: HTMLTextAreaElement, message: string): void {
  control.setAttribute('aria-invalid', 'true');
  const at = filterPosition(message);
  container.hidden = false;
  if (!at) return void container.append(h('p', {}, message));
  const text = control.value.trim();
  const before = text.slice(0, at.position - 1);
  const lineNo = before.split('\n').length;
  const column = at.position - 1 - before.lastIndexOf('\n');
  const line = text.split('\n')[lineNo - 1] ?? '';
  container.dataset.position = String(at.position);
  container.append(
    h(
      'p',
      {},
      h('strong', {}, `Filter, position ${at.position}${lineNo > 1 ? ` (line ${lineNo}, column ${column})` : ''}: `),
      at.detail,
    ),
    h('pre', { class: 'caret', 'aria-hidden': 'true' }, `${line}\n${' '.repeat(Math.max(0, column - 1))}^`),
  );
}
