// Key Vault for destination secrets (the Teams Workflows webhook URL). RBAC authorization only, soft
// delete + purge protection. Secrets are created out of band (docs/deploy.md), never by this template.

param name string
param location string
param tags object

@minValue(7)
@maxValue(90)
@description('Soft-delete retention. With purge protection the vault name stays reserved this long after deletion.')
param softDeleteRetentionInDays int = 90

resource kv 'Microsoft.KeyVault/vaults@2025-05-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
    enableSoftDelete: true
    enablePurgeProtection: true
    softDeleteRetentionInDays: softDeleteRetentionInDays
    enabledForDeployment: false
    enabledForTemplateDeployment: false
    enabledForDiskEncryption: false
    publicNetworkAccess: 'Enabled' // no VNet integration; access is Entra ID + RBAC only
    networkAcls: { defaultAction: 'Allow', bypass: 'AzureServices' }
  }
}

output name string = kv.name
output vaultUri string = kv.properties.vaultUri
