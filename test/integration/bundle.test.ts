import { execFileSync } from 'node:child_process';
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

// Under a (fake) worker the bundle validates the settings at load; give it a valid set.
const validSettings = { GRAPH_BASE_URL: 'http://127.0.0.1:9', TEAMS_WEBHOOK_URL: 'http://127.0.0.1:9/inbox', ALLOW_LOOPBACK_WEBHOOKS: 'true' };

describe('deployment bundle (npm run build)', () => {
  it('registers every function declared in src/functions, with @azure/functions-core left to the worker', () => {
    execFileSync(process.execPath, ['scripts/bundle.mjs'], { cwd: root, stdio: 'pipe' });
    const bundle = path.join(root, 'dist/bundle/index.js');
    // The heartbeat timer registers only when HEARTBEAT_SCHEDULE is set (an empty schedule cannot be registered).
    const out = execFileSync(process.execPath, ['-e', probe, bundle], { cwd: '/', encoding: 'utf8', env: { ...process.env, ...validSettings, HEARTBEAT_SCHEDULE: '0 0 8 * * *' } });
    const registered = (JSON.parse(out) as { name: string; types: string[] }[]).map((r) => r.name).sort();
    const declared = readdirSync(path.join(root, 'src/functions'))
      .filter((f) => f.endsWith('.ts'))
      .flatMap((f) => [...readFileSync(path.join(root, 'src/functions', f), 'utf8').matchAll(/app\.(?:timer|http)\(\s*'([^']+)'/g)].map((m) => m[1]))
      .sort();
    expect(declared.length).toBeGreaterThanOrEqual(2);
    expect(registered).toEqual(declared);
    const text = readFileSync(bundle, 'utf8');
    expect(text).toMatch(/require\("@azure\/functions-core"\)/);
    expect(text).not.toContain('azurite/dist');
    expect(JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).main).toBe('dist/bundle/index.js');
  }, 60_000);

  it('fails start-up under a Functions worker when a setting is bad, naming every bad setting', () => {
    const bundle = path.join(root, 'dist/bundle/index.js');
    let stderr = '';
    try {
      execFileSync(process.execPath, ['-e', probe, bundle], { cwd: '/', encoding: 'utf8', stdio: 'pipe', env: { ...process.env, ...validSettings, LOOKBACK_MINUTES: 'soon', GRAPH_PAGE_SIZE: '0' } });
      expect.unreachable('the bundle should refuse to load');
    } catch (err) {
      stderr = String((err as { stderr?: string }).stderr);
    }
    expect(stderr).toContain('LOOKBACK_MINUTES');
    expect(stderr).toContain('GRAPH_PAGE_SIZE');
  }, 60_000);
});
