import { readFileSync } from 'node:fs';
import { Agent, createServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { TokenCredential } from '@azure/identity';
import type { LogsIngestionClientOptions } from '@azure/monitor-ingestion';

const tls = path.join(__dirname, '../fixtures/tls');
const cert = readFileSync(path.join(tls, 'loopback-cert.pem'));
const key = readFileSync(path.join(tls, 'loopback-key.pem'));

/** One upload as the receiver saw it. */
export interface IngestionRequest {
  path: string;
  dcrImmutableId: string;
  stream: string;
  apiVersion: string | null;
  authorization: string | undefined;
  contentEncoding: string | undefined;
  rows: Record<string, unknown>[];
}

export interface IngestionResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/**
 * An https server on 127.0.0.1 that speaks the Logs Ingestion API contract
 * (`POST /dataCollectionRules/{dcrImmutableId}/streams/{stream}?api-version=2023-01-01`, bearer token,
 * gzip JSON array, 204 = accepted; docs/reference/alert-delivery.md §14). Its certificate is the self-signed
 * test fixture, trusted through {@link LogsIngestionReceiver.clientOptions}.
 */
export interface LogsIngestionReceiver {
  /** `https://127.0.0.1:<port>` */
  readonly endpoint: string;
  readonly requests: IngestionRequest[];
  /** SDK client options whose agent trusts the receiver's certificate (nothing else changes). */
  readonly clientOptions: LogsIngestionClientOptions;
  respondWith(response: IngestionResponse, times?: number): void;
  close(): Promise<void>;
}

export async function startLogsIngestionReceiver(): Promise<LogsIngestionReceiver> {
  const requests: IngestionRequest[] = [];
  const queue: { response: IngestionResponse; remaining: number }[] = [];
  const sockets = new Set<Socket>();
  const server = createServer({ cert, key }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'https://127.0.0.1');
      const match = /^\/dataCollectionRules\/([^/]+)\/streams\/([^/]+)$/.exec(url.pathname);
      const raw = Buffer.concat(chunks);
      const encoding = req.headers['content-encoding'];
      let rows: Record<string, unknown>[];
      try {
        rows = JSON.parse((encoding === 'gzip' ? gunzipSync(raw) : raw).toString('utf8'));
      } catch {
        rows = [];
      }
      requests.push({
        path: req.url ?? '',
        dcrImmutableId: decodeURIComponent(match?.[1] ?? ''),
        stream: decodeURIComponent(match?.[2] ?? ''),
        apiVersion: url.searchParams.get('api-version'),
        authorization: req.headers.authorization,
        contentEncoding: encoding,
        rows,
      });
      let response: IngestionResponse = { status: 204 };
      if (req.method !== 'POST' || !match)
        response = { status: 404, body: { error: { code: 'NotFound', message: 'no such route' } } };
      else if (!req.headers.authorization?.startsWith('Bearer '))
        response = { status: 401, body: { error: { code: 'InvalidToken', message: 'missing bearer token' } } };
      else if (queue[0]) {
        response = queue[0].response;
        if (--queue[0].remaining <= 0) queue.shift();
      }
      const body = response.body === undefined ? '' : JSON.stringify(response.body);
      res.writeHead(response.status, { ...(body ? { 'content-type': 'application/json' } : {}), ...response.headers });
      res.end(body);
    });
  });
  server.on('secureConnection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const agent = new Agent({ ca: cert, keepAlive: false });
  return {
    endpoint: `https://127.0.0.1:${port}`,
    requests,
    clientOptions: {
      additionalPolicies: [
        {
          position: 'perCall',
          policy: {
            name: 'trustLoopbackReceiver',
            sendRequest: (request, next) => {
              request.agent = agent;
              return next(request);
            },
          },
        },
      ],
    },
    respondWith(response, times = 1) {
      queue.push({ response, remaining: times });
    },
    async close() {
      for (const s of sockets) s.destroy();
      agent.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A TokenCredential for tests: a fixed, recognisable token; records the scopes asked for. */
export function testCredential(
  token = 'eyTEST-ACCESS-TOKEN-do-not-log-0123456789',
): TokenCredential & { scopes: string[][]; token: string } {
  const scopes: string[][] = [];
  return {
    token,
    scopes,
    async getToken(requested) {
      scopes.push(Array.isArray(requested) ? [...requested] : [requested]);
      return { token, expiresOnTimestamp: Date.now() + 3_600_000 };
    },
  };
}
