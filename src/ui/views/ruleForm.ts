import { type Attrs, field, h, setFieldError, uid } from '../dom';
import { lines } from '../format';
import type { Rule } from './shared';
import { fieldOf, type FormField, filterPosition, keptFieldsView, renderFilterError } from './ruleFormParts';

export { fieldOf, filterPosition, formFields, type FormField } from './ruleFormParts';

/*
 * The rule editor's form: the common parts as fields, the advanced filter as a textarea, everything else
 * of the rule kept as it is. Maps the validator's field problems back onto the fields.
 */

type Control = HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;
type Field = { row: HTMLElement; error: HTMLElement; control: Control };

const select = (options: [string, string][], value: string, attrs: Attrs = {}) =>
  h(
    'select',
    attrs,
    options.map(([v, label]) => h('option', { value: v, selected: v === value }, label)),
  );

export class RuleForm {
  readonly element: HTMLFormElement;
  private readonly fields = new Map<FormField, Field>();
  private readonly channelBoxes: HTMLInputElement[] = [];
  private readonly summary: HTMLElement;
  private readonly filterError: HTMLElement;
  private readonly windowMinutes: HTMLInputElement;

  constructor(
    private readonly original: Partial<Rule>,
    readonly isNew: boolean,
    channelIds: string[],
  ) {
    const r = original;
    const text = (value: string | undefined, attrs: Attrs = {}) =>
      h('input', { type: 'text', value: value ?? '', ...attrs });
    const area = (value: string, rows: number, attrs: Attrs = {}) => h('textarea', { rows, ...attrs }, value);
    const add = (name: FormField, label: string, control: Control, hint?: string) => {
      control.name = name;
      const f = field(label, control, hint);
      this.fields.set(name, f);
      return f.row;
    };
    this.summary = h('div', { class: 'error-summary', role: 'alert', tabindex: '-1', hidden: true });

    const channelSet = new Set(['default', ...channelIds, ...(r.channels ?? [])]);
    const channelGroup = h(
      'fieldset',
      { class: 'field checks', 'aria-describedby': 'channels-hint channels-error' },
      h('legend', {}, 'Channels'),
      [...channelSet].map((id) => {
        const box = h('input', {
          type: 'checkbox',
          name: 'channels',
          value: id,
          id: uid('ch'),
          checked: (r.channels ?? ['default']).includes(id),
        });
        this.channelBoxes.push(box);
        return h(
          'label',
          { class: 'check', for: box.id },
          box,
          id === 'default' ? 'default (every default channel)' : id,
        );
      }),
      h('p', { class: 'hint', id: 'channels-hint' }, 'Where the alert goes. At least one.'),
      h('p', { class: 'field-error', id: 'channels-error', hidden: true }),
    );
    this.fields.set('channels', {
      row: channelGroup,
      error: channelGroup.querySelector('#channels-error')!,
      control: this.channelBoxes[0],
    });

    const filter = area(r.filter ?? '', 3, {
      class: 'mono',
      spellcheck: 'false',
      autocapitalize: 'off',
      'aria-describedby': 'filter-hint filter-error',
    });
    filter.name = 'filter';
    filter.id = 'rule-filter';
    this.filterError = h('div', { class: 'field-error filter-error', id: 'filter-error', hidden: true });
    this.fields.set('filter', { row: h('div'), error: this.filterError, control: filter });

    const enabled = h('input', { type: 'checkbox', id: 'rule-enabled', checked: r.enabled ?? true });
    enabled.name = 'enabled';
    const enabledError = h('p', { class: 'field-error', id: 'rule-enabled-error', hidden: true });
    this.fields.set('enabled', { row: h('div'), error: enabledError, control: enabled });

    // groupWindow: 'auto' | 'none' | minutes, edited as a choice plus a minutes box used only for "minutes".
    const window = r.groupWindow;
    const minutes = h('input', {
      type: 'number',
      min: '1',
      max: '1440',
      step: '1',
      inputmode: 'numeric',
      id: 'rule-group-window-minutes',
      value: typeof window === 'number' ? String(window) : '',
      disabled: typeof window !== 'number',
    });
    this.windowMinutes = minutes;
    const windowChoice = select(
      [
        ['auto', 'Automatic: high and critical go out at once; medium and low wait for one digest'],
        ['none', 'Never hold: every alert goes out when detected'],
        ['minutes', 'Hold later alerts for a set number of minutes'],
      ],
      typeof window === 'number' ? 'minutes' : window === 'none' ? 'none' : 'auto',
      {
        onchange: () => {
          minutes.disabled = windowChoice.value !== 'minutes';
        },
      },
    );

    this.element = h(
      'form',
      { class: 'rule-form', novalidate: true, 'aria-label': 'Rule' },
      this.summary,
      h(
        'div',
        { class: 'grid' },
        isNew
          ? add(
              'id',
              'Rule id',
              text('', { autocomplete: 'off', spellcheck: 'false', class: 'mono' }),
              'Lowercase letters, digits and dashes, e.g. cloudpki-ca-paused-by-partner. Cannot change later.',
            )
          : null,
        add('name', 'Name', text(r.name, { autocomplete: 'off' }), 'The alert title on-call reads.'),
        add(
          'severity',
          'Severity',
          select(
            [
              ['critical', 'Critical'],
              ['high', 'High'],
              ['medium', 'Medium'],
              ['low', 'Low'],
            ],
            r.severity ?? 'high',
          ),
        ),
        h(
          'div',
          { class: 'field check-field' },
          h('label', { class: 'check', for: enabled.id }, enabled, 'Enabled'),
          enabledError,
        ),
        add(
          'result',
          'Result',
          select(
            [
              ['', 'Any result'],
              ['Success', 'Success only'],
              ['Failure', 'Failure only (any other result)'],
            ],
            r.result ?? '',
          ),
        ),
        add(
          'runbookUrl',
          'Runbook URL',
          h('input', { type: 'url', value: r.runbookUrl ?? '', autocomplete: 'off', placeholder: 'https://' }),
          'Shown on the card as a button. https only.',
        ),
        add(
          'groupWindow',
          'Digest (group window)',
          windowChoice,
          'After a post, whether later alerts of this rule wait to be sent as one digest. Realert still applies.',
        ),
        h(
          'div',
          { class: 'field' },
          h('label', { for: minutes.id }, 'Digest window, minutes'),
          minutes,
          h('p', { class: 'hint' }, '1 to 1440; used with "a set number of minutes".'),
        ),
      ),
      add(
        'activityTypes',
        'Activity types',
        area((r.activityTypes ?? []).join('\n'), 4, { class: 'mono', spellcheck: 'false' }),
        'One per line, exact activityType or a * pattern, e.g. Delete CloudCertificationAuthority or * CloudCertificationAuthority.',
      ),
      add(
        'actorExclude',
        'Never alert for these accounts',
        area((r.actor?.exclude?.userPrincipalNames ?? []).join('\n'), 2, { class: 'mono', spellcheck: 'false' }),
        'User principal names, one per line; * wildcards allowed (e.g. breakglass-*@contoso.com).',
      ),
      channelGroup,
      add('description', 'Description', area(r.description ?? '', 2)),
      h(
        'div',
        { class: 'field' },
        h('label', { for: filter.id }, 'Advanced filter (optional)'),
        filter,
        h(
          'p',
          { class: 'hint', id: 'filter-hint' },
          "OData $filter over the event's Graph fields, ANDed with the fields above, e.g. resources/any(r: startswith(r/displayName, 'Contoso Root')).",
        ),
        this.filterError,
      ),
      keptFieldsView(this.original),
    );
  }

