import type { AuthSettings } from '../../config/authSettings';
import { AuthError } from '../../shared/errors';

export type Role = 'reader' | 'admin';

/** Who is calling an admin endpoint; `name` is what change history records. */
export interface Caller {
  name: string;
  roles: ReadonlySet<Role>;
  via: 'entra' | 'function-key';
}

interface ClientPrincipal {
  auth_typ?: string;
  name_typ?: string;
  role_typ?: string;
  claims?: { typ?: string; val?: string }[];
}

const nameClaims = [
  'preferred_username',
  'name',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name',
];

/** Decodes App Service Authentication's `x-ms-client-principal` header (base64 JSON), or undefined. */
export function parseClientPrincipal(header: string | null | undefined): { name: string; roles: string[] } | undefined {
  if (!header) return undefined;
  let principal: ClientPrincipal;
  try {
    principal = JSON.parse(Buffer.from(header, 'base64').toString('utf8')) as ClientPrincipal;
  } catch {
    return undefined;
  }
  const claims = Array.isArray(principal.claims) ? principal.claims : [];
  const roleType = principal.role_typ ?? 'roles';
  const roles = claims.filter((c) => c.typ === roleType || c.typ === 'roles').map((c) => String(c.val ?? ''));
  const nameTypes = [principal.name_typ, ...nameClaims].filter(Boolean) as string[];
  const name =
    nameTypes.map((t) => claims.find((c) => c.typ === t)?.val).find((v) => typeof v === 'string' && v !== '') ??
    claims.find((c) => c.typ === 'oid' || c.typ === 'http://schemas.microsoft.com/identity/claims/objectidentifier')
      ?.val;
  return name ? { name: String(name), roles } : undefined;
}

/**
 * Decides who the caller is and checks the role. Reads only headers that App Service Authentication sets
 * (and strips from client requests) in `entra` mode; in `key` mode the host has already checked the key.
 * In `entra` mode call it only after adminAuthPosture is ok: with Easy Auth off the header is anyone's
 * (apiHandler, the one caller, refuses with 503 first).
 */
export function authorize(headers: { get(name: string): string | null }, needed: Role, settings: AuthSettings): Caller {
  const principal = parseClientPrincipal(headers.get('x-ms-client-principal'));
  if (settings.mode === 'key') {
    return { name: principal?.name ?? 'function-key', roles: new Set<Role>(['reader', 'admin']), via: 'function-key' };
  }
  if (!principal) throw new AuthError(401, 'Sign-in required: no App Service Authentication principal on the request');
  const roles = new Set<Role>();
  if (principal.roles.includes(settings.adminRole)) roles.add('admin').add('reader');
  if (principal.roles.includes(settings.readerRole)) roles.add('reader');
  if (!roles.has(needed))
    throw new AuthError(
      403,
      `${principal.name} lacks the app role ${needed === 'admin' ? settings.adminRole : `${settings.readerRole} or ${settings.adminRole}`}`,
    );
  return { name: principal.name, roles, via: 'entra' };
}
