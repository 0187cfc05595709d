import { ApiError } from '../api';
import type { View, ViewContext } from '../context';
import { announce, badge, field, h, put, replace, setFieldError, table } from '../dom';
import { errorBox } from '../errors';
import { ago, utc } from '../format';
import { confirmDialog } from './confirm';

/** A tenant as GET /api/tenants lists it (src/admin/tenantAdmin.ts, TenantView). */
interface Tenant {
  id: string;
  displayName: string;
  home: boolean;
  enabled: boolean;
  authState: 'unknown' | 'ok' | 'consent-missing' | 'forbidden';
  authError?: string;
  authCheckedAt?: string;
  lastSuccessfulPollAt?: string;
  scannedTo?: string;
  lagMinutes?: number;
  openIncidents: number;
  consentUrl?: string;
  etag?: string;
}

const authBadge: Record<Tenant['authState'], [string, string]> = {
  ok: ['ok', 'ok'],
  'consent-missing': ['consent missing', 'warn'],
  forbidden: ['forbidden', 'error'],
  unknown: ['unknown', 'neutral'],
};

/** #/tenants: the tenants this app polls, their sign-in state and polling lag; admins add, check and remove. */
export const tenantsView: View = async (ctx, main) => {
  const { body } = await ctx.api.get<{ value: Tenant[] }>('/tenants');
  const list = h('div', { class: 'tenant-list' });
  const result = h('div', { class: 'check-result', 'aria-live': 'polite' });
  const reload = async () => {
    const fresh = await ctx.api.get<{ value: Tenant[] }>('/tenants');
    replace(list, tenantTable(ctx, fresh.body.value, { result, reload }));
  };
  replace(list, tenantTable(ctx, body.value, { result, reload }));
  put(
    main,
    h('h1', { tabindex: '-1' }, 'Tenants'),
    h(
      'p',
      { class: 'lead' },
      'The Entra tenants whose Cloud PKI audit events this app polls. The home tenant (AZURE_TENANT_ID) is always polled; each other tenant is registered here and needs admin consent in that tenant.',
    ),
    list,
    result,
    ctx.isAdmin ? addForm(ctx, reload) : null,
  );
};

interface Actions {
  result: HTMLElement;
  reload: () => Promise<void>;
}

function tenantTable(ctx: ViewContext, tenants: Tenant[], actions: Actions): HTMLElement {
  return table(
    'Polled tenants',
    [
      'Tenant',
      'Enabled',
      'Sign-in',
      'Last successful poll',
      'Lag',
      'Open incidents',
      ...(ctx.isAdmin ? ['Actions'] : []),
    ],
    tenants.map((t) => {
      const [text, kind] = authBadge[t.authState] ?? authBadge.unknown;
      return [
        h(
          'div',
          { 'data-tenant': t.id },
          h('span', { class: 'rule-name' }, t.displayName),
          t.home ? [' ', badge('home', 'neutral')] : null,
          h('br'),
          h('span', { class: 'mono muted' }, t.id),
        ),
        t.enabled ? badge('yes', 'ok') : badge('disabled', 'neutral'),
        h(
          'div',
          {},
          h('span', { 'data-testid': 'auth-state' }, badge(text, kind)),
          t.authError ? h('p', { class: 'muted' }, t.authError) : null,
        ),
        t.lastSuccessfulPollAt
          ? h(
              'time',
              { datetime: t.lastSuccessfulPollAt, title: utc(t.lastSuccessfulPollAt) },
              ago(t.lastSuccessfulPollAt),
            )
          : 'never',
        t.lagMinutes === undefined ? '—' : `${t.lagMinutes} min`,
        t.openIncidents ? badge(String(t.openIncidents), 'error') : '0',
        ...(ctx.isAdmin
          ? [
              h(
                'div',
                { class: 'actions' },
                button('Check', t, (b) => void check(ctx, t, b, actions)),
                t.home ? null : button('Remove', t, () => void remove(ctx, t, actions), 'danger'),
              ),
            ]
          : []),
      ];
    }),
  );
}

/** A row action whose accessible name starts with its visible text and names the tenant. */
const button = (text: string, t: Tenant, onclick: (b: HTMLButtonElement) => void, kind = '') =>
  h(
    'button',
    {
      type: 'button',
      class: `link-button ${kind}`.trim(),
      'aria-label': `${text}: tenant ${t.displayName}`,
      onclick: (e: Event) => onclick(e.currentTarget as HTMLButtonElement),
    },
    text,
  );

async function check(ctx: ViewContext, t: Tenant, b: HTMLButtonElement, actions: Actions): Promise<void> {
  b.disabled = true;
  replace(actions.result, h('p', { class: 'muted' }, `Signing in to ${t.displayName}…`));
  try {
    const { body } = await ctx.api.request<{ authState: Tenant['authState']; error?: string }>(
      'POST',
      `/tenants/${encodeURIComponent(t.id)}/check`,
    );
    const ok = body.authState === 'ok';
    const shown = h(
      'p',
      { class: `notice notice-${ok ? 'ok' : 'error'}`, 'data-testid': 'check-result' },
      `${t.displayName}: ${authBadge[body.authState]?.[0] ?? body.authState}${body.error ? `: ${body.error}` : ''}`,
    );
    announce(`Check of ${t.displayName}: ${authBadge[body.authState]?.[0] ?? body.authState}.`, ok ? 'ok' : 'error');
    await actions.reload().catch(() => undefined);
    replace(actions.result, shown);
  } catch (err) {
    replace(actions.result, errorBox('The tenant could not be checked', err));
  } finally {
    b.disabled = false;
  }
}

