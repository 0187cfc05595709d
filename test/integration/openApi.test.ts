import { readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApiDocument } from '../../src/functions/http/openApi';
import { startFunctionsHost, type FunctionsHost } from '../../src/local/functionsHost';
import { entraBehindEasyAuth, principalHeader } from '../helpers/apiCalls';
import { usePipelineEnvironment } from '../helpers/pipeline';

// Every function module runs on the local functions host, as `npm start` runs them, so this file must not import
// them (src/functions/http/openApi.ts registers nothing): that would evaluate them before the host's shim.
const functionsDir = path.join(__dirname, '..', '..', 'src', 'functions');
const modules = readdirSync(functionsDir)
  .filter((f) => f.endsWith('.ts'))
  .sort()
  .map((f) => path.join(functionsDir, f));
const key = 'openapi-test-key';
const never = '0 0 0 1 1 *';

type OpenApi = {
  openapi: string;
  paths: Record<string, Record<string, { operationId: string; 'x-role': string; security: unknown[] }>>;
};

let host: FunctionsHost;
let doc: OpenApi;
let status: number;
beforeAll(async () => {
  host = await startFunctionsHost({
    port: 0,
    functionModules: modules,
    functionKey: key,
    env: { ...process.env, TIMER_SCHEDULE: never, HEARTBEAT_SCHEDULE: never },
    log: () => {},
  });
  const res = await fetch(`${host.url}/api/openapi.json`); // no key: the document is anonymous
  status = res.status;
  doc = (await res.json()) as OpenApi;
});
afterAll(() => host?.close());

const operations = () =>
  Object.entries(doc.paths).flatMap(([p, ops]) =>
    Object.entries(ops).map(([method, op]) => ({ key: `${method.toUpperCase()} ${p}`, ...op })),
  );
const registered = () =>
  host.functions
    .filter((f) => f.trigger === 'http')
    .flatMap((f) => (f.methods ?? []).map((m) => ({ key: `${m} /${f.route}`, name: f.name })));

describe('GET /api/openapi.json on the local host (every function module, as npm start loads them)', () => {
  it('is served without a key, as an OpenAPI 3.1 document equal to the one the module builds', () => {
    expect(status).toBe(200);
    expect(doc.openapi).toBe('3.1.0');
    expect(doc).toEqual(openApiDocument());
  });

  it('lists the rules routes', () => {
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/rules', '/rules/{id}', '/rules/validate', '/rules/{id}/history']),
    );
    expect(Object.keys(doc.paths['/rules/{id}']).sort()).toEqual(['delete', 'get', 'put']);
  });

  it('has one operation per route registered with app.http (method and route), named after the function, and nothing else', () => {
    const routes = registered();
    expect(routes.length).toBeGreaterThan(30);
    const documented = new Map(operations().map((o) => [o.key, o.operationId]));
    const missing = routes.filter((r) => documented.get(r.key) !== r.name).map((r) => `${r.key} (${r.name})`);
    expect(missing, 'routes without an entry in src/functions/http/openApi.ts (apiOperations)').toEqual([]);
    const extra = [...documented.keys()].filter((k) => !routes.some((r) => r.key === k));
    expect(extra, 'operations in src/functions/http/openApi.ts with no registered route').toEqual([]);
  });

  it('marks as anonymous exactly the routes the host serves without a key', async () => {
    for (const op of operations()) {
      const [method, p] = op.key.split(' ');
      const url = `${host.url}/api${p.replace(/\{\w+\}/g, 'x')}`;
      const res = await fetch(url, { method, redirect: 'manual' });
      await res.arrayBuffer();
      expect(res.status === 401, `${op.key} answered ${res.status} without a key; documented ${op['x-role']}`).toBe(
        op['x-role'] !== 'anonymous',
      );
      expect(op.security.length === 0).toBe(op['x-role'] === 'anonymous');
    }
  });
});

describe('x-role of each operation, checked with a signed-in reader (entra mode behind App Service Authentication)', () => {
  usePipelineEnvironment({ env: { ...entraBehindEasyAuth, HEARTBEAT_SCHEDULE: never } });

  it('refuses a reader (403) exactly on the operations marked admin', async () => {
    const reader = {
      'x-functions-key': key,
      ...principalHeader('rita@contoso.com', ['PkiAlerts.Reader']),
      'content-type': 'application/json',
    };
    const answers: string[] = [];
    for (const op of operations().filter((o) => o['x-role'] !== 'anonymous')) {
      const [method, p] = op.key.split(' ');
      const res = await fetch(`${host.url}/api${p.replace(/\{\w+\}/g, 'x')}`, {
        method,
        headers: reader,
        body: method === 'GET' || method === 'DELETE' ? undefined : '{}',
      });
      await res.arrayBuffer();
      expect(res.status, `${op.key}`).not.toBe(401);
      if ((res.status === 403) !== (op['x-role'] === 'admin'))
        answers.push(`${op.key}: ${res.status}, documented ${op['x-role']}`);
    }
    expect(answers).toEqual([]);
  }, 60_000);
});
