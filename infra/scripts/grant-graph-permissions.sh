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
# Usage (three modes; docs/multi-tenant.md describes the many-tenant ones):
#   grant-graph-permissions.sh [--principal-id <object id>] [--cloud-ca] [--mail-send] [--dry-run] [<object id>]
#       Home tenant: grant the roles to the managed identity (the azd postprovision hook).
#   grant-graph-permissions.sh --tenant <tenant id> [--app <client id>] [--cloud-ca] [--link-only] [--dry-run]
#       A customer tenant: print the admin-consent link of the multi-tenant app (stdout), then, signed in to
#       THAT tenant (`az login --tenant <tenant id> --allow-no-subscriptions`), create the app's service
#       principal there if missing (`az ad sp create --id`) and grant it the same roles. --link-only: the
#       link alone (for the tenant's own admin to open).
#   grant-graph-permissions.sh --federated-credential [--app <client id>] [--principal-id <object id>]
#                              [--home-tenant <tenant id>] [--cloud-ca] [--dry-run]
#       Home tenant: make the managed identity a federated identity credential of the multi-tenant app
#       (issuer <login>/<home tenant>/v2.0, subject = its principal id, audience api://AzureADTokenExchange;
#       at most 20 per app) and declare the roles as the app's required Graph application permissions, so a
#       tenant's admin consent grants them. Needs an owner of the app, or Application Administrator.
# The principal (object) id comes from the argument or from AZURE_IDENTITY_PRINCIPAL_ID (azd exports the
# deployment output of that name). The app's client id from --app, else MULTI_TENANT_APP_CLIENT_ID, else
# PKI_ALERTS_MULTI_TENANT_APP_CLIENT_ID (the azd variable main.bicepparam reads). GRAPH_ENDPOINT and
# LOGIN_ENDPOINT override the Graph and sign-in origins (default: from `az cloud show`).
# Steps (Graph v1.0): resolve the Graph service principal by its appId, resolve each role id by value
# (allowedMemberTypes contains Application), list the principal's appRoleAssignments, POST the missing ones.
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
mode=identity
tenant_id=""
home_tenant=""
link_only=false
app_id="${MULTI_TENANT_APP_CLIENT_ID:-${PKI_ALERTS_MULTI_TENANT_APP_CLIENT_ID:-}}"
while [ $# -gt 0 ]; do
  case "$1" in
    --principal-id) [ $# -ge 2 ] || die "--principal-id needs a value"; principal_id="$2"; shift 2 ;;
    --principal-id=*) principal_id="${1#*=}"; shift ;;
    --tenant) [ $# -ge 2 ] || die "--tenant needs a value"; mode=tenant; tenant_id="$2"; shift 2 ;;
    --tenant=*) mode=tenant; tenant_id="${1#*=}"; shift ;;
    --app) [ $# -ge 2 ] || die "--app needs a value"; app_id="$2"; shift 2 ;;
    --app=*) app_id="${1#*=}"; shift ;;
    --home-tenant) [ $# -ge 2 ] || die "--home-tenant needs a value"; home_tenant="$2"; shift 2 ;;
    --home-tenant=*) home_tenant="${1#*=}"; shift ;;
    --federated-credential) mode=federated; shift ;;
    --link-only) link_only=true; shift ;;
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

if [ "$mode" = identity ] && ! is_true "${GRANT_GRAPH_PERMISSIONS:-true}"; then
  info "GRANT_GRAPH_PERMISSIONS=${GRANT_GRAPH_PERMISSIONS}: skipping. A Privileged Role Administrator must run:"
  info "  $0 --principal-id ${principal_id:-<identity principal id>}$(is_true "$cloud_ca" && printf ' --cloud-ca')"
  exit 0
fi

have_az() { command -v az >/dev/null 2>&1; }

# Sign-in origin (issuer of federated credentials, host of the consent link) and Graph origin.
login="${LOGIN_ENDPOINT:-}"
if [ -z "$login" ] && have_az; then
  login="$(az cloud show --query endpoints.activeDirectory --output tsv 2>/dev/null || true)"
fi
login="${login:-https://login.microsoftonline.com}"
login="${login%/}"
graph="${GRAPH_ENDPOINT:-}"
if [ -z "$graph" ] && have_az; then
  graph="$(az cloud show --query endpoints.microsoftGraphResourceId --output tsv 2>/dev/null || true)"
fi
graph="${graph:-https://graph.microsoft.com}"
graph="${graph%/}"

