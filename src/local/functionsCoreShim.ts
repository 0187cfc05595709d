import Module from 'node:module';

/**
 * Local stand-in for `@azure/functions-core`, the module that only the Azure Functions Node worker provides.
 *
 * `@azure/functions` resolves that module lazily, on its first `app.*` call (or `app.hook.*`, `app.setup` with
 * streaming), not when it is imported, and caches the result for the life of the process: the real module in
 * the worker, `null` ("test mode": registrations are skipped with a warning) anywhere else. Making the name
 * resolve to a fake before that first call turns every `app.timer(...)` / `app.http(...)` into a captured
 * registration, so the local host can run the same function files as Azure. Unofficial but stable: it relies
 * only on the module name and the `registerFunction(metadata, handler)` contract, see docs/reference/toolchain.md §5.
 */

/** One binding as `@azure/functions` describes it to the worker (`toCoreFunctionMetadata`). */
export interface CoreBinding {
  /** e.g. `timerTrigger` (+ `schedule`, `runOnStartup?`, `useMonitor?`), `httpTrigger` (+ `route?`, `methods`, `authLevel`), `http`. */
  type: string;
  direction: 'in' | 'out' | 'inout';
  name: string;
  [setting: string]: unknown;
}

/** The metadata `registerFunction` receives: the function name and its bindings keyed by binding name. */
export interface CoreFunctionMetadata {
  name: string;
  bindings: Record<string, CoreBinding>;
  retryOptions?: unknown;
}

/** A captured `app.*` call. `callback` is the user's handler itself: `(trigger input, InvocationContext)`. */
export interface Registration {
  metadata: CoreFunctionMetadata;
  callback: (...args: unknown[]) => unknown;
}

/** A captured `app.hook.*` call; `callback` takes the worker's raw hook context (`{ hookData, ... }`). */
export interface HookRegistration {
  hookName: string;
  callback: (coreContext: Record<string, unknown>) => unknown;
}

interface ShimState {
  registrations: Registration[];
  hooks: HookRegistration[];
  /** Registrations made while each function module was first evaluated, so a second host in the same process finds them. */
  byModule: Map<string, Registration[]>;
  probing: boolean;
  probed: boolean;
  /** Serialises captureRegistrations so two hosts starting at once cannot mix up their modules' registrations. */
  queue: Promise<unknown>;
}

const CORE_MODULE = '@azure/functions-core';
// On globalThis, not in this module: the patch on Module outlives any re-evaluation of this file (vitest runs
// each test file in a fresh module graph but the same process), and `@azure/functions` keeps the first fake.
const STATE_KEY = Symbol.for('cloud-pki-alerts.functionsCoreShim');

type ModuleInternals = {
  _resolveFilename: (request: string, ...rest: unknown[]) => string;
  _cache: Record<string, unknown>;
};

function state(): ShimState {
  const holder = globalThis as unknown as Record<symbol, ShimState | undefined>;
  let current = holder[STATE_KEY];
  if (!current) {
    current = {
      registrations: [],
      hooks: [],
      byModule: new Map(),
      probing: false,
      probed: false,
      queue: Promise.resolve(),
    };
    holder[STATE_KEY] = current;
    patchModuleResolution(createFakeCore(current));
  }
  return current;
}

function createFakeCore(s: ShimState) {
  return {
    version: '4.0.0-local',
    hostVersion: '4.0.0-local',
    /** Marks this stand-in: function modules skip their start-up checks (the local host makes its own). */
    localHost: true,
    setProgrammingModel(): void {
      // The programming model converts worker RPC data into handler arguments; the local host builds
      // HttpRequest / Timer / InvocationContext itself, so there is nothing to keep.
    },
    registerFunction(metadata: CoreFunctionMetadata, callback: Registration['callback']) {
      const registration: Registration = { metadata, callback };
      s.registrations.push(registration);
      return { dispose: () => remove(s.registrations, registration) };
    },
    registerHook(hookName: string, callback: HookRegistration['callback']) {
      if (s.probing) {
        s.probed = true;
        return { dispose() {} };
      }
      const hook: HookRegistration = { hookName, callback };
      s.hooks.push(hook);
      return { dispose: () => remove(s.hooks, hook) };
    },
    // Present so `app.setup({ enableHttpStream })` accepts this "host" (it checks for `log`).
    log(level: string, category: string, message: string): void {
      if (level === 'error' || level === 'critical' || level === 'warning')
        console.warn(`[functions ${category}] ${message}`);
    },
  };
}

function patchModuleResolution(fakeCore: object): void {
  const internals = Module as unknown as ModuleInternals;
  const cached = new Module(CORE_MODULE);
  cached.filename = CORE_MODULE;
  cached.loaded = true;
  cached.exports = fakeCore;
  internals._cache[CORE_MODULE] = cached;
  const original = internals._resolveFilename;
  internals._resolveFilename = function resolveFilename(this: unknown, request: string, ...rest: unknown[]): string {
    return request === CORE_MODULE ? CORE_MODULE : original.call(this, request, ...rest);
  };
}

function remove<T>(list: T[], item: T): void {
  const index = list.indexOf(item);
  if (index >= 0) list.splice(index, 1);
}

/**
 * Makes `require('@azure/functions-core')` return the fake (idempotent), then checks that the loaded
 * `@azure/functions` is bound to it. Throws when the package already switched to test mode in this process
 * (some code called `app.*` before the shim was installed): registrations could not be captured then.
 * Returns the live list of every registration captured so far.
 */
export function installFunctionsCoreShim(): Registration[] {
  const s = state();
  s.probing = true;
  s.probed = false;
  try {
    // Forces @azure/functions to resolve its core API now, through the plain CommonJS loader, whoever
    // (require or a native/vitest import) loads the function modules later: all get this same instance.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const functions = require('@azure/functions') as typeof import('@azure/functions');
    const warn = console.warn;
    console.warn = () => {}; // in test mode this call only prints "Skipping call to register appStart hook"
    try {
      functions.app.hook.appStart(() => {}).dispose();
    } finally {
      console.warn = warn;
    }
  } finally {
    s.probing = false;
  }
  if (!s.probed) {
    throw new Error(
      '@azure/functions is already in test mode in this process: something called app.* (or imported a function module) ' +
        'before installFunctionsCoreShim(). Install the shim before the first function module is loaded.',
    );
  }
  return s.registrations;
}

/** Hooks (`app.hook.appStart(...)` etc.) captured so far. */
export function capturedHooks(): readonly HookRegistration[] {
  return state().hooks;
}

/**
 * Runs `load` (which evaluates a function module) and returns the registrations it made. A module that was
 * already evaluated in this process registers nothing the second time, so its first registrations are
 * remembered under `key` (the module path) and returned again.
 */
export function captureRegistrations(key: string, load: () => Promise<unknown>): Promise<Registration[]> {
  const registrations = installFunctionsCoreShim();
  const s = state();
  const run = async (): Promise<Registration[]> => {
    const before = registrations.length;
    await load();
    if (registrations.length > before) s.byModule.set(key, registrations.slice(before));
    return s.byModule.get(key) ?? [];
  };
  const result = s.queue.then(run, run);
  s.queue = result.catch(() => undefined);
  return result;
}
