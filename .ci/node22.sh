#!/usr/bin/env bash
# Prints the directory of a Node 22 binary (the runtime deployed on Flex Consumption), installed from the
# npm package `node` into a cache folder outside the repo. No other host than the npm registry is needed.
set -euo pipefail
DIR="${NODE22_CACHE:-${HOME:-/tmp}/.cache/cloud-pki-alerts/node22}"
BIN="$DIR/node_modules/node/bin"
if [[ ! -x "$BIN/node" ]] || [[ "$("$BIN/node" --version)" != v22.* ]]; then
  mkdir -p "$DIR"
  npm install --prefix "$DIR" --no-audit --no-fund --no-save node@22 >&2
fi
"$BIN/node" --version >&2
printf '%s\n' "$BIN"
