/*
 * DOM helpers for the admin page. Text is only ever set through text nodes / textContent: no innerHTML
 * anywhere in the page's own code, so event data (CA names, UPNs, filters) can never become markup.
 */

export type Child = Node | string | number | null | undefined | false | Child[];
type Handler = (event: Event) => void;
export type Attrs = Record<string, string | number | boolean | Handler | null | undefined>;

/** Creates an element: `on*` attributes become listeners, booleans toggle the attribute, text is text. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (typeof value === 'function') el.addEventListener(name.replace(/^on/, ''), value);
    else if (name === 'value' && 'value' in el) (el as HTMLInputElement).value = String(value);
    else if (name === 'checked' && el instanceof HTMLInputElement) el.checked = Boolean(value);
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

export function append(parent: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else
      parent.appendChild(
        typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child,
      );
  }
}

/** Replaces an element's content. */
export function replace(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

let idCounter = 0;
/** A unique element id with a readable prefix. */
export const uid = (prefix: string) => `${prefix}-${++idCounter}`;

/** A labelled form row: label, control, optional hint and an error slot wired with aria-describedby. */
export function field(
  label: string,
  control: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement,
  hint?: string,
): { row: HTMLElement; error: HTMLElement; control: typeof control } {
  control.id ||= uid('f');
  const hintEl = hint ? h('p', { class: 'hint', id: `${control.id}-hint` }, hint) : undefined;
  const error = h('p', { class: 'field-error', id: `${control.id}-error`, hidden: true });
  control.setAttribute('aria-describedby', [hintEl?.id, error.id].filter(Boolean).join(' '));
  const row = h('div', { class: 'field' }, h('label', { for: control.id }, label), control, hintEl, error);
  return { row, error, control };
}

/** Shows (or clears) a field's error message and marks the control invalid. */
export function setFieldError(f: { error: HTMLElement; control: HTMLElement }, message: string | undefined): void {
  f.error.hidden = !message;
  f.error.textContent = message ?? '';
  if (message) f.control.setAttribute('aria-invalid', 'true');
  else f.control.removeAttribute('aria-invalid');
}

/** A table whose cells carry their column name, so narrow screens can show each row as a labelled card. */
export function table(
  caption: string,
  columns: string[],
  rows: Child[][],
  options: { captionHidden?: boolean; className?: string } = {},
): HTMLElement {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: `responsive ${options.className ?? ''}`.trim() },
      h('caption', { class: options.captionHidden ? 'visually-hidden' : undefined }, caption),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          columns.map((c) => h('th', { scope: 'col' }, c)),
        ),
      ),
      h(
        'tbody',
        {},
        rows.map((cells) =>
          h(
            'tr',
            {},
            cells.map((cell, i) => h('td', { 'data-label': columns[i] ?? '' }, cell)),
          ),
        ),
      ),
    ),
  );
}

export const badge = (text: string, kind: string) => h('span', { class: `badge badge-${kind}` }, text);

/** The page-wide polite live region (status messages for screen readers and everyone else). */
export function announce(message: string, kind: 'ok' | 'error' | 'info' = 'info'): void {
  const region = document.getElementById('status');
  if (!region) return;
  region.className = `status status-${kind}`;
  region.textContent = message;
  region.hidden = false;
  // The text stays for assistive technology; the toast leaves the screen after a while.
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => region.classList.add('status-faded'), 6000);
}

let toastTimer: ReturnType<typeof setTimeout> | undefined;

/** Appends children (nulls skipped) to an element. */
export const put = (parent: Node, ...children: Child[]): void => append(parent, children);