  private value(name: FormField): string {
    return this.fields.get(name)?.control.value ?? '';
  }

  /** The rule as the form now says: the original document with the form's fields applied. */
  draft(): Record<string, unknown> {
    const d: Record<string, unknown> = { ...this.original };
    delete d.origin;
    if (this.isNew) d.id = this.value('id').trim();
    d.name = this.value('name').trim();
    d.severity = this.value('severity');
    d.enabled = (this.fields.get('enabled')!.control as HTMLInputElement).checked;
    const set = (key: string, value: unknown) => {
      if (value === undefined || value === '' || (Array.isArray(value) && value.length === 0)) delete d[key];
      else d[key] = value;
    };
    set('activityTypes', lines(this.value('activityTypes')));
    set('result', this.value('result'));
    set('runbookUrl', this.value('runbookUrl').trim());
    set('description', this.value('description').trim());
    set('filter', this.value('filter').trim());
    const window = this.value('groupWindow');
    // 'auto' is the default: left out so an untouched rule stays as it was. A bad number goes to the validator as-is.
    const typed = this.windowMinutes.value.trim();
    set(
      'groupWindow',
      window === 'none'
        ? 'none'
        : window === 'minutes'
          ? /^\d+$/.test(typed)
            ? Number(typed)
            : typed || 'minutes'
          : this.original.groupWindow === 'auto'
            ? 'auto'
            : undefined,
    );
    d.channels = this.channelBoxes.filter((b) => b.checked).map((b) => b.value);
    const accounts = lines(this.value('actorExclude'));
    const actor = { ...(this.original.actor ?? {}) } as { include?: unknown; exclude?: Record<string, unknown> };
    const exclude = { ...(actor.exclude ?? {}) };
    if (accounts.length) exclude.userPrincipalNames = accounts;
    else delete exclude.userPrincipalNames;
    if (Object.keys(exclude).length) actor.exclude = exclude;
    else delete actor.exclude;
    set('actor', Object.keys(actor).length ? actor : undefined);
    return d;
  }

