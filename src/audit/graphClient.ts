import type { TokenCredential } from '@azure/identity';
import {
  Client,
  type Context,
  type Middleware,
  MiddlewareFactory,
  RetryHandler,
} from '@microsoft/microsoft-graph-client';
import { TokenCredentialAuthenticationProvider } from '@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials';
import { ThrottleRetryHandler } from './graphRetry';

export const graphOrigin = 'https://graph.microsoft.com';

export interface GraphClientOptions {
  /** Real Graph when undefined; otherwise requests keep Graph URLs and are rewritten to this origin (simulator). */
  rewriteToOrigin?: string;
  credential?: TokenCredential;
  /** Without a credential (a simulator): the tenant the simulator's token names, as a real token would. */
  simulatorTenantId?: string;
  requestTimeoutInMs: number;
  maxRetries: number;
  retryDelayInSeconds: number;
  /** Longest single retry wait (default 30 s); a longer Retry-After ends the retries. */
  maxRetryDelayInSeconds?: number;
  /** Jitter source for retry waits (tests). */
  random?: () => number;
  /** Called once per HTTP attempt (retries included), for request counting. */
  onRequest?: (url: string) => void;
}

/** Applies a fresh timeout to every attempt: sits after the RetryHandler, so each retry gets its own. */
class TimeoutHandler implements Middleware {
  private next?: Middleware;
  constructor(
    private readonly timeoutInMs: number,
    private readonly onRequest?: (url: string) => void,
  ) {}
  async execute(context: Context): Promise<void> {
    const url = typeof context.request === 'string' ? context.request : context.request.url;
    this.onRequest?.(url);
    // A controller with a cleared timer, not AbortSignal.timeout(): those stay alive (with the request they
    // guard) until they fire, so a fast backlog would pile up 30 s worth of them.
    const controller = new AbortController();
    const timer = setTimeout(
      () => controller.abort(new DOMException(`Graph request timed out after ${this.timeoutInMs} ms`, 'TimeoutError')),
      this.timeoutInMs,
    );
    const outer = context.options?.signal;
    const onOuterAbort = () => controller.abort(outer?.reason);
    outer?.addEventListener('abort', onOuterAbort, { once: true });
    context.options = { ...context.options, signal: controller.signal };
    try {
      await this.next!.execute(context);
      // Read the body under the same timeout: a page whose body stalls must fail too.
      const response = context.response;
      if (response)
        context.response = new Response(await response.arrayBuffer(), {
          status: response.status,
          statusText: response.statusText,
          headers: response.headers,
        });
    } finally {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onOuterAbort);
    }
  }
  setNext(next: Middleware): void {
    this.next = next;
  }
}

/**
 * Terminal middleware for the simulator: keeps real Graph URLs everywhere (so auth, retry, telemetry and
 * `@odata.nextLink` behave as in production) and only changes where the bytes go.
 */
class OriginRewriteHandler implements Middleware {
  constructor(private readonly origin: string) {}
  async execute(context: Context): Promise<void> {
    const original = typeof context.request === 'string' ? context.request : context.request.url;
    const target = original.startsWith(graphOrigin) ? this.origin + original.slice(graphOrigin.length) : original;
    const init: RequestInit = { ...context.options };
    if (typeof context.request !== 'string') {
      init.method ??= context.request.method;
      init.headers = new Headers(context.request.headers);
      for (const [k, v] of new Headers(context.options?.headers)) init.headers.set(k, v);
    }
    context.response = await fetch(target, init);
  }
}

/**
 * Builds the Graph SDK client: the SDK's default chain with its RetryHandler replaced by ours (graphRetry.ts:
 * bounded jittered backoff when 429 has no Retry-After), a per-attempt timeout, and for a simulator an
 * origin-rewriting terminal handler.
 */
export function createGraphClient(options: GraphClientOptions): Client {
  const authProvider = options.credential
    ? new TokenCredentialAuthenticationProvider(options.credential, { scopes: [`${graphOrigin}/.default`] })
    : { getAccessToken: async () => `simulator-token.${options.simulatorTenantId ?? 'home'}` };
  const chain: Middleware[] = MiddlewareFactory.getDefaultMiddlewareChain(authProvider);
  const retryIndex = chain.findIndex((m) => m instanceof RetryHandler);
  chain[retryIndex] = new ThrottleRetryHandler({
    maxRetries: options.maxRetries,
    baseDelayInSeconds: options.retryDelayInSeconds,
    maxDelayInSeconds: options.maxRetryDelayInSeconds ?? 30,
    random: options.random,
  });
  const terminal = options.rewriteToOrigin
    ? new OriginRewriteHandler(options.rewriteToOrigin)
    : chain[chain.length - 1];
  chain.splice(chain.length - 1, 1, new TimeoutHandler(options.requestTimeoutInMs, options.onRequest), terminal);
  return Client.initWithMiddleware({ middleware: chain, defaultVersion: 'beta' });
}
