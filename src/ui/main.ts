import { Api, ApiError, type Me } from './api';
import type { View, ViewContext } from './context';
import { h, replace } from './dom';
import { errorBox } from './errors';
import { alertsView } from './views/alerts';
import { channelsView } from './views/channels';
import { healthView } from './views/health';
import { ruleEditorView } from './views/ruleEditor';
import { ruleHistoryView } from './views/ruleHistory';
import { rulesView } from './views/rules';
import { tenantsView } from './views/tenants';
import { windowsView } from './views/windows';

/*
 * The admin page: a hash-routed single page over the same-origin JSON API. Plain DOM, no framework.
 */

const meta = (name: string) => document.querySelector(`meta[name="${name}"]`)?.getAttribute('content') ?? '';
const api = new Api(meta('pki-api-base') || '/api');
const mode: 'key' | 'entra' = meta('pki-auth-mode') === 'entra' ? 'entra' : 'key';

const nav: { hash: string; label: string; section: string }[] = [
  { hash: '#/rules', label: 'Rules', section: 'rules' },
  { hash: '#/windows', label: 'Change windows', section: 'windows' },
  { hash: '#/channels', label: 'Channels', section: 'channels' },
  { hash: '#/tenants', label: 'Tenants', section: 'tenants' },
  { hash: '#/alerts', label: 'Alerts', section: 'alerts' },
  { hash: '#/health', label: 'Health', section: 'health' },
];

function route(parts: string[]): { view: View; params: string[]; section: string } {
  const [section = 'rules', id, sub] = parts;
  if (section === 'rules' && id && sub === 'history') return { view: ruleHistoryView, params: [id], section };
  if (section === 'rules' && id) return { view: ruleEditorView, params: [id], section };
  const views: Record<string, View> = {
    rules: rulesView,
    windows: windowsView,
    channels: channelsView,
    tenants: tenantsView,
    alerts: alertsView,
    health: healthView,
  };
  return views[section]
    ? { view: views[section], params: [], section }
    : { view: rulesView, params: [], section: 'rules' };
}

function header(me: Me | undefined, onSignOut: () => void): void {
  const top = document.getElementById('top')!;
  const links = me
    ? h(
        'nav',
        { 'aria-label': 'Sections' },
        h(
          'ul',
          {},
          nav.map((n) => h('li', {}, h('a', { href: n.hash, 'data-section': n.section }, n.label))),
        ),
      )
    : null;
  const user = me
    ? h(
        'div',
        { class: 'user' },
        h(
          'span',
          { class: 'who', 'data-testid': 'signed-in' },
          h('span', { class: 'visually-hidden' }, 'Signed in as '),
          me.name,
          ' ',
          h(
            'span',
            { class: `badge badge-${me.roles.includes('admin') ? 'admin' : 'reader'}` },
            me.roles.includes('admin') ? 'admin' : 'reader',
          ),
        ),
        h('button', { type: 'button', class: 'link-button', onclick: onSignOut }, 'Sign out'),
      )
    : null;
  replace(top, h('a', { class: 'brand', href: '#/rules' }, 'Cloud PKI alerts'), links, user);
}

