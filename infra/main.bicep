// cloud-pki-alerts: Flex Consumption function app that polls Intune audit events and alerts to Teams.
// Plain resource declarations only (no registry modules, no Graph extension). Graph app roles are granted
// after provisioning by scripts/grant-graph-permissions.sh. Guide: docs/deploy.md.
targetScope = 'resourceGroup'

@description('Prefix of every resource name: 2-9 lowercase letters or digits.')
@minLength(2)
@maxLength(9)
param baseName string = 'pkialerts'

@description('Region of all resources.')
param location string = resourceGroup().location

@description('Name suffix; empty = uniqueString(resourceGroup().id). Set it (lowercase letters/digits) only to redeploy into a recreated resource group while purge protection still holds the old Key Vault name.')
@maxLength(13)
param nameSuffix string = ''

@description('azd environment name (tag azd-env-name); empty outside azd.')
param environmentName string = ''

@description('NCRONTAB (6 fields, UTC) of the poll timer.')
param timerSchedule string = '0 */1 * * * *'

@description('NCRONTAB (6 fields, UTC) of the heartbeat card to every Teams channel (keeps Workflows flows from being turned off for inactivity); empty = off.')
param heartbeatSchedule string = '0 0 8 * * *'

@description('Minutes each poll window reaches back before the last checkpoint (Graph events arrive late).')
@minValue(0)
@maxValue(1440)
param lookbackMinutes int = 15

@description('Name of the Key Vault secret that holds the Teams Workflows webhook URL (created out of band).')
param teamsWebhookSecretName string = 'teams-webhook-url'

@description('Base of the Intune admin center links on alert cards.')
param intunePortalUrl string = 'https://intune.microsoft.com'

@description('Flex Consumption scale-out limit. The timer is a singleton; keep it small.')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 40

@allowed([512, 2048, 4096])
param instanceMemoryMB int = 2048

@description('Put App Service Authentication (Entra ID) in front of the HTTP admin API.')
param enableAppServiceAuth bool = false

@description('Client id of the Entra app registration that protects the admin API (with enableAppServiceAuth).')
param authClientId string = ''

@description('Client id of the multi-tenant app registration the identity signs in as (federated credential) to poll registered tenants; empty = the home tenant only (docs/multi-tenant.md).')
param multiTenantAppClientId string = ''

@minValue(7)
@maxValue(90)
param keyVaultSoftDeleteRetentionInDays int = 90

@description('Create the Azure Monitor Logs channel destination (custom table CloudPkiAlerts_CL, data collection endpoint and rule, Monitoring Metrics Publisher on the rule for the app identity). Off by default.')
param enableAlertLogs bool = false

var tags = empty(environmentName)
  ? { app: 'cloud-pki-alerts' }
  : { app: 'cloud-pki-alerts', 'azd-env-name': environmentName }
var deploymentContainerName = 'app-package'
var resourceToken = empty(nameSuffix) ? uniqueString(resourceGroup().id) : toLower(nameSuffix)

module identity 'modules/identity.bicep' = {
  name: 'identity'
  params: {
    name: 'id-${baseName}-${resourceToken}'
    location: location
    tags: tags
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    name: 'st${toLower(baseName)}${resourceToken}'
    location: location
    tags: tags
    deploymentContainerName: deploymentContainerName
    // src/state/tableClients.ts tableNames (the infra test checks the two lists are equal).
    tableNames: [
      'AlertRules'
      'PollState'
      'AlertOutbox'
      'RuleHistory'
      'ChangeWindows'
      'Channels'
      'Tenants'
      'ChannelPacing'
    ]
    queueNames: ['tenant-polls', 'tenant-polls-poison']
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    logAnalyticsName: 'log-${baseName}-${resourceToken}'
    appInsightsName: 'appi-${baseName}-${resourceToken}'
    location: location
    tags: tags
  }
}

module keyVault 'modules/keyVault.bicep' = {
  name: 'keyVault'
  params: {
    name: 'kv${baseName}${resourceToken}'
    location: location
    tags: tags
    softDeleteRetentionInDays: keyVaultSoftDeleteRetentionInDays
  }
}

module roleAssignments 'modules/roleAssignments.bicep' = {
  name: 'roleAssignments'
  params: {
    principalId: identity.outputs.principalId
    storageAccountName: storage.outputs.name
    keyVaultName: keyVault.outputs.name
    appInsightsName: monitoring.outputs.appInsightsName
  }
}

module alertLogs 'modules/alertLogs.bicep' = if (enableAlertLogs) {
  name: 'alertLogs'
  params: {
    location: location
    tags: tags
    workspaceName: monitoring.outputs.logAnalyticsName
    dataCollectionEndpointName: 'dce-${baseName}-${resourceToken}'
    dataCollectionRuleName: 'dcr-${baseName}-${resourceToken}'
    principalId: identity.outputs.principalId
  }
}

module functionApp 'modules/functionApp.bicep' = {
  name: 'functionApp'
  // The app must start with its data-plane roles in place (deployment package, host storage, Key Vault
  // references), so wait for the role assignments although no value flows from them.
  dependsOn: [roleAssignments]
  params: {
    planName: 'plan-${baseName}-${resourceToken}'
    appName: 'func-${baseName}-${resourceToken}'
    location: location
    tags: tags
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    deploymentContainerName: storage.outputs.deploymentContainerName
    appInsightsName: monitoring.outputs.appInsightsName
    keyVaultUri: keyVault.outputs.vaultUri
    teamsWebhookSecretName: teamsWebhookSecretName
    timerSchedule: timerSchedule
    heartbeatSchedule: heartbeatSchedule
    lookbackMinutes: lookbackMinutes
    intunePortalUrl: intunePortalUrl
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
    enableAppServiceAuth: enableAppServiceAuth
    authClientId: authClientId
    multiTenantAppClientId: multiTenantAppClientId
  }
}

// Read by the deploy step (azd stores them as environment variables). Names and ids only, no secrets.
output AZURE_RESOURCE_GROUP string = resourceGroup().name
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output AZURE_FUNCTION_APP_HOSTNAME string = functionApp.outputs.defaultHostName
output AZURE_IDENTITY_PRINCIPAL_ID string = identity.outputs.principalId
output AZURE_IDENTITY_CLIENT_ID string = identity.outputs.clientId
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output TEAMS_WEBHOOK_SECRET_NAME string = teamsWebhookSecretName
// Settings of an azure-monitor-logs channel (empty unless enableAlertLogs).
output ALERT_LOGS_INGESTION_ENDPOINT string = alertLogs.?outputs.ingestionEndpoint ?? ''
output ALERT_LOGS_DCR_IMMUTABLE_ID string = alertLogs.?outputs.dcrImmutableId ?? ''
output ALERT_LOGS_STREAM_NAME string = alertLogs.?outputs.streamName ?? ''
