import { createServer, type IncomingMessage } from 'node:http';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { captureRegistrations, capturedHooks, type Registration } from './functionsCoreShim';
import { createInvoker } from './hostFunction';
import { describeError, listen, sendJson } from './hostHttpIo';
import { compareRanks, createHttpHandler, createRoute, type HttpFunction, type LocalRoute } from './hostRoutes';
import {
  createQueueFunction,
  createQueueRunner,
  queueSettingsFrom,
  readHostJson,
  type QueueFunction,
  type QueueSettings,
} from './hostQueues';
import { createTimer, createTimerRunner, type TimerFunction } from './hostTimers';

export { describeError, MAX_REQUEST_BODY_BYTES } from './hostHttpIo';
export type { LocalRoute, LocalRouteResponse } from './hostRoutes';

/**
 * A small local stand-in for the Azure Functions host (Core Tools cannot be installed here): it loads the
 * same function modules, captures their `app.timer` / `app.http` / `app.storageQueue` registrations through the
 * core shim, runs timers on their NCRONTAB schedule (UTC, never overlapping themselves), serves HTTP triggers
 * under /api and polls the queues of queue triggers like the Storage queues extension (hostQueues.ts).
 */
// Split by concern: hostRoutes.ts (route templates, one request's dispatch), hostHttpIo.ts (bodies, headers,
// responses), hostTimers.ts (schedules, runs), hostQueues.ts (queue polling), hostFunction.ts (one invocation);
// this file loads and wires them.

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
  /** host.json whose `extensions.queues` and `functionTimeout` the queue triggers follow; default ./host.json if present, false = none. */
  hostJsonPath?: string | false;
  /** Prefix of the queue trigger's queue names (like StorageQueues' queuePrefix); default LOCAL_QUEUE_PREFIX. */
  queuePrefix?: string;
  /** Overrides of the queue settings read from host.json (tests). */
  queues?: Partial<QueueSettings>;
  /** Local cap on the idle polling back-off of queue triggers (host.json maxPollingInterval still applies); default 2000. */
  queuePollMaxIntervalMs?: number;
}

export interface HostedFunction {
  name: string;
  trigger: 'timer' | 'http' | 'queue';
  /** Timer: the schedule with `%SETTING%` resolved. */
  schedule?: string;
  /** HTTP: the route template (default: the function name), without the `api/` prefix. */
  route?: string;
  methods?: string[];
  /** HTTP: `http://127.0.0.1:PORT/api/<route>`. */
  url?: string;
  /** Queue: the queue name with `%SETTING%` resolved and the prefix applied, and the setting naming its account. */
  queueName?: string;
  connection?: string;
}

export interface FunctionsHost {
  url: string;
  functions: HostedFunction[];
  /** Runs a timer function once now (isPastDue false), like the host's admin API. Rejects if the handler throws. */
  runTimer(name: string): Promise<void>;
  /**
   * Resolves when the queues of the queue-triggered functions (or of the one named) are empty and no message is
   * in flight, polling them without back-off meanwhile; rejects after `timeoutMs` (default 60 s).
   */
  drainQueue(functionName?: string, options?: { timeoutMs?: number }): Promise<void>;
  /** Stops the timers, stops accepting requests, waits (up to 5 s) for running invocations. */
  close(): Promise<void>;
}

const SHUTDOWN_GRACE_MS = 5_000;

export async function startFunctionsHost(options: FunctionsHostOptions): Promise<FunctionsHost> {
  const env = options.env ?? process.env;
  const write = options.log ?? ((line: string) => console.log(line));
  const log = (message: string) => write(`[${new Date().toISOString()}] ${message}`);
  const hostName = options.host ?? '127.0.0.1';
  const extraRoutes = options.extraRoutes ?? [];

  const timers: TimerFunction[] = [];
  const routes: HttpFunction[] = [];
  const queueFunctions: QueueFunction[] = [];
  const queuePrefix = options.queuePrefix ?? env.LOCAL_QUEUE_PREFIX?.trim() ?? '';
  for (const { registration, file } of await loadRegistrations(options.functionModules)) {
    const name = registration.metadata.name;
    const trigger = Object.values(registration.metadata.bindings).find(
      (b) => b.direction === 'in' && /Trigger$/.test(b.type),
    );
    if (trigger?.type === 'timerTrigger') timers.push(createTimer({ name, registration, trigger }, env));
    else if (trigger?.type === 'httpTrigger') routes.push(createRoute({ name, registration, trigger }));
    else if (trigger?.type === 'queueTrigger') {
      // Like the Functions host, a queue trigger without its storage setting is "in error"; the others still run.
      try {
        queueFunctions.push(createQueueFunction({ name, registration, trigger }, env, queuePrefix));
      } catch (error) {
        log(`ERROR: The '${name}' function is in error and does not run: ${(error as Error).message}`);
      }
    } else
      log(
        `WARNING: function '${name}' (${path.basename(file)}) has a ${trigger?.type ?? 'missing'} trigger, which the local host does not run.`,
      );
  }
  routes.sort((a, b) => compareRanks(a.rank, b.rank));
  if (capturedHooks().length > 0) log('WARNING: app.hook.* hooks were registered; the local host does not run them.');

  let closed = false;
  const { invoke, inFlight } = createInvoker(log);
  const { runTimerOccurrence, arm } = createTimerRunner(invoke, log, () => closed);
  const hostJsonPath = options.hostJsonPath ?? path.resolve('host.json');
  const queueRunner = createQueueRunner({
    invoke,
    log,
    settings: queueSettingsFrom(hostJsonPath ? readHostJson(hostJsonPath) : undefined, options.queues),
    pollMaxIntervalMs: options.queuePollMaxIntervalMs,
  });
  const handleHttp = createHttpHandler({
    routes,
    extraRoutes,
    invoke,
    defaultHost: () => `${hostName}:${port}`,
    functionKey: options.functionKey,
    requestHeaders: options.requestHeaders,
  });

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
  queueRunner.start(queueFunctions);

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
      ...queueFunctions.map((q): HostedFunction => ({
        name: q.name,
        trigger: 'queue',
        queueName: q.queueName,
        connection: q.connection,
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
    async drainQueue(functionName, drainOptions) {
      const selected = functionName ? queueFunctions.filter((q) => q.name === functionName) : queueFunctions;
      if (functionName && selected.length === 0)
        throw new Error(
          `No queue function named '${functionName}' (queue functions: ${queueFunctions.map((q) => q.name).join(', ') || 'none'})`,
        );
      if (closed) throw new Error('The functions host is closed');
      await queueRunner.drain(selected, drainOptions?.timeoutMs);
    },
    close() {
      closing ??= (async () => {
        closed = true;
        for (const timer of timers) clearTimeout(timer.timeout);
        const queuesStopped = queueRunner.stop(); // no new messages; those being handled complete
        const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        let grace: NodeJS.Timeout | undefined;
        const gaveUp = await Promise.race([
          Promise.allSettled([...inFlight, queuesStopped]).then(() => false),
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
