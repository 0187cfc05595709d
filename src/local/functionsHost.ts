import { randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { format } from 'node:util';
import { HttpRequest, HttpResponse, InvocationContext, type Cookie, type LogLevel, type Timer } from '@azure/functions';
import { Cron } from 'croner';
import { captureRegistrations, capturedHooks, type CoreBinding, type Registration } from './functionsCoreShim';

/**
 * A small local stand-in for the Azure Functions host (Core Tools cannot be installed here): it loads the
 * same function modules, captures their `app.timer` / `app.http` registrations through the core shim, runs
 * timers on their NCRONTAB schedule (UTC, never overlapping themselves) and serves HTTP triggers under /api.
 */

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

export interface FunctionsHostOptions {
  /** 0 picks a free port. */
  port: number;
  /** Default 127.0.0.1 (loopback only). */
  host?: string;
  /** Absolute paths of the function modules (compiled .js; .ts only under a TS-aware runner such as vitest). */
  functionModules: string[];
  /** Where `%SETTING%` in bindings is resolved; default process.env. */
  env?: NodeJS.ProcessEnv;
  extraRoutes?: LocalRoute[];
  /** One line per call, already timestamped; default console.log. */
  log?: (line: string) => void;
  /**
   * The key non-anonymous HTTP functions require (`x-functions-key` header or `code` query), like the
   * Functions host's function keys. Undefined = no key check (tests of the host itself).
   */
  functionKey?: string;
  /**
   * Rewrites the headers of every request to a function before the function sees them: the place where a
   * front end such as the local App Service Authentication stand-in (easyAuthStandIn.ts) strips and injects.
   */
  requestHeaders?: (headers: Record<string, string>, req: IncomingMessage) => Record<string, string>;
}

export interface HostedFunction {
  name: string;
  trigger: 'timer' | 'http';
  /** Timer: the schedule with `%SETTING%` resolved. */
  schedule?: string;
  /** HTTP: the route template (default: the function name), without the `api/` prefix. */
  route?: string;
  methods?: string[];
  /** HTTP: `http://127.0.0.1:PORT/api/<route>`. */
  url?: string;
}

export interface FunctionsHost {
  url: string;
  functions: HostedFunction[];
  /** Runs a timer function once now (isPastDue false), like the host's admin API. Rejects if the handler throws. */
  runTimer(name: string): Promise<void>;
  /** Stops the timers, stops accepting requests, waits (up to 5 s) for running invocations. */
  close(): Promise<void>;
}

export const MAX_REQUEST_BODY_BYTES = 1024 * 1024;
const SHUTDOWN_GRACE_MS = 5_000;
const MAX_TIMEOUT_MS = 30_000; // re-check the clock at least this often (sleep, clock changes)
const NEVER = '0001-01-01T00:00:00.000Z'; // what the Functions host reports as `last` before any run
const HTTP_REASON = 'This function was programmatically called via the host APIs.';

interface HostFunction {
  name: string;
  registration: Registration;
  trigger: CoreBinding;
}

interface TimerFunction extends HostFunction {
  schedule: string;
  cron: Cron;
  running?: Promise<void>;
  lastDue?: Date;
  timeout?: NodeJS.Timeout;
}

interface HttpFunction extends HostFunction {
  route: string;
  methods: string[];
  /** `anonymous`, or `function` / `admin`: then the local key is required, as the Functions host requires a key. */
  authLevel: string;
  pattern: RegExp;
  rank: number[];
}

export async function startFunctionsHost(options: FunctionsHostOptions): Promise<FunctionsHost> {
  const env = options.env ?? process.env;
  const write = options.log ?? ((line: string) => console.log(line));
  const log = (message: string) => write(`[${new Date().toISOString()}] ${message}`);
  const hostName = options.host ?? '127.0.0.1';
  const extraRoutes = options.extraRoutes ?? [];

  const timers: TimerFunction[] = [];
  const routes: HttpFunction[] = [];
  for (const { registration, file } of await loadRegistrations(options.functionModules)) {
    const name = registration.metadata.name;
    const trigger = Object.values(registration.metadata.bindings).find(
      (b) => b.direction === 'in' && /Trigger$/.test(b.type),
    );
    if (trigger?.type === 'timerTrigger') timers.push(createTimer({ name, registration, trigger }, env));
    else if (trigger?.type === 'httpTrigger') routes.push(createRoute({ name, registration, trigger }));
    else
      log(
        `WARNING: function '${name}' (${path.basename(file)}) has a ${trigger?.type ?? 'missing'} trigger, which the local host does not run.`,
      );
  }
  routes.sort((a, b) => compareRanks(a.rank, b.rank));
  if (capturedHooks().length > 0) log('WARNING: app.hook.* hooks were registered; the local host does not run them.');

  let closed = false;
  const inFlight = new Set<Promise<unknown>>();

  async function invoke(
    fn: HostFunction,
    input: unknown,
    reason: string,
    invocationId = randomUUID(),
  ): Promise<unknown> {
    const started = Date.now();
    log(`Executing 'Functions.${fn.name}' (Reason='${reason}', Id=${invocationId})`);
    const context = new InvocationContext({
      invocationId,
      functionName: fn.name,
      logHandler: (level: LogLevel, ...args: unknown[]) => {
        if (level === 'trace' || level === 'debug' || level === 'none') return;
        log(`${level === 'information' ? '' : `${level.toUpperCase()}: `}[${fn.name}] ${format(...args)}`);
      },
      options: { trigger: fn.trigger, extraInputs: [], extraOutputs: [] },
    });
    const run = (async () => fn.registration.callback(input, context))();
    inFlight.add(run);
    try {
      const result = await run;
      log(`Executed 'Functions.${fn.name}' (Succeeded, Id=${invocationId}, Duration=${Date.now() - started}ms)`);
      return result;
    } catch (error) {
      log(`Executed 'Functions.${fn.name}' (Failed, Id=${invocationId}, Duration=${Date.now() - started}ms)`);
      log(`ERROR: Functions.${fn.name} (Id=${invocationId}) threw ${describeError(error)}`);
      throw error;
    } finally {
      inFlight.delete(run);
    }
  }

  /** One run of a timer; resolves when it ends. A tick while the previous run is still going is skipped. */
  function runTimerOccurrence(timer: TimerFunction, due: Date, reason: string): Promise<void> {
    if (timer.running) {
      log(
        `Timer '${timer.name}' skipped the occurrence due ${due.toISOString()}: its previous run is still in progress.`,
      );
      return timer.running.catch(() => undefined);
    }
    const startedAt = new Date();
    const next = timer.cron.nextRun(new Date(Math.max(startedAt.getTime(), due.getTime())));
    const input: Timer = {
      isPastDue: startedAt.getTime() - due.getTime() > 1000,
      schedule: { adjustForDST: true },
      scheduleStatus: {
        last: timer.lastDue?.toISOString() ?? NEVER,
        next: next?.toISOString() ?? '',
        lastUpdated: startedAt.toISOString(),
      },
    };
    timer.lastDue = due;
    const run = (async () => {
      try {
        await invoke(timer, input, reason);
      } finally {
        timer.running = undefined; // before `run` settles, so an awaiting caller can start the next run at once
      }
    })();
    timer.running = run.catch(() => undefined);
    return run;
  }

  function arm(timer: TimerFunction, after: Date): void {
    const due = closed ? null : timer.cron.nextRun(after);
    if (!due) return;
    const wait = (): void => {
      if (closed) return;
      const remaining = due.getTime() - Date.now();
      if (remaining > 0) {
        timer.timeout = setTimeout(wait, Math.min(remaining, MAX_TIMEOUT_MS));
        return;
      }
      runTimerOccurrence(timer, due, `Timer fired at ${new Date().toISOString()}`).catch(() => undefined); // logged in invoke
      arm(timer, new Date(Math.max(Date.now(), due.getTime())));
    };
    wait();
  }

  async function handleHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? `${hostName}:${port}`}`);
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

  const server = createServer((req, res) => {
    handleHttp(req, res).catch((error: unknown) => {
      log(`ERROR: ${req.method} ${req.url} failed in the local host: ${describeError(error)}`);
      if (!res.headersSent)
        sendJson(res, 500, {
          error: { code: 'InternalServerError', message: 'The local host failed to handle the request; see its log' },
        });
      else res.destroy();
    });
  });
  const port = await listen(server, options.port, hostName);
  const origin = `http://${hostName.includes(':') ? `[${hostName}]` : hostName}:${port}`;

  for (const timer of timers) {
    arm(timer, new Date());
    if (timer.trigger.runOnStartup === true)
      runTimerOccurrence(timer, new Date(), 'RunOnStartup').catch(() => undefined);
  }

  let closing: Promise<void> | undefined;
  return {
    url: origin,
    functions: [
      ...timers.map((t): HostedFunction => ({ name: t.name, trigger: 'timer', schedule: t.schedule })),
      ...routes.map((r): HostedFunction => ({
        name: r.name,
        trigger: 'http',
        route: r.route,
        methods: r.methods,
        url: `${origin}/api/${r.route}`,
      })),
    ],
    async runTimer(name) {
      const timer = timers.find((t) => t.name === name);
      if (!timer)
        throw new Error(
          `No timer function named '${name}' (timers: ${timers.map((t) => t.name).join(', ') || 'none'})`,
        );
      if (closed) throw new Error('The functions host is closed');
      await runTimerOccurrence(timer, new Date(), 'Manual run');
    },
    close() {
      closing ??= (async () => {
        closed = true;
        for (const timer of timers) clearTimeout(timer.timeout);
        const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        let grace: NodeJS.Timeout | undefined;
        const gaveUp = await Promise.race([
          Promise.allSettled([...inFlight]).then(() => false),
          new Promise<boolean>((resolve) => (grace = setTimeout(() => resolve(true), SHUTDOWN_GRACE_MS))),
        ]);
        clearTimeout(grace);
        if (gaveUp)
          log(
            `WARNING: stopped waiting for ${inFlight.size} running invocation(s) after ${SHUTDOWN_GRACE_MS / 1000} s`,
          );
        server.closeAllConnections();
        await serverClosed;
      })();
      return closing;
    },
  };
}

