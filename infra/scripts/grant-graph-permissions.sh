#!/bin/sh
# grant-graph-permissions.sh - grant Microsoft Graph APPLICATION roles to the app's user-assigned
# managed identity (plain Bicep can't; see docs/reference/azure-platform.md §7). Idempotent: roles that are
# already assigned are skipped, so it is safe as an azd postprovision hook and safe to re-run.
#
# WHO CAN RUN IT: an account holding the Entra role **Privileged Role Administrator** (or Global
# Administrator), signed in with `az login`. Granting Graph application roles needs
# AppRoleAssignment.ReadWrite.All + Application.Read.All; an Azure subscription role (Owner, ...) is NOT
# enough. A deployer without that Entra role sets GRANT_GRAPH_PERMISSIONS=false
# (`azd env set GRANT_GRAPH_PERMISSIONS false`) and hands the printed command to an admin.
#
# Roles:
#   DeviceManagementApps.Read.All     always (reads /deviceManagement/auditEvents)
#   DeviceManagementCloudCA.Read.All  with --cloud-ca   or GRANT_CLOUD_CA_READ=true (CA enrichment)
#   Mail.Send                         with --mail-send  or GRANT_MAIL_SEND=true. NOT recommended: a
#       tenant-wide Mail.Send lets the identity send as ANY mailbox, and Exchange RBAC for Applications
#       can't narrow a grant made here. Prefer the Exchange RBAC scoping of docs/deploy.md.
#
# Usage:
#   grant-graph-permissions.sh [--principal-id <object id>] [--cloud-ca] [--mail-send] [--dry-run] [<object id>]
# The principal (object) id comes from the argument or from AZURE_IDENTITY_PRINCIPAL_ID (azd exports the
# deployment output of that name). GRAPH_ENDPOINT overrides the Graph origin (default: from `az cloud show`).
# Steps (Graph v1.0): resolve the Graph service principal by its appId, resolve each role id by value
# (allowedMemberTypes contains Application), list the identity's appRoleAssignments, POST the missing ones.
set -eu

GRAPH_APP_ID=00000003-0000-0000-c000-000000000000
ME=grant-graph-permissions

info() { printf '%s: %s\n' "$ME" "$*" >&2; }
die() { printf '%s: ERROR: %s\n' "$ME" "$*" >&2; exit 1; }
is_true() {
  case "$(printf '%s' "${1:-}" | tr '[:upper:]' '[:lower:]')" in
    1 | true | yes | y | on) return 0 ;;
    *) return 1 ;;
  esac
}
is_guid() {
  printf '%s' "$1" | grep -Eq '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'
}
usage() { sed -n '2,/^set -eu/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//' >&2; }

principal_id="${AZURE_IDENTITY_PRINCIPAL_ID:-}"
cloud_ca="${GRANT_CLOUD_CA_READ:-false}"
mail_send="${GRANT_MAIL_SEND:-false}"
dry_run=false
while [ $# -gt 0 ]; do
  case "$1" in
    --principal-id) [ $# -ge 2 ] || die "--principal-id needs a value"; principal_id="$2"; shift 2 ;;
    --principal-id=*) principal_id="${1#*=}"; shift ;;
    --cloud-ca) cloud_ca=true; shift ;;
    --mail-send) mail_send=true; shift ;;
    --dry-run) dry_run=true; shift ;;
    -h | --help) usage; exit 0 ;;
    -*) die "unknown option $1 (see --help)" ;;
    *) principal_id="$1"; shift ;;
  esac
done

roles="DeviceManagementApps.Read.All"
if is_true "$cloud_ca"; then roles="$roles DeviceManagementCloudCA.Read.All"; fi
if is_true "$mail_send"; then roles="$roles Mail.Send"; fi

if ! is_true "${GRANT_GRAPH_PERMISSIONS:-true}"; then
  info "GRANT_GRAPH_PERMISSIONS=${GRANT_GRAPH_PERMISSIONS}: skipping. A Privileged Role Administrator must run:"
  info "  $0 --principal-id ${principal_id:-<identity principal id>}$(is_true "$cloud_ca" && printf ' --cloud-ca')"
  exit 0
fi

[ -n "$principal_id" ] || die "no principal id: pass --principal-id <object id> or set AZURE_IDENTITY_PRINCIPAL_ID (azd sets it from the deployment output)"
is_guid "$principal_id" || die "principal id '$principal_id' is not a GUID (use the identity's object/principal id, not its client id or resource id)"
command -v az >/dev/null 2>&1 || die "Azure CLI 'az' not found on PATH"
az account show --output none >/dev/null 2>&1 || die "Azure CLI is not signed in: run 'az login' (as a Privileged Role Administrator)"

