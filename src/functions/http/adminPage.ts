import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * The admin page's static parts: the HTML shell (made here) and the browser bundle `dist/ui/` written by
 * `scripts/bundleUi.mjs` (app.js with the Adaptive Cards renderer, app.css), found beside the running code:
 * dist/bundle → dist/ui (deployment), dist/src/functions → dist/ui (npm start), src/functions → dist/ui (tests).
 */

/** Served on the page and its assets. No inline script or style anywhere, so nothing needs 'unsafe-inline'. */
export const contentSecurityPolicy = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

export const pageSecurityHeaders: Readonly<Record<string, string>> = {
  'content-security-policy': contentSecurityPolicy,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=()',
};

export interface UiAsset {
  body: Buffer;
  contentType: string;
  etag: string;
}

export interface UiAssets {
  dir: string;
  files: Map<string, UiAsset>;
  /** Short hash of every file: cache-busting query on the page's links. */
  version: string;
}

const contentTypes: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};
export const uiManifestName = 'manifest.json';

let cached: { manifestPath: string; mtimeMs: number; assets: UiAssets } | undefined;

/** The directory holding the built page assets, walking up from `from`; undefined when not built. */
export function findUiDir(from = __dirname): string | undefined {
  for (let dir = from, i = 0; i < 8; dir = path.dirname(dir), i++) {
    for (const candidate of [path.join(dir, 'ui'), path.join(dir, 'dist', 'ui')]) {
      if (fs.existsSync(path.join(candidate, uiManifestName))) return candidate;
    }
    if (path.dirname(dir) === dir) break;
  }
  return undefined;
}

/** Reads the built assets (re-read when the build wrote a new manifest); undefined when the page was not built. */
export function loadUiAssets(from = __dirname): UiAssets | undefined {
  const dir = findUiDir(from);
  if (!dir) return undefined;
  const manifestPath = path.join(dir, uiManifestName);
  const { mtimeMs } = fs.statSync(manifestPath);
  if (cached && cached.manifestPath === manifestPath && cached.mtimeMs === mtimeMs) return cached.assets;
  const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8')) as { files: string[] };
  const files = new Map<string, UiAsset>();
  const all = createHash('sha256');
  for (const name of manifest.files) {
    if (!/^[a-z0-9.-]+$/i.test(name) || !contentTypes[path.extname(name)]) continue;
    const body = fs.readFileSync(path.join(dir, name));
    const hash = createHash('sha256').update(body).digest('base64url').slice(0, 22);
    all.update(hash);
    files.set(name, { body, contentType: contentTypes[path.extname(name)], etag: `"${hash}"` });
  }
  const assets = { dir, files, version: all.digest('base64url').slice(0, 12) };
  cached = { manifestPath, mtimeMs, assets };
  return assets;
}

/** The page shell: data-free, so it may be served without sign-in; the script asks for the key or uses the session. */
export function pageHtml(options: { authMode: 'key' | 'entra'; version: string; apiBase?: string }): string {
  const base = options.apiBase ?? '/api';
  const v = encodeURIComponent(options.version);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="pki-auth-mode" content="${options.authMode === 'entra' ? 'entra' : 'key'}">
<meta name="pki-api-base" content="${base.replace(/[^A-Za-z0-9/_-]/g, '')}">
<title>Cloud PKI alerts: admin</title>
<link rel="stylesheet" href="${base}/ui/static/app.css?v=${v}">
<script src="${base}/ui/static/app.js?v=${v}" defer></script>
</head>
<body>
<a class="skip-link" href="#main">Skip to content</a>
<header class="top" id="top"><span class="brand">Cloud PKI alerts</span></header>
<main id="main" tabindex="-1"><p id="boot">Loading the admin page…</p>
<noscript><p>This page needs JavaScript. The same data is available from the JSON API under ${base}/.</p></noscript></main>
</body>
</html>
`;
}

/** Shown when the assets were not built (e.g. `tsc` ran but not `npm run build`). */
export const notBuiltText =
  'The admin page assets are not built: run `npm run build` (it writes dist/ui/), then reload.';
