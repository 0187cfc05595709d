#!/usr/bin/env bash
# Prints the path of a working Bicep CLI on stdout (and nothing else); diagnostics go to stderr.
#
# Order (docs: docs/reference/azure-platform.md §8):
#   1. `bicep` on PATH
#   2. the Azure CLI's managed copy (`az bicep version`, then ~/.azure/bin/bicep)
#   3. the NuGet package Azure.Bicep.CommandLine.<rid> (self-contained single-file binary at tools/bicep),
#      restored with `dotnet restore` of a throwaway project in a cache folder OUTSIDE the repo:
#      ${BICEP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cloud-pki-alerts/bicep}
#   (a binary restored there earlier is reused without touching the network)
# Exits non-zero with a message when none of them works: CI must fail, never skip.
#
# Usage:   BICEP="$(bash .ci/bicep.sh)" && "$BICEP" build infra/main.bicep --stdout
# Env:     BICEP_VERSION (default 0.49.2), BICEP_CACHE, BICEP_SKIP_PATH=1 / BICEP_SKIP_AZ=1 (force NuGet)
set -euo pipefail

BICEP_VERSION="${BICEP_VERSION:-0.49.2}"
if [[ -n "${BICEP_CACHE:-}" ]]; then CACHE="$BICEP_CACHE"
elif [[ -n "${XDG_CACHE_HOME:-}" ]]; then CACHE="$XDG_CACHE_HOME/cloud-pki-alerts/bicep"
elif [[ -n "${HOME:-}" ]]; then CACHE="$HOME/.cache/cloud-pki-alerts/bicep"
else CACHE="${TMPDIR:-/tmp}/cloud-pki-alerts-bicep"; fi

log() { printf 'bicep.sh: %s\n' "$*" >&2; }

# Runs `<cli> --version`; if that fails (e.g. no libicu on a minimal image) retries with invariant
# globalization and, if that works, writes a wrapper that sets it. Prints the usable path.
try_cli() {
  local cli="$1" out
  if out="$("$cli" --version 2>&1)"; then
    log "using $cli ($out)"
    printf '%s\n' "$cli"
    return 0
  fi
  if out="$(DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1 "$cli" --version 2>&1)"; then
    mkdir -p "$CACHE"
    local wrapper="$CACHE/bicep-invariant"
    printf '#!/bin/sh\nDOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1 exec "%s" "$@"\n' "$cli" >"$wrapper"
    chmod +x "$wrapper"
    log "using $cli with DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1 via $wrapper ($out)"
    printf '%s\n' "$wrapper"
    return 0
  fi
  log "$cli does not run: ${out:0:300}"
  return 1
}

# 1. bicep on PATH
if [[ "${BICEP_SKIP_PATH:-0}" != 1 ]] && command -v bicep >/dev/null 2>&1; then
  try_cli "$(command -v bicep)" && exit 0
fi

# 2. Azure CLI's copy. `az bicep version` installs it on first use (needs a download that may be blocked).
if [[ "${BICEP_SKIP_AZ:-0}" != 1 ]] && command -v az >/dev/null 2>&1; then
  if timeout 120 az bicep version >/dev/null 2>&1; then
    az_bicep="${AZURE_CONFIG_DIR:-$HOME/.azure}/bin/bicep"
    if [[ -x "$az_bicep" ]]; then
      try_cli "$az_bicep" && exit 0
    else
      log "'az bicep version' works but $az_bicep is missing (az may use a bicep from PATH); skipping az"
    fi
  else
    log "'az bicep version' failed; trying NuGet"
  fi
fi

# 3. NuGet package via dotnet restore
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64)
    if ldd --version 2>&1 | grep -qi musl; then rid=linux-musl-x64; else rid=linux-x64; fi ;;
  Linux-aarch64 | Linux-arm64) rid=linux-arm64 ;;
  Darwin-x86_64) rid=osx-x64 ;;
  Darwin-arm64) rid=osx-arm64 ;;
  *) log "unsupported platform $(uname -s)-$(uname -m)"; exit 1 ;;
esac
pkg="Azure.Bicep.CommandLine.$rid"
pkg_lower="$(printf '%s' "$pkg" | tr '[:upper:]' '[:lower:]')"
bin="$CACHE/packages/$pkg_lower/$BICEP_VERSION/tools/bicep"

if [[ -f "$bin" ]]; then
  chmod +x "$bin" 2>/dev/null || true
  try_cli "$bin" && exit 0
fi

if ! command -v dotnet >/dev/null 2>&1; then
  log "no Bicep CLI found: no 'bicep' on PATH, no working 'az bicep', and no 'dotnet' to restore $pkg $BICEP_VERSION from NuGet"
  exit 1
fi

mkdir -p "$CACHE/restore"
# Any target framework the installed SDK knows works: the package only carries tools/bicep.
# dotnet itself aborts without libicu; fall back to invariant globalization for the restore.
dotnet_env=()
if ! sdk_version="$(dotnet --version 2>/dev/null)"; then
  if sdk_version="$(DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1 dotnet --version 2>/dev/null)"; then
    log "dotnet needs DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1 here (no libicu?)"
    dotnet_env=(DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1)
  fi
fi
sdk_major="${sdk_version%%.*}"
if ! [[ "$sdk_major" =~ ^[0-9]+$ ]]; then
  log "cannot read the .NET SDK version ('dotnet --version' failed); no Bicep CLI available"
  exit 1
fi
cat >"$CACHE/restore/restore.csproj" <<CSPROJ
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <TargetFramework>net${sdk_major}.0</TargetFramework>
    <EnableDefaultItems>false</EnableDefaultItems>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="$pkg" Version="[$BICEP_VERSION]" />
  </ItemGroup>
</Project>
CSPROJ

log "restoring $pkg $BICEP_VERSION from NuGet into $CACHE/packages"
restore() {
  env "${dotnet_env[@]}" dotnet restore "$CACHE/restore/restore.csproj" --packages "$CACHE/packages" --nologo --verbosity quiet >&2
}
# Serialise concurrent first runs (CI script and test runner); flock is optional.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$CACHE/.lock"
  flock -w 300 9 || { log "timed out waiting for $CACHE/.lock"; exit 1; }
fi
if [[ ! -f "$bin" ]] && ! restore; then
  log "dotnet restore of $pkg $BICEP_VERSION failed (is a NuGet feed reachable? see 'dotnet nuget list source')"
  exit 1
fi
if [[ ! -f "$bin" ]]; then
  log "restore succeeded but $bin is missing"
  exit 1
fi
chmod +x "$bin"
try_cli "$bin" && exit 0
log "no working Bicep CLI: $bin was restored but does not run"
exit 1
