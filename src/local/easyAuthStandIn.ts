import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import type { LocalRoute, LocalRouteResponse } from './functionsHost';

/**
 * LOCAL ONLY: a stand-in for App Service Authentication ("Easy Auth") in front of the local functions host, so
 * `npm start` can run with ADMIN_AUTH_MODE=entra. It does Easy Auth's part and nothing more, and none of it
 * is security: anyone who can reach the loopback port may sign in as anyone.
 *
 * - It injects what the platform injects when Authentication is on (WEBSITE_AUTH_ENABLED, WEBSITE_AUTH_CLIENT_ID),
 *   which the app checks before it trusts any principal (src/config/adminAuthPosture.ts).
 * - From every request to a function it strips each `x-ms-*` header a client sent, as Easy Auth strips a
 *   client's `x-ms-client-principal`; then, for a signed-in session, it adds the `x-ms-client-principal*`
 *   headers of that session's user.
 * - Sign-in is a local form at /.auth/login/aad (the path the admin page links to): any name, and the role
 *   to test with (admin, reader, or none). The session cookie is Easy Auth's `AppServiceAuthSession`, so the
 *   admin page and the CSRF check (src/functions/http/csrf.ts) behave as in Azure. /.auth/me and /.auth/logout too.
 */

export interface EasyAuthStandInOptions {
  /** The client id the stand-in reports as configured (WEBSITE_AUTH_CLIENT_ID). */
  clientId: string;
  adminRole: string;
  readerRole: string;
  /** Where the local host listens; anything but a loopback address is refused. */
  host: string;
}

export interface EasyAuthStandIn {
  /** The variables the platform sets while Authentication is on: put them in the environment before the app reads it. */
  platformEnv: Record<string, string>;
  /** /.auth/login/aad (GET form, POST sign-in), /.auth/me, /.auth/logout. */
  routes: LocalRoute[];
  /** For FunctionsHostOptions.requestHeaders: strips client `x-ms-*` headers, injects the session's principal. */
  requestHeaders: (headers: Record<string, string>, req: IncomingMessage) => Record<string, string>;
  /** Signs a test user in without the form; returns the `cookie` header value of the session. */
  signIn(name: string, roles: readonly string[]): string;
}

interface Session {
  name: string;
  roles: string[];
}

export const SESSION_COOKIE = 'AppServiceAuthSession';
const isLoopback = (address: string | undefined) => {
  const a = (address ?? '').replace(/^::ffff:/, '');
  return a === '::1' || a === 'localhost' || (isIP(a) === 4 && a.startsWith('127.'));
};
const html = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const pageHeaders = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'content-security-policy': "default-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
};
/** A same-origin path to go back to after sign-in / sign-out (never another site). */
const safeRedirect = (value: string | null | undefined) => (value && /^\/(?![/\\])/.test(value) ? value : '/api/ui');

