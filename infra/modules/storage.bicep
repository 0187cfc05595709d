// Storage account for the Functions host (timer checkpoints, singleton lock), the deployment package
// container, the per-tenant poll queues and the app's state tables. Shared keys are disabled: everything
// uses Entra ID.

param name string
param location string
param tags object

@description('Blob container that holds the Flex Consumption deployment package.')
param deploymentContainerName string

@description('Tables the app keeps its rules and state in.')
param tableNames string[]

@description('Queues: the per-tenant poll queue and its poison queue (docs/multi-tenant.md).')
param queueNames string[]

resource stg 'Microsoft.Storage/storageAccounts@2025-06-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: { name: 'Standard_LRS' }
  properties: {
    accessTier: 'Hot'
    allowSharedKeyAccess: false
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled' // no VNet integration; access is Entra ID + RBAC only
    networkAcls: { defaultAction: 'Allow', bypass: 'AzureServices' }
  }
}

resource blobs 'Microsoft.Storage/storageAccounts/blobServices@2025-06-01' = {
  parent: stg
  name: 'default'
}

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2025-06-01' = {
  parent: blobs
  name: deploymentContainerName
  properties: { publicAccess: 'None' }
}

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2025-06-01' = {
  parent: stg
  name: 'default'
}

resource tables 'Microsoft.Storage/storageAccounts/tableServices/tables@2025-06-01' = [
  for t in tableNames: {
    parent: tableService
    name: t
  }
]

// The timer enqueues one message per due tenant; `pollTenant` is triggered by the first queue. The Functions
// host moves a message that failed maxDequeueCount times (host.json) to `<queue>-poison` and would create
// that queue on first use; it is declared here so `tenantPollPoison` has its queue from the start.
resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2025-06-01' = {
  parent: stg
  name: 'default'
}

resource queues 'Microsoft.Storage/storageAccounts/queueServices/queues@2025-06-01' = [
  for q in queueNames: {
    parent: queueService
    name: q
  }
]

output name string = stg.name
output blobEndpoint string = stg.properties.primaryEndpoints.blob
output queueEndpoint string = stg.properties.primaryEndpoints.queue
output tableEndpoint string = stg.properties.primaryEndpoints.table
output deploymentContainerName string = deploymentContainer.name
