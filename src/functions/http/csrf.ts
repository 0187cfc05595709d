import { AuthError } from '../../shared/errors';
import type { AuthSettings } from '../../config/authSettings';

/**
 * The header the admin page sends on every request. A browser adds a custom header only to same-origin
 * requests (cross-origin it needs a CORS preflight, which this app never grants), so its presence proves
 * the request came from a page of this origin.
 */
export const csrfHeader = { name: 'x-requested-with', value: 'pki-alerts-admin' } as const;

const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Refuses a state-changing request that a browser could have been tricked into sending (CSRF), with 403.
 *
 * - `key` mode: nothing to check. The function key is sent in a header that browsers never add on their
 *   own, so a forged cross-site request cannot carry it.
 * - `entra` mode: App Service Authentication's session cookie IS sent automatically, so
 *   1. a request the browser marks `Sec-Fetch-Site: cross-site` or `same-site` is refused (modern
 *      browsers send it on every request; other clients do not, and are not affected);
 *   2. a request that carries cookies must also carry {@link csrfHeader}. Token clients (no cookie) pass.
 */
export function checkCsrf(
  method: string,
  headers: { get(name: string): string | null },
  settings: Pick<AuthSettings, 'mode'>,
): void {
  if (settings.mode !== 'entra' || safeMethods.has(method.toUpperCase())) return;
  const site = headers.get('sec-fetch-site')?.trim().toLowerCase();
  if (site && site !== 'same-origin' && site !== 'none') {
    throw new AuthError(
      403,
      `Refused a ${site} ${method.toUpperCase()} request: writes are accepted only from this app's own pages`,
    );
  }
  const hasCookie = (headers.get('cookie') ?? '').trim() !== '';
  if (hasCookie && headers.get(csrfHeader.name)?.trim().toLowerCase() !== csrfHeader.value) {
    throw new AuthError(
      403,
      `A signed-in browser write must carry the header "${csrfHeader.name}: ${csrfHeader.value}" (the admin page sends it; CSRF protection)`,
    );
  }
}
