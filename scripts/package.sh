#!/usr/bin/env bash
# Builds the deployment package dist/cloud-pki-alerts.zip: host.json, a package.json whose "main" is the
# esbuild bundle, the bundle itself (it carries its dependencies; the worker provides @azure/functions-core)
# and the admin page's assets (dist/ui). Deploy with `az functionapp deployment source config-zip` (docs/deploy.md).
set -euo pipefail
cd "$(dirname "$0")/.."
npm run build >/dev/null
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/dist/bundle"
cp host.json "$stage/"
cp dist/bundle/index.js dist/bundle/index.js.map dist/bundle/index.js.LEGAL.txt "$stage/dist/bundle/"
# The admin page (GET /api/ui) reads its assets from dist/ui beside the bundle.
cp -r dist/ui "$stage/dist/ui"
node -e '
const p = require("./package.json");
const out = { name: p.name, version: p.version, private: true, main: "dist/bundle/index.js", engines: p.engines };
require("fs").writeFileSync(process.argv[1], JSON.stringify(out, null, 2) + "\n");
' "$stage/package.json"
rm -f dist/cloud-pki-alerts.zip
if command -v zip >/dev/null; then
  (cd "$stage" && zip -qr "$OLDPWD/dist/cloud-pki-alerts.zip" .)
else
  python3 - "$stage" dist/cloud-pki-alerts.zip <<'PY'
import os, sys, zipfile
src, dst = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as z:
    for base, _, files in os.walk(src):
        for f in files:
            full = os.path.join(base, f)
            z.write(full, os.path.relpath(full, src))
PY
fi
echo "package: dist/cloud-pki-alerts.zip ($(du -k dist/cloud-pki-alerts.zip | cut -f1) KB)"