function markCurrent(section: string): void {
  for (const a of document.querySelectorAll<HTMLAnchorElement>('header nav a')) {
    if (a.dataset.section === section) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

async function render(ctx: ViewContext, main: HTMLElement, focus: boolean): Promise<void> {
  const parts = location.hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  const { view, params, section } = route(parts);
  markCurrent(section);
  const status = h('div', { id: 'status', class: 'status', role: 'status', 'aria-live': 'polite', hidden: true });
  const body = h('div', { class: 'view' });
  replace(main, status, body);
  try {
    await view(ctx, body, params);
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return void signIn(main, err.message);
    body.append(errorBox('This page could not be loaded', err));
  }
  const title = body.querySelector('h1')?.textContent;
  document.title = `${title ? `${title} · ` : ''}Cloud PKI alerts`;
  if (focus) body.querySelector<HTMLElement>('h1')?.focus();
}

let current: ViewContext | undefined;
let listening = false;

async function start(main: HTMLElement): Promise<void> {
  current = undefined;
  let me: Me;
  try {
    me = (await api.get<Me>('/ui/me')).body;
  } catch (err) {
    if (err instanceof ApiError && err.status === 401)
      return signIn(main, api.key ? 'The key was not accepted.' : undefined);
    if (err instanceof ApiError && err.status === 403) {
      header(undefined, signOut);
      return void replace(main, h('h1', { tabindex: '-1' }, 'No access'), errorBox('Signed in, but not allowed', err));
    }
    // Entra mode without verifiable App Service Authentication: the app refuses all administration (503).
    if (err instanceof ApiError && err.code === 'AdminApiClosed')
      return void replace(
        main,
        h('h1', { tabindex: '-1' }, 'Admin API closed'),
        errorBox('Administration is switched off until App Service Authentication is verified', err),
      );
    return void replace(
      main,
      h('h1', { tabindex: '-1' }, 'Cloud PKI alerts'),
      errorBox('The app could not be reached', err),
    );
  }
  header(me, signOut);
  const ctx: ViewContext = {
    api,
    me,
    isAdmin: me.roles.includes('admin'),
    navigate: (hash) => {
      if (location.hash === hash) void render(ctx, main, true);
      else location.hash = hash;
    },
    refresh: () => void render(ctx, main, false),
  };
  current = ctx;
  if (!listening) window.addEventListener('hashchange', () => current && void render(current, main, true));
  listening = true;
  await render(ctx, main, false);
}

function signOut(): void {
  api.key = undefined;
  if (mode === 'entra')
    location.assign(`/.auth/logout?post_logout_redirect_uri=${encodeURIComponent(location.pathname)}`);
  else location.reload();
}

/** Key mode: asks for the admin key once per tab (sessionStorage). Entra mode: the Microsoft sign-in link. */
function signIn(main: HTMLElement, problem?: string): void {
  header(undefined, signOut);
  const input = h('input', {
    type: 'password',
    id: 'admin-key',
    name: 'admin-key',
    autocomplete: 'off',
    required: true,
    spellcheck: 'false',
    'aria-describedby': 'admin-key-hint',
  });
  const error = h('p', { class: 'field-error', id: 'sign-in-error', role: 'alert', hidden: !problem }, problem ?? '');
  const form = h(
    'form',
    { class: 'sign-in', 'aria-labelledby': 'sign-in-title' },
    h('label', { for: 'admin-key' }, 'Admin key'),
    input,
    h(
      'p',
      { class: 'hint', id: 'admin-key-hint' },
      'Locally: the key that npm start printed (LOCAL_ADMIN_KEY). In Azure: a function key of this app. ',
      'It is kept in this browser tab only and sent in the x-functions-key header, never in a URL.',
    ),
    error,
    h('button', { type: 'submit', class: 'primary' }, 'Sign in'),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    api.key = input.value.trim();
    location.hash ||= '#/rules';
    void start(main);
  });
  const entra =
    mode === 'entra'
      ? h(
          'p',
          {},
          h(
            'a',
            {
              class: 'button primary',
              href: `/.auth/login/aad?post_login_redirect_uri=${encodeURIComponent(location.pathname + location.hash)}`,
            },
            'Sign in with Microsoft',
          ),
          ' (App Service Authentication). If this app also requires a function key, enter it below.',
        )
      : null;
  replace(
    main,
    h('section', { class: 'card narrow' }, h('h1', { id: 'sign-in-title', tabindex: '-1' }, 'Sign in'), entra, form),
  );
  (problem ? input : main.querySelector<HTMLElement>('h1'))?.focus();
}

const main = document.getElementById('main');
if (main) void start(main);
