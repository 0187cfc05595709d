// Bundles the admin page (src/ui: plain TypeScript + DOM, the Adaptive Cards renderer, one stylesheet) into
// dist/ui/ (app.js, app.css, manifest.json), which GET /api/ui serves (src/functions/adminUi.ts). Written to
// a temporary folder first and swapped in, so a running host never reads a half-written file.
// Usage: node scripts/bundleUi.mjs [outdir]
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const outdir = path.resolve(process.argv[2] ?? path.join(root, 'dist', 'ui'));
const staging = `${outdir}.tmp-${process.pid}`;
rmSync(staging, { recursive: true, force: true });
mkdirSync(staging, { recursive: true });

const common = {
  bundle: true,
  minify: process.env.BUNDLE_MINIFY !== '0',
  logLevel: 'warning',
  metafile: true,
  legalComments: 'eof',
};
const js = await build({
  ...common,
  entryPoints: [path.join(root, 'src', 'ui', 'main.ts')],
  outfile: path.join(staging, 'app.js'),
  platform: 'browser',
  format: 'iife',
  target: ['chrome111', 'edge111', 'firefox111', 'safari16.4'],
});
const css = await build({
  ...common,
  entryPoints: [path.join(root, 'src', 'ui', 'app.css')],
  outfile: path.join(staging, 'app.css'),
  target: ['chrome111', 'edge111', 'firefox111', 'safari16.4'],
});
const files = ['app.js', 'app.css'];
writeFileSync(path.join(staging, 'manifest.json'), `${JSON.stringify({ files }, null, 2)}\n`);
rmSync(outdir, { recursive: true, force: true });
renameSync(staging, outdir);
const kb = (r) => Math.round(Object.values(r.metafile.outputs).reduce((n, o) => n + o.bytes, 0) / 1024);
console.log(`ui: admin page -> ${path.relative(root, outdir) || outdir}/ (app.js ${kb(js)} KB, app.css ${kb(css)} KB)`);
