import { type HttpHandler, HttpRequest, InvocationContext } from '@azure/functions';

/** What a handler answered, with lower-cased header names. */
export interface ApiAnswer {
  status: number;
  /** The JSON body; tests check it field by field. */
  body: any;
  headers: Record<string, string>;
}

export interface ApiCall {
  method: string;
  path: string;
  params?: Record<string, string>;
  body?: unknown;
  headers?: Record<string, string>;
}

/** Calls an exported HTTP handler the way the Functions host would, with @azure/functions' own test constructors. */
export async function callApi(handler: HttpHandler, call: ApiCall, logs: string[] = []): Promise<ApiAnswer> {
  const request = new HttpRequest({
    method: call.method,
    url: `http://localhost/api/${call.path}`,
    params: call.params ?? {},
    headers: call.headers ?? {},
    ...(call.body !== undefined
      ? { body: { string: typeof call.body === 'string' ? call.body : JSON.stringify(call.body) } }
      : {}),
  });
  const context = new InvocationContext({
    invocationId: 'inv-test',
    functionName: 'api',
    logHandler: (level, ...args) => logs.push(`${level} ${args.join(' ')}`),
  });
  const res = await handler(request, context);
  const headers: Record<string, string> = {};
  const raw = (res as { headers?: Record<string, string> }).headers ?? {};
  for (const [k, v] of Object.entries(raw)) headers[k.toLowerCase()] = String(v);
  return {
    status: (res as { status?: number }).status ?? 200,
    body: (res as { jsonBody?: unknown }).jsonBody,
    headers,
  };
}

/** The `x-ms-client-principal` header App Service Authentication sets (ADMIN_AUTH_MODE=entra). */
export function principalHeader(name: string, roles: string[]): Record<string, string> {
  const principal = {
    auth_typ: 'aad',
    name_typ: 'preferred_username',
    role_typ: 'roles',
    claims: [{ typ: 'preferred_username', val: name }, ...roles.map((val) => ({ typ: 'roles', val }))],
  };
  return { 'x-ms-client-principal': Buffer.from(JSON.stringify(principal)).toString('base64') };
}

/** The client id of the app registration in the Entra-mode tests. */
export const entraClientId = '0e5a1c1d-0000-4000-8000-00000000ad1e';

/**
 * ADMIN_AUTH_MODE=entra with App Service Authentication on, as the platform shows it (WEBSITE_AUTH_ENABLED,
 * WEBSITE_AUTH_CLIENT_ID): only then does the app trust `x-ms-client-principal` (src/config/adminAuthPosture.ts).
 */
export const entraBehindEasyAuth = {
  ADMIN_AUTH_MODE: 'entra',
  ADMIN_AUTH_CLIENT_ID: entraClientId,
  WEBSITE_AUTH_ENABLED: 'True',
  WEBSITE_AUTH_CLIENT_ID: entraClientId,
} as const;