async function loadRegistrations(files: string[]): Promise<{ registration: Registration; file: string }[]> {
  const all: { registration: Registration; file: string }[] = [];
  for (const file of files) {
    const absolute = path.resolve(file);
    for (const registration of await captureRegistrations(absolute, () => loadModule(absolute))) {
      const clash = all.find((r) => r.registration.metadata.name === registration.metadata.name);
      if (clash)
        throw new Error(`Function '${registration.metadata.name}' is registered twice (${clash.file} and ${absolute})`);
      all.push({ registration, file: absolute });
    }
  }
  return all;
}

function loadModule(file: string): Promise<unknown> {
  // TypeScript sources only load under a TS-aware runner (vitest transforms what `import()` reaches);
  // compiled modules go through plain require, the way the Functions worker loads CommonJS.
  if (/\.[cm]?ts$/i.test(file)) return import(pathToFileURL(file).href);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return Promise.resolve(require(file));
}

function createTimer(fn: HostFunction, env: NodeJS.ProcessEnv): TimerFunction {
  const raw = String(fn.trigger.schedule ?? '');
  const schedule = raw.replace(/%([^%]+)%/g, (_, setting: string) => {
    const value = env[setting]?.trim();
    if (!value)
      throw new Error(
        `Function '${fn.name}': the schedule '${raw}' needs the app setting ${setting}, which is not set`,
      );
    return value;
  });
  if (schedule.trim().split(/\s+/).length !== 6) {
    throw new Error(
      `Function '${fn.name}': schedule '${schedule}' must be an NCRONTAB expression with 6 fields ({second} {minute} {hour} {day} {month} {day-of-week})`,
    );
  }
  try {
    // NCRONTAB: six fields, UTC, and a day must match both day-of-month and day-of-week.
    const cron = new Cron(schedule, {
      timezone: 'UTC',
      mode: '6-part',
      domAndDow: true,
      sloppyRanges: true,
      paused: true,
    });
    return { ...fn, schedule, cron };
  } catch (error) {
    throw new Error(`Function '${fn.name}': invalid schedule '${schedule}': ${(error as Error).message}`, {
      cause: error,
    });
  }
}

