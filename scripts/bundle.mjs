// Bundles every function module under src/functions into one CommonJS file for deployment
// (dist/bundle/index.js, the package.json "main"). @azure/functions-core is provided by the Functions
// worker at run time, so it stays external. Sources are tested; the bundle is only for deployment.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const functionsDir = path.join(root, 'src', 'functions');
const modules = readdirSync(functionsDir)
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
  .sort();
const contents = modules.map((f) => `require('./${f.replace(/\.ts$/, '')}');`).join('\n');

const result = await build({
  stdin: { contents, resolveDir: functionsDir, sourcefile: 'index.ts', loader: 'ts' },
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  outfile: path.join(root, 'dist', 'bundle', 'index.js'),
  external: ['@azure/functions-core'],
  sourcemap: 'linked',
  minify: process.env.BUNDLE_MINIFY !== '0',
  legalComments: 'linked',
  logLevel: 'warning',
  metafile: true,
});
const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
console.log(
  `bundle: ${modules.length} function module(s) -> dist/bundle/index.js (${Math.round(bytes / 1024)} KB with map)`,
);
