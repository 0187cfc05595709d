import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.join(__dirname, '../..');

/** Loads the bundle in a fresh Node process with a fake @azure/functions-core and lists what it registers. */
const probe = `
const Module = require('node:module');
const regs = [];
const fake = { setProgrammingModel() {}, registerHook() { return { dispose() {} }; },
  registerFunction(metadata) { regs.push({ name: metadata.name, types: Object.values(metadata.bindings).map((b) => b.type).sort() }); return { dispose() {} }; } };
const orig = Module._resolveFilename;
Module._resolveFilename = function (req, ...rest) { return req === '@azure/functions-core' ? req : orig.call(this, req, ...rest); };
require.cache['@azure/functions-core'] = { id: '@azure/functions-core', filename: '@azure/functions-core', loaded: true, exports: fake };
require(process.argv[1]);
process.stdout.write(JSON.stringify(regs));
`;

/**
 * Loads the bundle the same way, then invokes its registered putRule handler (the user handler the worker would
 * call) with @azure/functions' own HttpRequest carrying a forged admin principal; prints the response.
 */
const invokeProbe = `
const Module = require('node:module');
const handlers = {};
const fake = { setProgrammingModel() {}, registerHook() { return { dispose() {} }; },
  registerFunction(metadata, handler) { handlers[metadata.name] = handler; return { dispose() {} }; } };
const orig = Module._resolveFilename;
Module._resolveFilename = function (req, ...rest) { return req === '@azure/functions-core' ? req : orig.call(this, req, ...rest); };
require.cache['@azure/functions-core'] = { id: '@azure/functions-core', filename: '@azure/functions-core', loaded: true, exports: fake };
require(process.argv[1]);
const { HttpRequest, InvocationContext } = require(process.argv[2]);
const principal = Buffer.from(JSON.stringify({ auth_typ: 'aad', role_typ: 'roles', claims: [{ typ: 'preferred_username', val: 'mallory@evil.example' }, { typ: 'roles', val: 'PkiAlerts.Admin' }] })).toString('base64');
const request = new HttpRequest({ method: 'PUT', url: 'http://localhost/api/rules/cloudpki-ca-deleted', params: { id: 'cloudpki-ca-deleted' },
  headers: { 'x-ms-client-principal': principal, 'if-match': '*' }, body: { string: JSON.stringify({ name: 'x', enabled: false, severity: 'low', activityTypes: ['x'], channels: ['default'] }) } });
Promise.resolve(handlers.putRule(request, new InvocationContext({ invocationId: 'probe', functionName: 'putRule', logHandler: () => {} })))
  .then((res) => process.stdout.write(JSON.stringify({ status: res.status, body: res.jsonBody, registered: Object.keys(handlers).length })));
`;

// Under a (fake) worker the bundle validates the settings at load; give it a valid set.
const validSettings = {
  GRAPH_BASE_URL: 'http://127.0.0.1:9',
  TEAMS_WEBHOOK_URL: 'http://127.0.0.1:9/inbox',
  ALLOW_LOOPBACK_WEBHOOKS: 'true',
};

describe('deployment bundle (npm run build)', () => {
  it('registers every function declared in src/functions, with @azure/functions-core left to the worker', () => {
    execFileSync(process.execPath, ['scripts/bundle.mjs'], { cwd: root, stdio: 'pipe' });
    const bundle = path.join(root, 'dist/bundle/index.js');
    // The heartbeat timer registers only when HEARTBEAT_SCHEDULE is set (an empty schedule cannot be registered).
    const out = execFileSync(process.execPath, ['-e', probe, bundle], {
      cwd: '/',
      encoding: 'utf8',
      env: { ...process.env, ...validSettings, HEARTBEAT_SCHEDULE: '0 0 8 * * *' },
    });
    const registered = (JSON.parse(out) as { name: string; types: string[] }[]).map((r) => r.name).sort();
    const declared = readdirSync(path.join(root, 'src/functions'))
      .filter((f) => f.endsWith('.ts'))
      .flatMap((f) =>
        [
          ...readFileSync(path.join(root, 'src/functions', f), 'utf8').matchAll(
            /app\.(?:timer|http|storageQueue)\(\s*'([^']+)'/g,
          ),
        ].map((m) => m[1]),
      )
      .sort();
    expect(declared.length).toBeGreaterThanOrEqual(2);
    expect(registered).toEqual(declared);
    const text = readFileSync(bundle, 'utf8');
    expect(text).toMatch(/require\("@azure\/functions-core"\)/);
    expect(text).not.toContain('azurite/dist');
    expect(JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).main).toBe('dist/bundle/index.js');
  }, 60_000);

  it("entra mode without the platform's App Service Authentication indicator: admin routes answer 503 (a forged admin principal is never read), and start-up says so", () => {
    const bundle = path.join(root, 'dist/bundle/index.js');
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...validSettings,
      ADMIN_AUTH_MODE: 'entra',
      ADMIN_AUTH_CLIENT_ID: '0e5a1c1d-0000-4000-8000-00000000ad1e',
    };
    for (const name of ['WEBSITE_AUTH_ENABLED', 'WEBSITE_AUTH_CLIENT_ID', 'WEBSITE_AUTH_V2_CONFIG_JSON'])
      delete env[name];
    const functionsPackage = path.dirname(require.resolve('@azure/functions/package.json'));
    const run = spawnSync(process.execPath, ['-e', invokeProbe, bundle, functionsPackage], {
      cwd: '/',
      encoding: 'utf8',
      env,
      timeout: 30_000,
    });
    expect(run.status).toBe(0);
    const out = JSON.parse(run.stdout) as {
      status: number;
      body: { error: { code: string; message: string } };
      registered: number;
    };
    expect(out.registered).toBeGreaterThan(10);
    expect(out.status).toBe(503);
    expect(out.body.error.code).toBe('AdminApiClosed');
    expect(out.body.error.message).toContain('WEBSITE_AUTH_ENABLED is not set');
    expect(run.stderr).toMatch(/Admin API closed: .*WEBSITE_AUTH_ENABLED is not set.*Every admin route answers 503/);
  }, 60_000);

  it('fails start-up under a Functions worker when a setting is bad, naming every bad setting', () => {
    const bundle = path.join(root, 'dist/bundle/index.js');
    let stderr = '';
    try {
      execFileSync(process.execPath, ['-e', probe, bundle], {
        cwd: '/',
        encoding: 'utf8',
        stdio: 'pipe',
        env: { ...process.env, ...validSettings, LOOKBACK_MINUTES: 'soon', GRAPH_PAGE_SIZE: '0' },
      });
      expect.unreachable('the bundle should refuse to load');
    } catch (err) {
      stderr = String((err as { stderr?: string }).stderr);
    }
    expect(stderr).toContain('LOOKBACK_MINUTES');
    expect(stderr).toContain('GRAPH_PAGE_SIZE');
  }, 60_000);
});