graph="${GRAPH_ENDPOINT:-}"
if [ -z "$graph" ]; then
  graph="$(az cloud show --query endpoints.microsoftGraphResourceId --output tsv 2>/dev/null || true)"
fi
graph="${graph:-https://graph.microsoft.com}"
graph="${graph%/}"

errfile="$(mktemp)"
trap 'rm -f "$errfile"' EXIT INT TERM

# The error text of the last failed az call (a file: graph_rest often runs in a $(...) subshell).
last_error() { tr '\n' ' ' <"$errfile" | cut -c1-600; }

# graph_rest METHOD PATH [az args...]: prints the response (or --query result); on failure explains it.
graph_rest() {
  method="$1"; path="$2"; shift 2
  if az rest --method "$method" --url "$graph/v1.0/$path" --resource "$graph" "$@" 2>"$errfile"; then
    return 0
  fi
  msg="$(last_error)"
  case "$msg" in
    *Authorization_RequestDenied* | *Forbidden* | *"Insufficient privileges"*)
      info "Graph denied $method /$path: the signed-in account lacks the Entra role Privileged Role Administrator (or Global Administrator)." ;;
  esac
  info "az rest $method $graph/v1.0/$path failed: $msg"
  return 1
}

info "Graph: $graph; identity: $principal_id; roles: $roles$(is_true "$dry_run" && printf ' (dry run)')"

# 1. Microsoft Graph's service principal in this tenant.
graph_sp_id="$(graph_rest GET "servicePrincipals(appId='$GRAPH_APP_ID')?\$select=id" --query id --output tsv)" \
  || die "cannot read the Microsoft Graph service principal"
is_guid "$graph_sp_id" || die "unexpected Microsoft Graph service principal id '$graph_sp_id'"

# 2. The managed identity's service principal. A new identity can take a minute to reach Graph.
attempt=1
while :; do
  if mi_name="$(graph_rest GET "servicePrincipals/$principal_id?\$select=displayName" --query displayName --output tsv)"; then
    break
  fi
  case "$(last_error)" in
    *Request_ResourceNotFound* | *NotFound* | *"does not exist"*)
      [ "$attempt" -lt 6 ] || die "service principal $principal_id not found in Entra ID (wrong tenant, or not a principal/object id?)"
      info "identity not visible in Graph yet (replication); retrying in 15 s ($attempt/5)"
      attempt=$((attempt + 1)); sleep 15 ;;
    *) die "cannot read service principal $principal_id" ;;
  esac
done
info "identity: $mi_name"

# 3. Role ids already assigned to the identity on Microsoft Graph.
assigned="$(graph_rest GET "servicePrincipals/$principal_id/appRoleAssignments?\$top=999" \
  --query "value[?resourceId=='$graph_sp_id'].appRoleId" --output tsv)" \
  || die "cannot list the identity's app role assignments"

granted=0; skipped=0
for role in $roles; do
  # 4. Role id by value; only roles for applications.
  role_id="$(graph_rest GET "servicePrincipals/$graph_sp_id?\$select=appRoles" \
    --query "appRoles[?value=='$role' && contains(allowedMemberTypes, 'Application')].id | [0]" --output tsv)" \
    || die "cannot read Microsoft Graph's app roles"
  is_guid "${role_id:-none}" || die "Microsoft Graph has no application role '$role'"

  if printf '%s\n' "$assigned" | grep -qix "$role_id"; then
    info "already assigned: $role"; skipped=$((skipped + 1)); continue
  fi
  if is_true "$dry_run"; then
    info "would assign: $role ($role_id)"; continue
  fi
  # 5. Assign. A concurrent run may have won the race: "already exists" counts as done.
  body="{\"principalId\":\"$principal_id\",\"resourceId\":\"$graph_sp_id\",\"appRoleId\":\"$role_id\"}"
  if graph_rest POST "servicePrincipals/$principal_id/appRoleAssignments" \
    --headers "Content-Type=application/json" --body "$body" --output none; then
    info "assigned: $role"; granted=$((granted + 1))
  else
    case "$(last_error)" in
      *"already exists"*) info "already assigned: $role"; skipped=$((skipped + 1)) ;;
      *) die "could not assign $role to $principal_id" ;;
    esac
  fi
  if [ "$role" = Mail.Send ]; then
    info "WARNING: Mail.Send is now tenant-wide (any mailbox). Exchange RBAC for Applications can't narrow it; remove it and scope via Exchange if that is not intended."
  fi
done

info "done: $granted assigned, $skipped already present. New roles reach the app's tokens only when its cached managed identity token is renewed (can take hours)."
