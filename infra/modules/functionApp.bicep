// Flex Consumption (FC1) plan + Linux function app (Node 22) running as the user-assigned identity.
// App settings: identity-based host storage, Entra-authenticated App Insights, and the app's own
// settings from src/config/settings.ts that Azure needs (the infra test checks this contract).

param planName string
param appName string
param location string
param tags object

@description('Resource id of the user-assigned managed identity.')
param identityId string
@description('Client id of the user-assigned managed identity.')
param identityClientId string

param storageAccountName string
param deploymentContainerName string
param appInsightsName string
@description('Vault URI, e.g. https://<vault>.vault.azure.net/')
param keyVaultUri string
param teamsWebhookSecretName string

param timerSchedule string
param heartbeatSchedule string
param lookbackMinutes int
param intunePortalUrl string
param maximumInstanceCount int
param instanceMemoryMB int

param enableAppServiceAuth bool
param authClientId string

@description('Client id of the multi-tenant app registration (federated credential of the identity); empty = home tenant only.')
param multiTenantAppClientId string

resource stg 'Microsoft.Storage/storageAccounts@2025-06-01' existing = {
  name: storageAccountName
}

resource appi 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

var blobEndpoint = stg.properties.primaryEndpoints.blob
var tableEndpoint = stg.properties.primaryEndpoints.table // ends with '/'
// TABLES_SERVICE_URI as documented in settings.ts: https://<account>.table.core.windows.net (no trailing '/').
var tableServiceUri = endsWith(tableEndpoint, '/') ? take(tableEndpoint, length(tableEndpoint) - 1) : tableEndpoint
var queueEndpoint = stg.properties.primaryEndpoints.queue // ends with '/'
// QUEUES_SERVICE_URI likewise: https://<account>.queue.core.windows.net (no trailing '/').
var queueServiceUri = endsWith(queueEndpoint, '/') ? take(queueEndpoint, length(queueEndpoint) - 1) : queueEndpoint

resource plan 'Microsoft.Web/serverfarms@2025-03-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: { name: 'FC1', tier: 'FlexConsumption' }
  properties: { reserved: true }
}

resource site 'Microsoft.Web/sites@2025-03-01' = {
  name: appName
  location: location
  tags: union(tags, { 'azd-service-name': 'api' })
  kind: 'functionapp,linux'
  identity: { type: 'UserAssigned', userAssignedIdentities: { '${identityId}': {} } }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    clientCertEnabled: false
    keyVaultReferenceIdentity: identityId
    siteConfig: {
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
      appSettings: [
        // Host storage, identity-based. Never an (empty) AzureWebJobsStorage next to these.
        { name: 'AzureWebJobsStorage__credential', value: 'managedidentity' }
        { name: 'AzureWebJobsStorage__clientId', value: identityClientId }
        { name: 'AzureWebJobsStorage__blobServiceUri', value: blobEndpoint }
        // Also the connection of the queue triggers (pollTenant on tenant-polls, tenantPollPoison).
        { name: 'AzureWebJobsStorage__queueServiceUri', value: queueEndpoint }
        { name: 'AzureWebJobsStorage__tableServiceUri', value: tableEndpoint }
        // Telemetry with Entra auth (local auth is disabled on the component).
        { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: appi.properties.ConnectionString }
        { name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING', value: 'ClientId=${identityClientId};Authorization=AAD' }
        // The app's own settings (src/config/settings.ts).
        { name: 'TABLES_SERVICE_URI', value: tableServiceUri }
        // The timer enqueues one tenant-polls message per due tenant through this endpoint (identity-based).
        { name: 'QUEUES_SERVICE_URI', value: queueServiceUri }
        { name: 'AZURE_TENANT_ID', value: tenant().tenantId }
        { name: 'AZURE_CLIENT_ID', value: identityClientId }
        { name: 'TIMER_SCHEDULE', value: timerSchedule }
        // Empty = no heartbeat function (a timer cannot be registered with an empty schedule).
        { name: 'HEARTBEAT_SCHEDULE', value: heartbeatSchedule }
        { name: 'LOOKBACK_MINUTES', value: string(lookbackMinutes) }
        {
          name: 'TEAMS_WEBHOOK_URL'
          value: '@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/${teamsWebhookSecretName}/)'
        }
        { name: 'INTUNE_PORTAL_URL', value: intunePortalUrl }
        // With App Service Authentication in front, Entra app roles decide; otherwise function keys do.
        { name: 'ADMIN_AUTH_MODE', value: enableAppServiceAuth ? 'entra' : 'key' }
        // The app registration Authentication must use: the app serves admin routes only while the platform
        // reports Authentication on with this client id (src/config/adminAuthPosture.ts); else 503, fail closed.
        { name: 'ADMIN_AUTH_CLIENT_ID', value: enableAppServiceAuth ? authClientId : '' }
        // Empty = only the home tenant can be polled; registered tenants then show consent-missing.
        { name: 'MULTI_TENANT_APP_CLIENT_ID', value: multiTenantAppClientId }
      ]
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${blobEndpoint}${deploymentContainerName}'
          authentication: { type: 'UserAssignedIdentity', userAssignedIdentityResourceId: identityId }
        }
      }
      scaleAndConcurrency: { instanceMemoryMB: instanceMemoryMB, maximumInstanceCount: maximumInstanceCount }
      runtime: { name: 'node', version: '22' }
    }
  }
}

// No basic (user/password) publishing: deployments use Entra ID (azd / az functionapp deployment).
resource ftpCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2025-03-01' = {
  parent: site
  name: 'ftp'
  properties: { allow: false }
}

resource scmCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2025-03-01' = {
  parent: site
  name: 'scm'
  properties: { allow: false }
}

// Optional App Service Authentication (Entra ID) in front of the HTTP admin API. Timer triggers are not
// HTTP and are unaffected. Callers need a token for audience api://<authClientId> (or the client id).
resource auth 'Microsoft.Web/sites/config@2025-03-01' = if (enableAppServiceAuth) {
  parent: site
  name: 'authsettingsV2'
  properties: {
    platform: { enabled: true }
    globalValidation: {
      requireAuthentication: true
      unauthenticatedClientAction: 'Return401'
      // Load balancers and uptime checks reach the anonymous health verdict (no detail, nothing secret).
      excludedPaths: ['/api/health']
    }
    httpSettings: { requireHttps: true }
    login: { tokenStore: { enabled: false } }
    identityProviders: {
      azureActiveDirectory: {
        enabled: true
        registration: {
          clientId: authClientId
          openIdIssuer: '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'
        }
        validation: {
          allowedAudiences: ['api://${authClientId}', authClientId]
        }
      }
    }
  }
}

output name string = site.name
output defaultHostName string = site.properties.defaultHostName