const CONSTRAINTS: Record<string, string> = {
  int: '-?\\d+',
  long: '-?\\d+',
  bool: '(?:true|false)',
  alpha: '[A-Za-z]+',
  guid: '[0-9A-Fa-f]{8}-(?:[0-9A-Fa-f]{4}-){3}[0-9A-Fa-f]{12}',
};

/** Compiles an ASP.NET-style route template (`rules/{id}`, `{name?}`, `{id:int}`, `{*rest}`) under /api. */
function createRoute(fn: HostFunction): HttpFunction {
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
function compareRanks(a: number[], b: number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i];
  return b.length - a.length;
}

function listen(server: ReturnType<typeof createServer>, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(`Port ${port} on ${host} is already in use: stop the other host or set PORT`)
          : error,
      );
    });
    server.listen(port, host, () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too-large' | 'aborted'> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      // Keep draining past the limit so the client can read the 413 instead of a reset connection.
      if (size <= limit) chunks.push(chunk);
      else if (size > limit * 64) req.destroy();
    });
    req.on('end', () => resolve(size > limit ? 'too-large' : Buffer.concat(chunks)));
    req.on('close', () => {
      if (!req.complete) resolve('aborted');
    });
    req.on('error', () => resolve('aborted'));
  });
}

function flattenHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || ['connection', 'keep-alive', 'transfer-encoding', 'upgrade'].includes(name)) continue;
    result[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return result;
}

