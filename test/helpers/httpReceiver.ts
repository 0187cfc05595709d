import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** One request as the receiver saw it. */
export interface ReceivedRequest {
  method: string;
  /** Path and query exactly as sent, e.g. `/workflows/abc/triggers/manual/paths/invoke?sig=…`. */
  path: string;
  /** Lower-cased header names (node:http). */
  headers: IncomingHttpHeaders;
  rawBody: string;
  /** `rawBody` parsed as JSON, or undefined when it is empty or not JSON. */
  body: unknown;
  /** `Date.now()` when the body had been read. */
  receivedAt: number;
  /** `performance.now()` at the same moment (monotonic, sub-millisecond: for rate assertions). */
  arrivedAt: number;
  /** The response this request was given (undefined while pending or when it hangs). */
  answeredWith?: ReceiverResponse;
}

/** How to answer one request. */
export interface ReceiverResponse {
  status: number;
  /** A string is sent as-is; anything else as JSON (with a JSON content type unless one is given). */
  body?: unknown;
  headers?: Record<string, string>;
  /** Wait this long before answering. */
  delayMs?: number;
  /** Never answer; the socket stays open until the client gives up or `close()` is called. */
  hang?: boolean;
}

/** A real HTTP server on 127.0.0.1 that stands in for Teams, a mail relay or a webhook receiver. */
export interface Receiver {
  /** `http://127.0.0.1:<port>`, no trailing slash; append any path. */
  readonly url: string;
  /** Every request received so far, in arrival order (hanging ones included). */
  readonly requests: ReceivedRequest[];
  /**
   * Queues `response` for the next `times` requests (default 1; `Infinity` for all following ones).
   * Queued responses are used in order; with an empty queue the answer is 202 with an empty body.
   */
  respondWith(response: ReceiverResponse, times?: number): void;
  /** Resolves once at least `count` requests have arrived; rejects after `timeoutInMs`. */
  waitForRequests(count: number, timeoutInMs?: number): Promise<ReceivedRequest[]>;
  /** Forgets recorded requests and queued responses. */
  reset(): void;
  /** Stops the server and destroys every open socket, hanging ones included. */
  close(): Promise<void>;
}

const defaultResponse: ReceiverResponse = { status: 202 };

/** Starts a {@link Receiver} on a random loopback port. Always `close()` it (e.g. in afterEach). */
export async function startReceiver(): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  const queue: Array<{ response: ReceiverResponse; remaining: number }> = [];
  const sockets = new Set<Socket>();
  const waiters = new Set<() => void>();

  const next = (): ReceiverResponse => {
    const head = queue[0];
    if (!head) return defaultResponse;
    head.remaining -= 1;
    if (head.remaining <= 0) queue.shift();
    return head.response;
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      const record: ReceivedRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        rawBody,
        body: parseJson(rawBody),
        receivedAt: Date.now(),
        arrivedAt: performance.now(),
      };
      requests.push(record);
      for (const wake of waiters) wake();
      const response = next();
      if (response.hang) return;
      const answer = () => {
        if (res.destroyed) return;
        record.answeredWith = response;
        const isText = typeof response.body === 'string' || response.body === undefined;
        const payload =
          response.body === undefined ? '' : isText ? (response.body as string) : JSON.stringify(response.body);
        const headers: Record<string, string> = isText ? {} : { 'content-type': 'application/json' };
        res.writeHead(response.status, { ...headers, ...response.headers });
        res.end(payload);
      };
      if (response.delayMs) setTimeout(answer, response.delayMs);
      else answer();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    respondWith(response, times = 1) {
      queue.push({ response, remaining: times });
    },
    waitForRequests(count, timeoutInMs = 5000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (requests.length < count) return;
          cleanup();
          resolve(requests.slice());
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`receiver got ${requests.length} of ${count} requests within ${timeoutInMs} ms`));
        }, timeoutInMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    reset() {
      requests.length = 0;
      queue.length = 0;
    },
    close() {
      closing ??= new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
      for (const socket of sockets) socket.destroy();
      return closing;
    },
  };
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
