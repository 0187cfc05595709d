import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { getServices } from '../../src/composition/appServices';
import { createEasyAuthStandIn, type EasyAuthStandIn } from '../../src/local/easyAuthStandIn';
import { startFunctionsHost, type FunctionsHost } from '../../src/local/functionsHost';
import { principalHeader } from '../helpers/apiCalls';
import { usePipelineEnvironment } from '../helpers/pipeline';

// The function modules run on the local functions host behind the stand-in (real HTTP), so this file must not
// import them: that would evaluate them before the host's shim.
const modules = ['rules', 'adminUi'].map((f) => path.join(__dirname, '..', '..', 'src', 'functions', `${f}.ts`));
const clientId = 'local-easy-auth-stand-in';
const csrf = { 'x-requested-with': 'pki-alerts-admin' };
const rule = {
  id: 'ca-deleted-local',
  name: 'CA deleted (local)',
  enabled: true,
  severity: 'critical',
  activityTypes: ['Delete CloudCertificationAuthority'],
  channels: ['default'],
};

let host: FunctionsHost;
let standIn: EasyAuthStandIn;
beforeAll(async () => {
  standIn = createEasyAuthStandIn({
    clientId,
    adminRole: 'PkiAlerts.Admin',
    readerRole: 'PkiAlerts.Reader',
    host: '127.0.0.1',
  });
  host = await startFunctionsHost({
    port: 0,
    functionModules: modules,
    extraRoutes: standIn.routes,
    requestHeaders: standIn.requestHeaders,
    log: () => {},
  });
});
afterAll(() => host?.close());

const pipeline = usePipelineEnvironment({ env: { ADMIN_AUTH_MODE: 'entra', ADMIN_AUTH_CLIENT_ID: clientId } });
beforeEach(() => {
  pipeline();
  Object.assign(process.env, standIn.platformEnv); // what `npm start` does before the app reads its settings
});

const call = async (method: string, route: string, headers: Record<string, string> = {}, body?: unknown) => {
  const res = await fetch(`${host.url}${route}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
    redirect: 'manual',
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json: json as Record<string, never> };
};

/** Rule ids in the table the hosted functions use. */
const storedIds = async () => (await getServices().rules.list(getServices().config.tenantId)).rules.map((r) => r.id);

/** Signs in through the form post, as the admin page's link leads a browser to; returns the cookie. */
async function signIn(
  user: string,
  role: string,
  redirect = '/api/ui#/rules',
): Promise<{ cookie: string; location: string | null }> {
  const res = await fetch(`${host.url}/.auth/login/aad`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ user, role, post_login_redirect_uri: redirect }).toString(),
    redirect: 'manual',
  });
  expect(res.status).toBe(302);
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0];
  expect(cookie).toMatch(/^AppServiceAuthSession=.+/);
  return { cookie, location: res.headers.get('location') };
}

describe('local stand-in for App Service Authentication (npm start, ADMIN_AUTH_MODE=entra)', () => {
  it('strips a client-sent principal: a forged admin header is anonymous (401) and writes nothing', async () => {
    const forged = principalHeader('mallory@evil.example', ['PkiAlerts.Admin']);
    expect((await call('GET', '/api/rules', forged)).status).toBe(401);
    expect(
      (
        await call(
          'PUT',
          `/api/rules/${rule.id}`,
          { ...forged, ...csrf, 'x-ms-client-principal-name': 'mallory' },
          rule,
        )
      ).status,
    ).toBe(401);
    expect(await storedIds()).not.toContain(rule.id);
  });

  it('serves the sign-in form at the path the admin page links to, loopback and obviously local', async () => {
    const page = await call('GET', '/.auth/login/aad?post_login_redirect_uri=%2Fapi%2Fui');
    expect(page.status).toBe(200);
    expect(page.text).toContain('stand-in for App Service Authentication');
    expect(page.text).toContain('npm start only');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
  });

  it('a signed-in reader reads (and /api/ui/me names them) but cannot write; the role comes from the session, not from headers', async () => {
    const { cookie, location } = await signIn('rita@contoso.com', 'reader');
    expect(location).toBe('/api/ui#/rules');
    expect((await call('GET', '/api/rules', { cookie })).status).toBe(200);
    const me = await call('GET', '/api/ui/me', {
      cookie,
      ...principalHeader('mallory@evil.example', ['PkiAlerts.Admin']),
    });
    expect(me.json).toMatchObject({ name: 'rita@contoso.com', roles: ['reader'], via: 'entra', mode: 'entra' });
    expect(
      (
        await call(
          'PUT',
          `/api/rules/${rule.id}`,
          { cookie, ...csrf, ...principalHeader('mallory@evil.example', ['PkiAlerts.Admin']) },
          rule,
        )
      ).status,
    ).toBe(403);
  });

  it('a signed-in admin writes (the CSRF header required, as behind the real cookie), and is the recorded editor', async () => {
    const { cookie } = await signIn('adam@contoso.com', 'admin');
    expect((await call('PUT', `/api/rules/${rule.id}`, { cookie }, rule)).status).toBe(403); // cookie without the CSRF header
    expect((await call('PUT', `/api/rules/${rule.id}`, { cookie, ...csrf }, rule)).status).toBe(201);
    expect(await storedIds()).toContain(rule.id);
    const history = await call('GET', `/api/rules/${rule.id}/history`, { cookie });
    expect(history.json).toMatchObject({ value: [{ action: 'create', who: 'adam@contoso.com' }] });
  });

  it('/.auth/me shows the session; /.auth/logout ends it; a redirect never leaves the site', async () => {
    const { cookie, location } = await signIn('nora@contoso.com', 'none', '//evil.example/x');
    expect(location).toBe('/api/ui');
    expect((await call('GET', '/.auth/me', { cookie })).json).toMatchObject([
      { provider_name: 'aad', user_id: 'nora@contoso.com' },
    ]);
    expect((await call('GET', '/api/rules', { cookie })).status).toBe(403); // signed in, no app role
    const out = await call('GET', '/.auth/logout?post_logout_redirect_uri=%2Fapi%2Fui', { cookie });
    expect(out.status).toBe(302);
    expect((await call('GET', '/api/rules', { cookie })).status).toBe(401);
  });

  it('refuses a cross-site sign-in post and a bad user name', async () => {
    const cross = await fetch(`${host.url}/.auth/login/aad`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'cross-site' },
      body: 'user=a&role=admin',
      redirect: 'manual',
    });
    expect(cross.status).toBe(403);
    const bad = await fetch(`${host.url}/.auth/login/aad`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'user=%3Cscript%3E&role=admin',
      redirect: 'manual',
    });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('set-cookie')).toBeNull();
  });

  it('without the platform variables the stand-in provides, the same host refuses the signed-in admin with 503', async () => {
    const { cookie } = await signIn('adam@contoso.com', 'admin');
    delete process.env.WEBSITE_AUTH_ENABLED;
    const answer = await call('PUT', `/api/rules/${rule.id}`, { cookie, ...csrf }, rule);
    expect(answer.status).toBe(503);
    expect(answer.json).toMatchObject({ error: { code: 'AdminApiClosed' } });
  });

  it('will not stand in on a non-loopback address', () => {
    expect(() => createEasyAuthStandIn({ clientId, adminRole: 'a', readerRole: 'r', host: '0.0.0.0' })).toThrow(
      /loopback only/,
    );
  });
});
