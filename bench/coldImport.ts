import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';

/** Requires the given files in a fresh Node process (with a worker-like fake @azure/functions-core) and returns ms. */
const probe = `
const Module = require('node:module');
const fake = { setProgrammingModel() {}, registerHook() { return { dispose() {} }; }, registerFunction() { return { dispose() {} }; } };
const orig = Module._resolveFilename;
Module._resolveFilename = function (req, ...rest) { return req === '@azure/functions-core' ? req : orig.call(this, req, ...rest); };
require.cache['@azure/functions-core'] = { id: '@azure/functions-core', filename: '@azure/functions-core', loaded: true, exports: fake };
const started = process.hrtime.bigint();
for (const f of process.argv.slice(1)) require(f);
process.stdout.write(String(Number(process.hrtime.bigint() - started) / 1e6));
`;

/**
 * Under a (fake) Functions worker the bundle checks the settings at load and refuses to start without a valid
 * set, as it must in Azure. The probe gives it one (nothing is contacted at import), in an environment of its
 * own so the figure does not depend on the caller's shell.
 */
export const coldImportSettings: Record<string, string> = {
  AzureWebJobsStorage: 'UseDevelopmentStorage=true',
  AZURE_TENANT_ID: '00000000-0000-4000-8000-000000000000',
  TEAMS_WEBHOOK_URL:
    'https://prod-00.westeurope.logic.azure.com/workflows/0123456789abcdef0123456789abcdef/triggers/manual/paths/invoke?api-version=2016-06-01&sig=bench',
};

function coldRequire(files: string[]): number {
  const env = { PATH: process.env.PATH ?? '', ...coldImportSettings };
  return Number(
    execFileSync(process.execPath, ['-e', probe, ...files], {
      encoding: 'utf8',
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
}

/** Cold import time of the deployment bundle vs the unbundled tsc output, alternating runs so both see the same machine state. */
export function measureColdImport(root: string, runs = 7): { bundled: number[]; unbundled: number[] } {
  const functionsDir = path.join(root, 'dist/src/functions');
  const unbundledFiles = readdirSync(functionsDir)
    .filter((f) => f.endsWith('.js'))
    .map((f) => path.join(functionsDir, f));
  const bundle = path.join(root, 'dist/bundle/index.js');
  const bundled: number[] = [];
  const unbundled: number[] = [];
  coldRequire([bundle]); // warm the OS file cache for both before measuring
  coldRequire(unbundledFiles);
  for (let i = 0; i < runs; i++) {
    bundled.push(coldRequire([bundle]));
    unbundled.push(coldRequire(unbundledFiles));
  }
  return { bundled, unbundled };
}