  get ruleId(): string {
    return this.isNew ? this.value('id').trim() : String(this.original.id);
  }

  clearProblems(): void {
    for (const f of this.fields.values()) setFieldError(f, undefined);
    this.filterError.replaceChildren();
    this.summary.hidden = true;
    this.summary.replaceChildren();
  }

  /** Shows each problem next to its field (the filter's at its position) and a linked summary on top. */
  showProblems(problems: { field: string; message: string }[], focus = true): void {
    this.clearProblems();
    const byField = new Map<FormField | undefined, string[]>();
    for (const p of problems) {
      const f = fieldOf(p.field);
      const text =
        f && f !== 'filter' && p.field.replace(/^rule\./, '') !== f
          ? `${p.field.replace(/^rule\./, '')}: ${p.message}`
          : p.message;
      byField.set(f, [...(byField.get(f) ?? []), text]);
    }
    for (const [name, messages] of byField) {
      if (!name) continue;
      if (name === 'filter') this.showFilterError(messages[0]);
      else setFieldError(this.fields.get(name)!, messages.join('; '));
    }
    const items = problems.map((p) => {
      const f = fieldOf(p.field);
      const target = f ? this.fields.get(f)?.control.id : undefined;
      const label = `${p.field.replace(/^rule\./, '')}: ${p.message}`;
      return h(
        'li',
        {},
        target
          ? h(
              'a',
              {
                href: `#${target}`,
                onclick: (e: Event) => {
                  e.preventDefault();
                  document.getElementById(target)?.focus();
                },
              },
              label,
            )
          : label,
      );
    });
    this.summary.append(
      h('h2', {}, `The rule has ${problems.length === 1 ? 'a problem' : `${problems.length} problems`}`),
      h('ul', {}, items),
    );
    this.summary.hidden = false;
    if (focus) {
      const filterProblem = byField.get('filter');
      if (filterProblem && byField.size === 1) this.focusFilterPosition(filterProblem[0]);
      else this.summary.focus();
    }
  }

  private showFilterError(message: string): void {
    renderFilterError(this.filterError, this.fields.get('filter')!.control as HTMLTextAreaElement, message);
  }

  /** Puts the cursor (a one-character selection) where the filter problem is. */
  private focusFilterPosition(message: string): void {
    const control = this.fields.get('filter')!.control as HTMLTextAreaElement;
    const at = filterPosition(message);
    control.focus();
    if (!at) return;
    const offset = control.value.length - control.value.trimStart().length;
    const start = Math.min(control.value.length, offset + at.position - 1);
    control.setSelectionRange(start, Math.min(control.value.length, start + 1));
  }
}
