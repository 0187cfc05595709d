import type { HttpHandler, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { adminAuthPosture } from '../../config/adminAuthPosture';
import { getServices } from '../../composition/appServices';
import { authorize, type Caller, type Role } from './authorization';
import { checkCsrf } from './csrf';
import type { Services } from '../../composition/services';
import { AuthError, ConflictError, NotFoundError, PreconditionFailedError, ValidationError } from '../../shared/errors';
import { createLogger, errorText, type Logger } from '../../shared/logger';

/**
 * The host-level auth of admin routes. `key` mode: the Functions host demands a function key. `entra` mode:
 * App Service Authentication signs callers in and the host must not also demand a key (it would, even
 * behind Easy Auth), so the route is anonymous at the host and `authorize` requires the signed-in
 * principal and its app role. Read once, when the functions are registered.
 */
export function adminAuthLevel(env: NodeJS.ProcessEnv = process.env): 'function' | 'anonymous' {
  return env.ADMIN_AUTH_MODE?.trim() === 'entra' ? 'anonymous' : 'function';
}

/** What an API use case gets: the caller (for history), services, a logger. */
export interface ApiContext {
  caller: Caller;
  services: Services;
  log: Logger;
  invocationId: string;
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}): HttpResponseInit => ({
  status,
  jsonBody: body,
  headers: { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', ...headers },
});

/** A JSON success response, with optional headers (e.g. ETag). */
export const ok = (body: unknown, status = 200, headers: Record<string, string> = {}) => json(status, body, headers);

/** Reads the body as JSON; a 400 naming the problem otherwise. */
export async function readJson(request: HttpRequest): Promise<unknown> {
  const text = await request.text();
  if (text.trim() === '')
    throw new ValidationError('request body', [{ field: 'body', message: 'is empty; send a JSON document' }]);
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new ValidationError('request body', [
      { field: 'body', message: `is not valid JSON (${(err as Error).message})` },
    ]);
  }
}

/**
 * Wraps an admin API handler: the admin API's posture (503 while `entra` mode cannot be verified), then
 * authorization by role, then the one place where errors become HTTP status codes (400 / 401 / 403 / 404 /
 * 409 / 412; anything else 500 with the invocation id, details only in the log).
 */
export function apiHandler(
  role: Role,
  handler: (request: HttpRequest, api: ApiContext) => Promise<HttpResponseInit>,
): HttpHandler {
  return async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    const log = createLogger((level, line) => context[level](line));
    try {
      const services = getServices();
      // Fail closed: re-checked on every request (the platform variables change with the app's settings), and
      // before any header is read, so a forged principal is never even decoded while Easy Auth is off.
      const posture = adminAuthPosture(services.config.auth, services.config.readSetting);
      if (!posture.ok) {
        log.warn(`${request.method} ${new URL(request.url).pathname} refused with 503: ${posture.problem}`);
        return json(503, { error: { code: 'AdminApiClosed', message: posture.problem } });
      }
      const caller = authorize(request.headers, role, services.config.auth);
      // Entra mode rides on a session cookie the browser sends by itself: refuse forged cross-site writes.
      if (role === 'admin') checkCsrf(request.method, request.headers, services.config.auth);
      return await handler(request, { caller, services, log, invocationId: context.invocationId });
    } catch (err) {
      return errorResponse(err, log, context.invocationId);
    }
  };
}

export function errorResponse(err: unknown, log: Logger, invocationId: string): HttpResponseInit {
  if (err instanceof ValidationError)
    return json(400, { error: { code: 'ValidationFailed', message: err.message, problems: err.problems } });
  if (err instanceof AuthError)
    return json(err.status, {
      error: { code: err.status === 401 ? 'Unauthorized' : 'Forbidden', message: err.message },
    });
  if (err instanceof NotFoundError) return json(404, { error: { code: 'NotFound', message: err.message } });
  if (err instanceof ConflictError) return json(409, { error: { code: 'Conflict', message: err.message } });
  if (err instanceof PreconditionFailedError)
    return json(412, { error: { code: 'PreconditionFailed', message: err.message } });
  log.error(`Request failed (invocation ${invocationId}): ${errorText(err)}`);
  return json(500, {
    error: { code: 'InternalError', message: `The request failed; see the log for invocation ${invocationId}` },
  });
}

/**
 * The start-up check: in `entra` mode, says in the host log at once (not only on the first admin request)
 * that the admin API is closed and why. Polling is unaffected, so start-up goes on; the watchdog sends the
 * same text as a message on the next run.
 */
export function reportAdminAuthAtStartup(
  env: NodeJS.ProcessEnv = process.env,
  write: (line: string) => void = (line) => console.error(line),
): void {
  if (adminAuthLevel(env) !== 'anonymous') return;
  const posture = adminAuthPosture({ mode: 'entra', clientId: env.ADMIN_AUTH_CLIENT_ID }, (name) => env[name]);
  if (!posture.ok)
    write(`${posture.problem}. Every admin route answers 503 until this is fixed; GET /api/health is unaffected.`);
}

reportAdminAuthAtStartup();