export function createEasyAuthStandIn(options: EasyAuthStandInOptions): EasyAuthStandIn {
  if (!isLoopback(options.host))
    throw new Error(
      `The local App Service Authentication stand-in serves loopback only; the host listens on ${options.host}`,
    );
  const sessions = new Map<string, Session>();
  const roleChoices: Record<string, string[]> = { admin: [options.adminRole], reader: [options.readerRole], none: [] };

  const newSession = (name: string, roles: readonly string[]): string => {
    const token = randomBytes(24).toString('base64url');
    sessions.set(token, { name, roles: [...roles] });
    return token;
  };
  const sessionOf = (cookie: string | undefined): Session | undefined => {
    const token = (cookie ?? '')
      .split(';')
      .map((c) => c.trim().split('='))
      .find(([k]) => k === SESSION_COOKIE)?.[1];
    return token ? sessions.get(token) : undefined;
  };
  const principal = (s: Session) => ({
    auth_typ: 'aad',
    name_typ: 'preferred_username',
    role_typ: 'roles',
    claims: [
      { typ: 'preferred_username', val: s.name },
      { typ: 'name', val: s.name },
      ...s.roles.map((val) => ({ typ: 'roles', val })),
    ],
  });
  const userId = (s: Session) => Buffer.from(s.name).toString('hex').slice(0, 32);
  const local = (req: IncomingMessage, handle: () => LocalRouteResponse | Promise<LocalRouteResponse>) =>
    isLoopback(req.socket.remoteAddress)
      ? handle()
      : {
          status: 403,
          headers: { 'content-type': 'text/plain' },
          body: 'The local sign-in stand-in answers loopback clients only',
        };
  const query = (req: IncomingMessage) => new URL(req.url ?? '/', 'http://local').searchParams;

  const form = (redirect: string, problem?: string): LocalRouteResponse => ({
    status: problem ? 400 : 200,
    headers: pageHeaders,
    body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Local sign-in (stand-in for App Service Authentication)</title></head><body>
<h1>Local sign-in</h1>
<p><strong>npm start only.</strong> This stands in for App Service Authentication (Microsoft sign-in) so the app can be tried in
ADMIN_AUTH_MODE=entra. Nothing is checked: choose any name and the app role to test with.</p>
${problem ? `<p role="alert">${html(problem)}</p>` : ''}
<form method="post" action="/.auth/login/aad">
<input type="hidden" name="post_login_redirect_uri" value="${html(redirect)}">
<p><label for="user">User name</label> <input id="user" name="user" required maxlength="100" value="local.admin@example.invalid"></p>
<fieldset><legend>App role</legend>
<p><label><input type="radio" name="role" value="admin" checked> ${html(options.adminRole)} (admin)</label></p>
<p><label><input type="radio" name="role" value="reader"> ${html(options.readerRole)} (reader)</label></p>
<p><label><input type="radio" name="role" value="none"> no app role</label></p>
</fieldset>
<p><button type="submit">Sign in</button></p>
</form></body></html>`,
  });

  const routes: LocalRoute[] = [
    {
      method: 'GET',
      path: '/.auth/login/aad',
      handler: async (req) => local(req, () => form(safeRedirect(query(req).get('post_login_redirect_uri')))),
    },
    {
      method: 'POST',
      path: '/.auth/login/aad',
      handler: async (req, body) =>
        local(req, () => {
          const site = String(req.headers['sec-fetch-site'] ?? '');
          if (site === 'cross-site' || site === 'same-site')
            return {
              status: 403,
              headers: { 'content-type': 'text/plain' },
              body: 'Sign-in is accepted from this page only',
            };
          const fields = new URLSearchParams(body);
          const redirect = safeRedirect(fields.get('post_login_redirect_uri'));
          const name = (fields.get('user') ?? '').trim();
          const roles = roleChoices[fields.get('role') ?? ''];
          if (!/^[\p{L}\p{N}._@+-]{1,100}$/u.test(name))
            return form(redirect, 'The user name must be 1 to 100 letters, digits or . _ @ + -');
          if (!roles) return form(redirect, 'Choose admin, reader or no app role');
          const token = newSession(name, roles);
          return {
            status: 302,
            headers: {
              location: redirect,
              'set-cookie': `${SESSION_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Lax`,
              'cache-control': 'no-store',
            },
          };
        }),
    },
    {
      method: 'GET',
      path: '/.auth/me',
      handler: async (req) =>
        local(req, () => {
          const s = sessionOf(req.headers.cookie);
          const me = s ? [{ provider_name: 'aad', user_id: s.name, user_claims: principal(s).claims }] : [];
          return {
            status: s ? 200 : 401,
            headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
            body: JSON.stringify(me),
          };
        }),
    },
    {
      method: 'GET',
      path: '/.auth/logout',
      handler: async (req) =>
        local(req, () => {
          const token = (req.headers.cookie ?? '')
            .split(';')
            .map((c) => c.trim().split('='))
            .find(([k]) => k === SESSION_COOKIE)?.[1];
          if (token) sessions.delete(token);
          return {
            status: 302,
            headers: {
              location: safeRedirect(query(req).get('post_logout_redirect_uri')),
              'set-cookie': `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0`,
              'cache-control': 'no-store',
            },
          };
        }),
    },
  ];

  return {
    platformEnv: { WEBSITE_AUTH_ENABLED: 'True', WEBSITE_AUTH_CLIENT_ID: options.clientId },
    routes,
    requestHeaders(headers) {
      const out: Record<string, string> = {};
      for (const [name, value] of Object.entries(headers))
        if (!name.toLowerCase().startsWith('x-ms-')) out[name] = value;
      const s = sessionOf(headers.cookie);
      if (s) {
        out['x-ms-client-principal'] = Buffer.from(JSON.stringify(principal(s))).toString('base64');
        out['x-ms-client-principal-name'] = s.name;
        out['x-ms-client-principal-id'] = userId(s);
        out['x-ms-client-principal-idp'] = 'aad';
      }
      return out;
    },
    signIn(name, roles) {
      return `${SESSION_COOKIE}=${newSession(name, roles)}`;
    },
  };
}
