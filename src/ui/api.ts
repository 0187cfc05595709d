/*
 * The page's one way to reach the API: same origin, JSON, the admin key (key mode) in the x-functions-key
 * header only (never in a URL), and the CSRF header on every request (see src/app/csrf.ts).
 */

export const csrfHeader = { name: 'x-requested-with', value: 'pki-alerts-admin' } as const;
const keyStorage = 'pki-alerts.admin-key';

export interface FieldProblem {
  field: string;
  message: string;
}

/** An API error answer: status, code, message and (400) the field problems. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly problems: FieldProblem[] = [],
    /** True when no route answers this path at all: the API is older (or newer) than the page. */
    readonly missingRoute = false,
  ) {
    super(message);
  }
}

export interface ApiResponse<T> {
  status: number;
  body: T;
  etag?: string;
}

export interface Me {
  name: string;
  roles: string[];
  via: 'entra' | 'function-key';
  mode: 'key' | 'entra';
}

export class Api {
  constructor(readonly base: string) {}

  get key(): string | undefined {
    return sessionStorage.getItem(keyStorage) ?? undefined;
  }

  set key(value: string | undefined) {
    if (value) sessionStorage.setItem(keyStorage, value);
    else sessionStorage.removeItem(keyStorage);
  }

  /** Sends one request; resolves for 2xx (and for `accept` statuses, e.g. 503 of an unhealthy health report). */
  async request<T>(
    method: string,
    path: string,
    options: { body?: unknown; headers?: Record<string, string>; accept?: number[] } = {},
  ): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = {
      accept: 'application/json',
      [csrfHeader.name]: csrfHeader.value,
      ...options.headers,
    };
    if (this.key) headers['x-functions-key'] = this.key;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(`${this.base}${path}`, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        credentials: 'same-origin',
        cache: 'no-store',
        redirect: 'manual',
      });
    } catch (err) {
      throw new ApiError(0, 'NetworkError', `The app did not answer (${(err as Error).message}). Is it running?`);
    }
    const text = await res.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    if (res.ok || options.accept?.includes(res.status))
      return { status: res.status, body: body as T, etag: res.headers.get('etag') ?? undefined };
    const error = (body as { error?: { code?: string; message?: string; problems?: FieldProblem[] } } | undefined)
      ?.error;
    // An unknown route: the local host says "No function or local route matches"; Azure answers an empty 404.
    const missing = res.status === 404 && (!error || /^No function or local route matches/.test(error.message ?? ''));
    if (missing)
      throw new ApiError(
        404,
        'MissingRoute',
        `This part of the page needs ${method} ${this.base}${path.split('?')[0]}, which this version of the app does not serve.`,
        [],
        true,
      );
    if (res.type === 'opaqueredirect' || res.status === 302)
      throw new ApiError(401, 'Unauthorized', 'The sign-in session has ended: sign in again.');
    throw new ApiError(
      res.status,
      error?.code ?? `HTTP${res.status}`,
      error?.message ?? `The request failed with HTTP ${res.status}.`,
      error?.problems ?? [],
    );
  }

  get<T>(path: string, accept?: number[]) {
    return this.request<T>('GET', path, { accept });
  }
}
