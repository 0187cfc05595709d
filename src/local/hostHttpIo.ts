import { timingSafeEqual } from 'node:crypto';
import type { createServer, IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { format } from 'node:util';
import { HttpResponse, type Cookie } from '@azure/functions';

// The local functions host's HTTP I/O: listening, reading bodies, headers, keys, writing responses.

export const MAX_REQUEST_BODY_BYTES = 1024 * 1024;

export function listen(server: ReturnType<typeof createServer>, port: number, host: string): Promise<number> {
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

export function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too-large' | 'aborted'> {
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

export function flattenHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || ['connection', 'keep-alive', 'transfer-encoding', 'upgrade'].includes(name)) continue;
    result[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return result;
}

/** Constant-time comparison of the presented key with the expected one. */
export function keyMatches(expected: string, header: string | string[] | undefined, query: string | null): boolean {
  const presented = (Array.isArray(header) ? header[0] : header) ?? query ?? '';
  const a = Buffer.from(presented);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** Writes what a handler returned (`HttpResponseInit`, `HttpResponse`, or nothing → 204) the way the host does. */
export async function writeFunctionResponse(res: ServerResponse, result: unknown, isHead: boolean): Promise<void> {
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

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
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