async function remove(ctx: ViewContext, t: Tenant, actions: Actions): Promise<void> {
  if (
    !(await confirmDialog(
      `Remove the tenant ${t.displayName}?`,
      [
        `Its Cloud PKI activity (${t.id}) is no longer polled or alerted on from the next timer run${t.enabled ? '; removing an enabled tenant raises a tamper alert' : ''}.`,
        'Its checkpoint, run ledger, alerts and change history are kept: adding it again resumes where it stopped.',
      ],
      'Remove tenant',
    ))
  )
    return;
  try {
    await ctx.api.request('DELETE', `/tenants/${encodeURIComponent(t.id)}`, {
      headers: t.etag ? { 'if-match': t.etag } : {},
    });
    await actions.reload();
    replace(actions.result);
    announce(`The tenant ${t.displayName} is removed; its history is kept.`, 'ok');
  } catch (err) {
    replace(actions.result, errorBox('The tenant was not removed', err));
  }
}

function addForm(ctx: ViewContext, reload: () => Promise<void>): HTMLElement {
  const id = field(
    'Tenant id',
    h('input', { type: 'text', class: 'mono', autocomplete: 'off', spellcheck: 'false', name: 'tenant-id' }),
    'The Entra tenant id (a GUID), from Entra admin center → Overview.',
  );
  const name = field(
    'Display name',
    h('input', { type: 'text', autocomplete: 'off', maxlength: 256, name: 'tenant-name' }),
    'How cards and this page name the tenant, e.g. Contoso Europe.',
  );
  const result = h('div', { 'aria-live': 'polite', 'data-testid': 'add-result' });
  const fields: Record<string, { error: HTMLElement; control: HTMLElement }> = { id, displayName: name };
  const form = h(
    'form',
    { class: 'card', 'aria-labelledby': 'add-tenant-title', novalidate: true },
    h('h2', { id: 'add-tenant-title' }, 'Add a tenant'),
    h('div', { class: 'grid' }, id.row, name.row),
    h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary' }, 'Add tenant')),
    result,
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void (async () => {
      for (const f of Object.values(fields)) setFieldError(f, undefined);
      replace(result);
      const tenantId = id.control.value.trim();
      if (!tenantId) {
        setFieldError(id, 'is required: the tenant id (a GUID)');
        return void id.control.focus();
      }
      try {
        const { body } = await ctx.api.request<Tenant>('PUT', `/tenants/${encodeURIComponent(tenantId)}`, {
          body: { displayName: name.control.value },
          headers: { 'if-none-match': '*' },
        });
        replace(result, added(body));
        form.reset();
        await reload().catch(() => undefined);
        announce(`The tenant ${body.displayName} is added.`, 'ok');
      } catch (err) {
        if (!(err instanceof ApiError && err.status === 400))
          return void replace(result, errorBox('The tenant was not added', err));
        for (const p of err.problems) {
          const f = fields[p.field];
          if (f) setFieldError(f, p.message);
          else result.append(h('p', { class: 'field-error' }, `${p.field}: ${p.message}`));
        }
        form.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
      }
    })();
  });
  return form;
}

/** After adding: the admin-consent link (built by the server) and what to do next. Text only, never markup. */
function added(t: Tenant): HTMLElement {
  // Only a Microsoft sign-in address becomes a link: the page never links to whatever a response might carry.
  const link =
    t.consentUrl && t.consentUrl.startsWith('https://login.microsoftonline.com/')
      ? h(
          'a',
          {
            href: t.consentUrl,
            target: '_blank',
            rel: 'noopener noreferrer',
            class: 'mono consent-link',
            'data-testid': 'consent-link',
          },
          t.consentUrl,
        )
      : undefined;
  return h(
    'div',
    { class: 'notice notice-ok' },
    h('p', {}, h('strong', {}, `Added ${t.displayName}`), ' ', h('span', { class: 'mono' }, `(${t.id})`), '.'),
    link
      ? [
          h(
            'p',
            {},
            'Send this admin-consent link to an administrator of that tenant (Global Administrator or Privileged Role Administrator). They open it, sign in and consent to the app reading its audit events:',
          ),
          h('p', {}, link),
        ]
      : h(
          'p',
          {},
          'No admin-consent link: MULTI_TENANT_APP_CLIENT_ID is not set. Set it to the client id of the multi-tenant app registration; the link then shows here.',
        ),
    h('p', {}, 'After consent, use Check on its row: the sign-in should read ok. The next timer run polls it.'),
  );
}
