import type { ViewContext } from '../context';
import { badge, h, replace, table } from '../dom';
import { errorBox } from '../errors';

interface DoctorReport {
  ok: boolean;
  checkedAt: string;
  checks: {
    id: string;
    title: string;
    status: 'pass' | 'fail' | 'warn' | 'skip';
    required: boolean;
    detail: string;
    fix?: string;
  }[];
}

const kind = { pass: 'ok', fail: 'error', warn: 'warn', skip: 'info' } as const;
const label = { pass: '✔ pass', fail: '✖ fail', warn: '! advice', skip: '– skipped' } as const;

/**
 * The Health view's "Check connection": runs GET /api/doctor (the checks of `pki-alerts doctor`, made by
 * the app with its own identity) on demand, since it reads Graph and writes a probe row.
 */
export function connectionCheck(ctx: ViewContext): HTMLElement {
  const result = h('div', { 'aria-live': 'polite', 'data-testid': 'connection-result' });
  const button = h('button', { type: 'button', 'data-testid': 'check-connection' }, 'Check connection');
  const check = async () => {
    button.disabled = true;
    replace(result, h('p', {}, 'Checking settings, Table Storage, the Graph token, audit events and channels…'));
    try {
      const { body } = await ctx.api.get<DoctorReport>('/doctor');
      replace(
        result,
        h(
          'p',
          { class: 'lead' },
          badge(body.ok ? 'all required checks passed' : 'a required check failed', body.ok ? 'ok' : 'error'),
        ),
        table(
          'Connection checks',
          ['Check', 'Result', 'Detail', 'Fix'],
          body.checks.map((c) => [
            c.required ? c.title : `${c.title} (optional)`,
            badge(label[c.status], kind[c.status]),
            c.detail,
            c.fix ?? '—',
          ]),
        ),
      );
    } catch (err) {
      replace(result, errorBox('The connection check failed', err));
    } finally {
      button.disabled = false;
    }
  };
  button.addEventListener('click', () => void check());
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'connection-title' },
    h('h2', { id: 'connection-title' }, 'Connection'),
    h(
      'p',
      {},
      'Runs the onboarding checks of "pki-alerts doctor" from the app: settings, Table Storage, the Graph token and its permissions, the audit-event query, Cloud PKI activity types and each channel. Secrets are never shown.',
    ),
    button,
    result,
  );
}