if [ "$mode" != identity ]; then
  [ -n "$app_id" ] || die "no app: pass --app <client id> of the multi-tenant app registration or set MULTI_TENANT_APP_CLIENT_ID"
  is_guid "$app_id" || die "app '$app_id' is not a GUID (use the multi-tenant app registration's client (application) id)"
fi

if [ "$mode" = tenant ]; then
  is_guid "$tenant_id" || die "tenant '$tenant_id' is not a GUID (use the customer tenant's id)"
  # The consent link is the one line on stdout, so it can be captured: LINK="$(... --tenant T --link-only)".
  printf '%s/%s/v2.0/adminconsent?client_id=%s&scope=%s/.default\n' "$login" "$tenant_id" "$app_id" "$graph"
  info "admin-consent link for tenant $tenant_id (a Global Administrator or Privileged Role Administrator of that tenant opens it)"
  if is_true "$link_only"; then exit 0; fi
fi

if [ "$mode" != tenant ]; then
  [ -n "$principal_id" ] || die "no principal id: pass --principal-id <object id> or set AZURE_IDENTITY_PRINCIPAL_ID (azd sets it from the deployment output)"
  is_guid "$principal_id" || die "principal id '$principal_id' is not a GUID (use the identity's object/principal id, not its client id or resource id)"
fi
have_az || die "Azure CLI 'az' not found on PATH"
az account show --output none >/dev/null 2>&1 || die "Azure CLI is not signed in: run 'az login' (as a Privileged Role Administrator)"
signed_in_tenant="$(az account show --query tenantId --output tsv 2>/dev/null || true)"

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

# 1. Microsoft Graph's service principal in this tenant.
graph_sp_id="$(graph_rest GET "servicePrincipals(appId='$GRAPH_APP_ID')?\$select=id" --query id --output tsv)" \
  || die "cannot read the Microsoft Graph service principal"
is_guid "$graph_sp_id" || die "unexpected Microsoft Graph service principal id '$graph_sp_id'"

# role_id_of ROLE: the id of Microsoft Graph's application role with that value.
role_id_of() {
  rid="$(graph_rest GET "servicePrincipals/$graph_sp_id?\$select=appRoles" \
    --query "appRoles[?value=='$1' && contains(allowedMemberTypes, 'Application')].id | [0]" --output tsv)" \
    || die "cannot read Microsoft Graph's app roles"
  is_guid "${rid:-none}" || die "Microsoft Graph has no application role '$1'"
  printf '%s\n' "$rid"
}

if [ "$mode" = federated ]; then
  # Home side of the many-tenant setup: the identity signs in AS the multi-tenant app (no secret).
  home_tenant="${home_tenant:-$signed_in_tenant}"
  is_guid "$home_tenant" || die "home tenant '$home_tenant' is not a GUID (pass --home-tenant <tenant id>)"
  issuer="$login/$home_tenant/v2.0"
  audience="api://AzureADTokenExchange"
  fic_name="pki-alerts-$principal_id"
  info "app: $app_id; federated credential: issuer $issuer, subject $principal_id, audience $audience$(is_true "$dry_run" && printf ' (dry run)')"
  existing="$(az ad app federated-credential list --id "$app_id" \
    --query "[?issuer=='$issuer' && subject=='$principal_id'].name | [0]" --output tsv 2>"$errfile")" \
    || die "cannot list the federated credentials of app $app_id (wrong tenant or client id, or not an owner of the app?): $(last_error)"
  if [ -n "$existing" ]; then
    info "federated credential already present: $existing"
  else
    count="$(az ad app federated-credential list --id "$app_id" --query "length(@)" --output tsv 2>"$errfile")" \
      || die "cannot count the federated credentials of app $app_id: $(last_error)"
    [ "${count:-0}" -lt 20 ] || die "app $app_id already has $count federated credentials (Entra allows 20 per app): remove one or use another app"
    if is_true "$dry_run"; then
      info "would create federated credential $fic_name"
    else
      params="{\"name\":\"$fic_name\",\"issuer\":\"$issuer\",\"subject\":\"$principal_id\",\"audiences\":[\"$audience\"],\"description\":\"cloud-pki-alerts managed identity polls registered tenants as this app\"}"
      if az ad app federated-credential create --id "$app_id" --parameters "$params" --output none 2>"$errfile"; then
        info "created federated credential $fic_name"
      else
        case "$(last_error)" in
          *"already exists"* | *"must be unique"*) info "federated credential already present: $fic_name" ;;
          *) die "could not create the federated credential on app $app_id: $(last_error)" ;;
        esac
      fi
    fi
  fi
  # The roles as required application permissions, so a tenant's admin consent (the link) grants them.
  declared="$(az ad app show --id "$app_id" \
    --query "requiredResourceAccess[?resourceAppId=='$GRAPH_APP_ID'].resourceAccess[] | [?type=='Role'].id" \
    --output tsv 2>"$errfile")" || die "cannot read app $app_id: $(last_error)"
  for role in $roles; do
    role_id="$(role_id_of "$role")"
    if printf '%s\n' "$declared" | grep -qix "$role_id"; then
      info "already declared on the app: $role"
    elif is_true "$dry_run"; then
      info "would declare on the app: $role ($role_id)"
    else
      az ad app permission add --id "$app_id" --api "$GRAPH_APP_ID" --api-permissions "$role_id=Role" \
        --output none 2>"$errfile" || die "could not declare $role on app $app_id: $(last_error)"
      info "declared on the app: $role"
    fi
  done
  info "done. Next, per customer tenant: $0 --tenant <tenant id> --app $app_id (docs/multi-tenant.md)"
  exit 0
