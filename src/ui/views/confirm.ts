import { h } from '../dom';

/** A modal confirmation (native <dialog>: focus is trapped, Escape cancels, focus returns afterwards). */
export function confirmDialog(title: string, paragraphs: string[], confirmLabel: string): Promise<boolean> {
  const opener = document.activeElement as HTMLElement | null;
  return new Promise((resolve) => {
    const dialog = h(
      'dialog',
      { class: 'confirm', 'aria-labelledby': 'confirm-title' },
      h('h2', { id: 'confirm-title' }, title),
      paragraphs.map((p) => h('p', {}, p)),
      h(
        'form',
        { method: 'dialog', class: 'buttons' },
        h('button', { type: 'submit', value: 'cancel', class: 'secondary', autofocus: true }, 'Cancel'),
        h('button', { type: 'submit', value: 'confirm', class: 'danger' }, confirmLabel),
      ),
    );
    dialog.addEventListener('close', () => {
      dialog.remove();
      opener?.focus();
      resolve(dialog.returnValue === 'confirm');
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}
