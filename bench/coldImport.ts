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

function coldRequire(files: string[]): number {
  return Number(execFileSync(process.execPath, ['-e', probe, ...files], { encoding: 'utf8' }));
}

/** Cold import time of the deployment bundle vs the unbundled tsc output, alternating runs so both see the same machine state. */
export function measureColdImport(root: string, runs = 7): { bundled: number[]; unbundled: number[] } {
  const functionsDir = path.join(root, 'dist/src/functions');
  const unbundledFiles = readdirSync(functionsDir).filter((f) => f.endsWith('.js')).map((f) => path.join(functionsDir, f));
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
