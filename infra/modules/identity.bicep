// The one user-assigned managed identity of the app: Graph, Table Storage, host storage, deployment
// package, Key Vault references and Application Insights ingestion all use it.

@description('Name of the user-assigned managed identity.')
param name string

param location string
param tags object

resource uami 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' = {
  name: name
  location: location
  tags: tags
}

output id string = uami.id
output name string = uami.name
output principalId string = uami.properties.principalId
output clientId string = uami.properties.clientId
