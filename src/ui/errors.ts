import { ApiError } from './api';
import { h } from './dom';

/** A readable error box for a failed load: what failed, the API's message, and what to do. */
export function errorBox(what: string, err: unknown): HTMLElement {
  const e = err instanceof ApiError ? err : new ApiError(0, 'Error', (err as Error)?.message ?? String(err));
  const advice = e.missingRoute
    ? 'The rest of the page still works. Update the app (or ask its owner) to get this part.'
    : e.status === 401
      ? 'Sign in again.'
      : e.status === 403
        ? 'Your account lacks the role for this. Ask an administrator for the admin or reader app role.'
        : e.status === 412
          ? 'Someone changed it since you loaded it: reload and apply your change again.'
          : e.status >= 500
            ? 'The app failed; its log names the invocation.'
            : '';
  return h(
    'div',
    { class: `notice notice-${e.missingRoute ? 'warn' : 'error'}`, role: 'alert' },
    h('strong', {}, `${what}: `),
    e.message,
    advice ? h('span', { class: 'advice' }, ` ${advice}`) : null,
  );
}