/** Constant-time comparison of the presented key with the expected one. */
function keyMatches(expected: string, header: string | string[] | undefined, query: string | null): boolean {
  const presented = (Array.isArray(header) ? header[0] : header) ?? query ?? '';
  const a = Buffer.from(presented);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** Writes what a handler returned (`HttpResponseInit`, `HttpResponse`, or nothing → 204) the way the host does. */
async function writeFunctionResponse(res: ServerResponse, result: unknown, isHead: boolean): Promise<void> {
  if (result === undefined || result === null) {
    res.writeHead(204).end();
    return;
  }
  if (typeof result !== 'object') {
    sendJson(res, 500, {
      error: {
        code: 'InvalidFunctionResponse',
        message:
          'The HTTP response must be an object with optional "body", "jsonBody", "status", "headers" and "cookies"',
      },
    });
    return;
  }
  const response = isResponseLike(result) ? result : new HttpResponse(result);
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, key) => {
    if (key !== 'set-cookie') headers[key] = value;
  });
  const cookies = [...response.headers.getSetCookie(), ...(response.cookies ?? []).map(serializeCookie)];
  if (cookies.length > 0) headers['set-cookie'] = cookies;
  const body = Buffer.from(await response.arrayBuffer());
  headers['content-length'] = String(body.length);
  res.writeHead(response.status, headers).end(isHead ? undefined : body);
}

type ResponseLike = Pick<HttpResponse, 'status' | 'headers' | 'arrayBuffer'> & { cookies?: Cookie[] };

function isResponseLike(value: object): value is ResponseLike {
  // Duck-typed: an HttpResponse from another copy of @azure/functions (or a fetch Response) works too.
  const candidate = value as Partial<ResponseLike>;
  return (
    typeof candidate.arrayBuffer === 'function' &&
    typeof candidate.status === 'number' &&
    candidate.headers instanceof Headers
  );
}

function serializeCookie(cookie: Cookie): string {
  const parts = [`${cookie.name}=${cookie.value}`];
  if (cookie.domain) parts.push(`Domain=${cookie.domain}`);
  if (cookie.path) parts.push(`Path=${cookie.path}`);
  if (cookie.expires !== undefined) parts.push(`Expires=${new Date(cookie.expires).toUTCString()}`);
  if (cookie.maxAge !== undefined) parts.push(`Max-Age=${cookie.maxAge}`);
  if (cookie.secure) parts.push('Secure');
  if (cookie.httpOnly) parts.push('HttpOnly');
  if (cookie.sameSite) parts.push(`SameSite=${cookie.sameSite}`);
  return parts.join('; ');
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res
    .writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(Buffer.byteLength(text)),
      ...headers,
    })
    .end(text);
}

/** An error for the log: its stack, or for validation errors (ConfigError, ...) one line per field problem. */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return format(error);
  const problems = (error as { problems?: unknown }).problems;
  if (Array.isArray(problems) && problems.length > 0) {
    const subject = (error as { subject?: unknown }).subject ?? error.message;
    const lines = problems.map(
      (p: { field?: unknown; message?: unknown }) => `\n    - ${String(p.field)}: ${String(p.message)}`,
    );
    return `${error.name}: ${String(subject)}${lines.join('')}`;
  }
  return error.stack ?? `${error.name}: ${error.message}`;
}
