// Storage account for the Functions host (timer checkpoints, singleton lock), the deployment package
// container and the app's state tables. Shared keys are disabled: everything uses Entra ID.

param name string
param location string
param tags object

@description('Blob container that holds the Flex Consumption deployment package.')
param deploymentContainerName string

@description('Tables the app keeps its rules and state in.')
param tableNames string[]

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

output name string = stg.name
output blobEndpoint string = stg.properties.primaryEndpoints.blob
output queueEndpoint string = stg.properties.primaryEndpoints.queue
output tableEndpoint string = stg.properties.primaryEndpoints.table
output deploymentContainerName string = deploymentContainer.name
