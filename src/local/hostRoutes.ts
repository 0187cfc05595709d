import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpRequest } from '@azure/functions';
import type { HostFunction, Invoke } from './hostFunction';
import {
  flattenHeaders,
  keyMatches,
  MAX_REQUEST_BODY_BYTES,
  readBody,
  safeDecode,
  sendJson,
  writeFunctionResponse,
} from './hostHttpIo';

// The local functions host's routes: route templates under /api, the extra local routes, one request's dispatch.

const HTTP_REASON = 'This function was programmatically called via the host APIs.';

/** A non-function endpoint (local inbox, ...), matched on exact method and path before the /api routes. */
export interface LocalRoute {
  method: string;
  path: string;
  handler(req: IncomingMessage, body: string): Promise<LocalRouteResponse>;
}

export interface LocalRouteResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

export interface HttpFunction extends HostFunction {
  route: string;
  methods: string[];
  /** `anonymous`, or `function` / `admin`: then the local key is required, as the Functions host requires a key. */
  authLevel: string;
  pattern: RegExp;
  rank: number[];
}

export interface HttpHandlerOptions {
  /** Function routes, most specific first (sorted with compareRanks). */
  routes: HttpFunction[];
  extraRoutes: LocalRoute[];
  invoke: Invoke;
  /** `host:port` for a request without a Host header. */
  defaultHost: () => string;
  functionKey?: string;
  requestHeaders?: (headers: Record<string, string>, req: IncomingMessage) => Record<string, string>;
}

/** Serves one request: an extra route, or the function whose route matches (else 405 / 404 / 413 / 401). */
export function createHttpHandler(
  options: HttpHandlerOptions,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const { routes, extraRoutes, invoke } = options;

  async function handleHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? options.defaultHost()}`);
    const method = (req.method ?? 'GET').toUpperCase();
    const extras = extraRoutes.filter((r) => r.path === url.pathname);
    const extra = extras.find((r) => r.method.toUpperCase() === method);
    const candidates = extra
      ? []
      : routes.map((fn) => ({ fn, match: fn.pattern.exec(url.pathname) })).filter((c) => c.match !== null);
    const target = candidates.find((c) => c.fn.methods.includes(method));
    if (!extra && !target) {
      req.resume();
      const allowed = [
        ...new Set([...extras.map((r) => r.method.toUpperCase()), ...candidates.flatMap((c) => c.fn.methods)]),
      ];
      if (allowed.length > 0) {
        sendJson(
          res,
          405,
          {
            error: {
              code: 'MethodNotAllowed',
              message: `${method} is not allowed on ${url.pathname}; use ${allowed.join(', ')}`,
            },
          },
          { allow: allowed.join(', ') },
        );
      } else {
        sendJson(res, 404, {
          error: { code: 'NotFound', message: `No function or local route matches ${method} ${url.pathname}` },
        });
      }
      return;
    }
    const body = await readBody(req, MAX_REQUEST_BODY_BYTES);
    if (body === 'aborted') return;
    if (body === 'too-large') {
      sendJson(
        res,
        413,
        { error: { code: 'PayloadTooLarge', message: `The request body exceeds ${MAX_REQUEST_BODY_BYTES} bytes` } },
        { connection: 'close' },
      );
      return;
    }
    if (extra) {
      const out = await extra.handler(req, body.toString('utf8'));
      res.writeHead(out.status, out.headers).end(out.body);
      return;
    }
    const { fn, match } = target!;
    if (
      options.functionKey !== undefined &&
      fn.authLevel !== 'anonymous' &&
      !keyMatches(options.functionKey, req.headers['x-functions-key'], url.searchParams.get('code'))
    ) {
      sendJson(res, 401, {
        error: {
          code: 'Unauthorized',
          message:
            'This route needs the local admin key: send it as the x-functions-key header or ?code= (npm start prints it; LOCAL_ADMIN_KEY sets it)',
        },
      });
      return;
    }
    const params: Record<string, string> = {};
    for (const [key, value] of Object.entries(match!.groups ?? {}))
      if (value !== undefined) params[key] = safeDecode(value);
    const request = new HttpRequest({
      method,
      url: url.href,
      headers: options.requestHeaders
        ? options.requestHeaders(flattenHeaders(req.headers), req)
        : flattenHeaders(req.headers),
      params,
      body: body.length > 0 ? { bytes: body } : undefined,
    });
    const invocationId = randomUUID();
    let result: unknown;
    try {
      result = await invoke(fn, request, HTTP_REASON, invocationId);
    } catch {
      sendJson(res, 500, {
        error: {
          code: 'FunctionFailed',
          message: `Function '${fn.name}' failed; see the host log for invocation ${invocationId}`,
        },
      });
      return;
    }
    await writeFunctionResponse(res, result, method === 'HEAD');
  }

  return handleHttp;
}

const CONSTRAINTS: Record<string, string> = {
  int: '-?\\d+',
  long: '-?\\d+',
  bool: '(?:true|false)',
  alpha: '[A-Za-z]+',
  guid: '[0-9A-Fa-f]{8}-(?:[0-9A-Fa-f]{4}-){3}[0-9A-Fa-f]{12}',
};

/** Compiles an ASP.NET-style route template (`rules/{id}`, `{name?}`, `{id:int}`, `{*rest}`) under /api. */
export function createRoute(fn: HostFunction): HttpFunction {
  const route = String(fn.trigger.route ?? fn.name).replace(/^\/+|\/+$/g, '');
  // Like the Azure Functions host, which fails such a function with "The specified route conflicts with one
  // or more built in routes" (its admin and webhook APIs), whatever the route prefix.
  const reserved = /^(admin|runtime)/i.exec(route)?.[1];
  if (reserved)
    throw new Error(
      `Function '${fn.name}': the route '${route}' starts with '${reserved.toLowerCase()}', which the Azure Functions host reserves for its own APIs (it refuses such a function); choose another route`,
    );
  const methods = ((fn.trigger.methods as string[] | undefined) ?? ['GET', 'POST']).map((m) => m.toUpperCase());
  let source = '^/api';
  const rank: number[] = [];
  for (const segment of route.split('/').filter(Boolean)) {
    const whole = /^\{(\*)?([A-Za-z_]\w*)(?::([^}?]+))?(\?)?\}$/.exec(segment);
    const valuePattern = (constraint?: string) => CONSTRAINTS[constraint?.toLowerCase() ?? ''] ?? '[^/]+';
    if (whole?.[1]) {
      source += `(?:/(?<${whole[2]}>.*))?`;
      rank.push(4);
    } else if (whole?.[4]) {
      source += `(?:/(?<${whole[2]}>${valuePattern(whole[3])}))?`;
      rank.push(3);
    } else {
      source +=
        '/' +
        segment.replace(/\{([A-Za-z_]\w*)(?::([^}]+))?\}|[^{]+/g, (text, name?: string, constraint?: string) =>
          name ? `(?<${name}>${valuePattern(constraint)})` : text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
        );
      rank.push(!segment.includes('{') ? 0 : whole?.[3] ? 1 : 2);
    }
  }
  try {
    return {
      ...fn,
      route,
      methods,
      authLevel: String(fn.trigger.authLevel ?? 'function').toLowerCase(),
      pattern: new RegExp(`${source}/?$`, 'i'),
      rank,
    };
  } catch (error) {
    throw new Error(`Function '${fn.name}': invalid route '${route}': ${(error as Error).message}`, { cause: error });
  }
}

/** More specific first: literal < constrained parameter < parameter < optional < catch-all, segment by segment. */
export function compareRanks(a: number[], b: number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i];
  return b.length - a.length;
}