fi

if [ "$mode" = tenant ]; then
  [ "$signed_in_tenant" = "$tenant_id" ] || die "az is signed in to tenant '${signed_in_tenant:-?}', not $tenant_id: run 'az login --tenant $tenant_id --allow-no-subscriptions' as an administrator of that tenant, or send its admin the link above (--link-only)"
  # The multi-tenant app's service principal in the customer tenant (admin consent would also create it).
  if sp_id="$(graph_rest GET "servicePrincipals(appId='$app_id')?\$select=id" --query id --output tsv)"; then
    info "the app's service principal in tenant $tenant_id: $sp_id"
  else
    case "$(last_error)" in
      *Request_ResourceNotFound* | *NotFound* | *"does not exist"*) sp_id="" ;;
      *) die "cannot look up the app's service principal in tenant $tenant_id" ;;
    esac
  fi
  if [ -z "$sp_id" ]; then
    if is_true "$dry_run"; then
      info "would create the service principal of app $app_id in tenant $tenant_id, then assign: $roles"
      exit 0
    fi
    sp_id="$(az ad sp create --id "$app_id" --query id --output tsv 2>"$errfile")" \
      || die "could not create the service principal of app $app_id (is the app multi-tenant, signInAudience AzureADMultipleOrgs?): $(last_error)"
    info "created the app's service principal in tenant $tenant_id: $sp_id"
  fi
  is_guid "$sp_id" || die "unexpected service principal id '$sp_id'"
  principal_id="$sp_id"
fi

info "Graph: $graph; principal: $principal_id; roles: $roles$(is_true "$dry_run" && printf ' (dry run)')"

# 2. The managed identity's service principal. A new identity can take a minute to reach Graph.
attempt=1
while :; do
  if mi_name="$(graph_rest GET "servicePrincipals/$principal_id?\$select=displayName" --query displayName --output tsv)"; then
    break
  fi
  case "$(last_error)" in
    *Request_ResourceNotFound* | *NotFound* | *"does not exist"*)
      [ "$attempt" -lt 6 ] || die "service principal $principal_id not found in Entra ID (wrong tenant, or not a principal/object id?)"
      info "principal not visible in Graph yet (replication); retrying in ${GRANT_RETRY_SECONDS:-15} s ($attempt/5)"
      attempt=$((attempt + 1)); sleep "${GRANT_RETRY_SECONDS:-15}" ;;
    *) die "cannot read service principal $principal_id" ;;
  esac
done
info "principal: $mi_name"

# 3. Role ids already assigned to the identity on Microsoft Graph.
assigned="$(graph_rest GET "servicePrincipals/$principal_id/appRoleAssignments?\$top=999" \
  --query "value[?resourceId=='$graph_sp_id'].appRoleId" --output tsv)" \
  || die "cannot list the principal's app role assignments"

granted=0; skipped=0
for role in $roles; do
  # 4. Role id by value; only roles for applications.
  role_id="$(role_id_of "$role")"

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

if [ "$mode" = tenant ]; then
  info "done: $granted assigned, $skipped already present in tenant $tenant_id. Check it: pki-alerts tenants check $tenant_id"
else
  info "done: $granted assigned, $skipped already present. New roles reach the app's tokens only when its cached managed identity token is renewed (can take hours)."
fi
