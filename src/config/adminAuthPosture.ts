import type { AuthSettings } from './authSettings';

/** Reads one environment variable (`config.readSetting`, or `(name) => process.env[name]`). */
export type EnvReader = (name: string) => string | undefined;

/** Whether the admin API may serve requests, and if not, why (a sentence naming the setting to fix). */
export type AdminAuthPosture =
  { ok: true; mode: 'key' | 'entra'; summary: string } | { ok: false; mode: 'entra'; problem: string };

/**
 * The platform's own indicators that App Service Authentication ("Easy Auth") is in front of the app. In
 * `entra` mode the app decides who the caller is from the `x-ms-client-principal` header, which Easy Auth sets
 * and strips from client requests only while it is enabled; with it off anyone can send a hand-made one. So
 * the app trusts that header only when the platform itself says Easy Auth is on for the expected app
 * registration. Relied on (App Service "Environment variables and app settings reference", Authentication
 * section):
 * - `WEBSITE_AUTH_ENABLED`: documented as read-only, injected into the app to say whether App Service
 *   authentication is enabled (`True`). Anything else = off.
 * - `WEBSITE_AUTH_V2_CONFIG_JSON`: documented as populated by the platform with the V2 auth configuration.
 *   When present and readable, its `platform.enabled` and `identityProviders.azureActiveDirectory`
 *   (`enabled`, `registration.clientId`) are used: they say which app registration signs users in.
 * - `WEBSITE_AUTH_CLIENT_ID`: the Entra client id Easy Auth is configured with. Injected by the platform but
 *   only listed among the reference's undocumented system settings, so it is the fallback when the V2
 *   configuration does not name a client id.
 * Whether Flex Consumption injects exactly these is unverified; when none is present the API stays closed
 * (fail closed), and the problem text says which variable was missing.
 */
export const platformAuthVariables = [
  'WEBSITE_AUTH_ENABLED',
  'WEBSITE_AUTH_V2_CONFIG_JSON',
  'WEBSITE_AUTH_CLIENT_ID',
] as const;

interface V2Config {
  platform?: { enabled?: unknown };
  identityProviders?: { azureActiveDirectory?: { enabled?: unknown; registration?: { clientId?: unknown } } };
}

function readV2Config(text: string | undefined): V2Config | undefined {
  if (!text?.trim()) return undefined;
  try {
    const parsed = JSON.parse(text) as unknown;
    return typeof parsed === 'object' && parsed !== null ? parsed : undefined;
  } catch {
    return undefined; // unreadable: fall back to WEBSITE_AUTH_CLIENT_ID
  }
}

const sameId = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();

/**
 * Decides whether the admin API may serve requests. `key` mode: always (the Functions host checks function
 * keys). `entra` mode: only when ADMIN_AUTH_CLIENT_ID is set and the platform reports App Service
 * Authentication enabled with that same client id; otherwise the admin routes answer 503 with `problem`.
 * Pure; checked at start-up, on every admin request, by each poll run (watchdog) and by `pki-alerts doctor`.
 */
export function adminAuthPosture(auth: Pick<AuthSettings, 'mode' | 'clientId'>, env: EnvReader): AdminAuthPosture {
  if (auth.mode === 'key')
    return {
      ok: true,
      mode: 'key',
      summary: 'function keys (the Functions host checks them; a key holder is an admin)',
    };
  const closed = (problem: string): AdminAuthPosture => ({
    ok: false,
    mode: 'entra',
    problem: `Admin API closed: ${problem}`,
  });
  const expected = auth.clientId?.trim();
  if (!expected)
    return closed(
      'ADMIN_AUTH_MODE is entra but ADMIN_AUTH_CLIENT_ID is not set; set it to the client id of the app registration App Service Authentication signs users in with',
    );
  const enabled = env('WEBSITE_AUTH_ENABLED')?.trim();
  if (enabled?.toLowerCase() !== 'true') {
    return closed(
      `ADMIN_AUTH_MODE is entra but App Service Authentication is not on (the platform variable WEBSITE_AUTH_ENABLED is ${enabled ? `"${enabled}"` : 'not set'}); without it anyone can forge the x-ms-client-principal header. Turn on Authentication for this app (Microsoft provider, app registration ${expected}), or set ADMIN_AUTH_MODE=key`,
    );
  }
  const v2 = readV2Config(env('WEBSITE_AUTH_V2_CONFIG_JSON'));
  if (v2?.platform?.enabled === false)
    return closed(
      'the App Service Authentication configuration (WEBSITE_AUTH_V2_CONFIG_JSON) says platform.enabled is false',
    );
  const aad = v2?.identityProviders?.azureActiveDirectory;
  if (aad && aad.enabled === false)
    return closed(
      'the Microsoft (Entra ID) provider of App Service Authentication is disabled (WEBSITE_AUTH_V2_CONFIG_JSON)',
    );
  const v2ClientId =
    typeof aad?.registration?.clientId === 'string' && aad.registration.clientId.trim() !== ''
      ? aad.registration.clientId.trim()
      : undefined;
  const actual = v2ClientId ?? env('WEBSITE_AUTH_CLIENT_ID')?.trim();
  const source = v2ClientId ? 'WEBSITE_AUTH_V2_CONFIG_JSON' : 'WEBSITE_AUTH_CLIENT_ID';
  if (!actual)
    return closed(
      `App Service Authentication is on but reports no Microsoft Entra client id (neither WEBSITE_AUTH_V2_CONFIG_JSON nor WEBSITE_AUTH_CLIENT_ID names one): configure its Microsoft provider with app registration ${expected}`,
    );
  if (!sameId(actual, expected)) {
    return closed(
      `App Service Authentication signs users in with app registration ${actual} (${source}), not the expected ${expected} (ADMIN_AUTH_CLIENT_ID): its app roles are not the ones this app was set up with. Fix the Authentication provider or ADMIN_AUTH_CLIENT_ID`,
    );
  }
  return {
    ok: true,
    mode: 'entra',
    summary: `App Service Authentication is on with app registration ${expected}; app roles decide`,
  };
}
