// Optional (main.bicep: enableAlertLogs, off by default): the Azure Monitor Logs channel's destination.
// A custom table in the app's Log Analytics workspace, a data collection endpoint, a data collection rule
// whose stream declares the row's columns (src/notifiers/azureMonitorLogs/logsRow.ts: keep both in step),
// and "Monitoring Metrics Publisher" on the DCR for the app's identity (Logs Ingestion API,
// docs/reference/alert-delivery.md §14). Sentinel analytics rule over the table: docs/channels.md.

param location string
param tags object

@description('Log Analytics workspace that receives the rows (created by monitoring.bicep).')
param workspaceName string

param dataCollectionEndpointName string
param dataCollectionRuleName string

@description('Object (principal) id of the app\'s user-assigned managed identity.')
param principalId string

@description('Days the custom table keeps rows.')
@minValue(30)
@maxValue(730)
param retentionInDays int = 90

var tableName = 'CloudPkiAlerts_CL'
var streamName = 'Custom-${tableName}'
var monitoringMetricsPublisher = '3913510d-42f4-4e42-8a64-420c390055eb'

// One list for the table schema and the stream declaration.
var columns = [
  { name: 'TimeGenerated', type: 'datetime' }
  { name: 'AlertId', type: 'string' }
  { name: 'DeliveryId', type: 'string' }
  { name: 'Kind', type: 'string' }
  { name: 'TenantId', type: 'string' }
  { name: 'TenantName', type: 'string' }
  { name: 'RuleId', type: 'string' }
  { name: 'RuleName', type: 'string' }
  { name: 'Title', type: 'string' }
  { name: 'Severity', type: 'string' }
  { name: 'ActivityType', type: 'string' }
  { name: 'ActivityResult', type: 'string' }
  { name: 'Actor', type: 'string' }
  { name: 'ActorIpAddress', type: 'string' }
  { name: 'CaName', type: 'string' }
  { name: 'CaId', type: 'string' }
  { name: 'CaStatus', type: 'string' }
  { name: 'EventCount', type: 'int' }
  { name: 'FailedSampleEvents', type: 'int' }
  { name: 'FirstEventTime', type: 'datetime' }
  { name: 'LastEventTime', type: 'datetime' }
  { name: 'CorrelationId', type: 'string' }
  { name: 'EventIds', type: 'dynamic' }
  { name: 'DigestAlertIds', type: 'dynamic' }
  { name: 'PossibleDuplicate', type: 'boolean' }
  { name: 'IntuneAuditLogUrl', type: 'string' }
  { name: 'RunbookUrl', type: 'string' }
]

resource law 'Microsoft.OperationalInsights/workspaces@2025-02-01' existing = {
  name: workspaceName
}

resource table 'Microsoft.OperationalInsights/workspaces/tables@2025-02-01' = {
  parent: law
  name: tableName
  properties: {
    plan: 'Analytics'
    retentionInDays: retentionInDays
    schema: {
      name: tableName
      columns: columns
    }
  }
}

resource dce 'Microsoft.Insights/dataCollectionEndpoints@2024-03-11' = {
  name: dataCollectionEndpointName
  location: location
  tags: tags
  properties: {
    networkAcls: { publicNetworkAccess: 'Enabled' }
  }
}

resource dcr 'Microsoft.Insights/dataCollectionRules@2024-03-11' = {
  name: dataCollectionRuleName
  location: location
  tags: tags
  // The table must exist before a data flow can name its stream.
  dependsOn: [table]
  properties: {
    dataCollectionEndpointId: dce.id
    streamDeclarations: {
      '${streamName}': { columns: columns }
    }
    destinations: {
      logAnalytics: [{ name: 'workspace', workspaceResourceId: law.id }]
    }
    dataFlows: [
      {
        streams: [streamName]
        destinations: ['workspace']
        transformKql: 'source'
        outputStream: streamName
      }
    ]
  }
}

resource publisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(dcr.id, principalId, monitoringMetricsPublisher)
  scope: dcr
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', monitoringMetricsPublisher)
  }
}

// The channel's settings (none is a secret): PUT /api/channels/{id} { type: azure-monitor-logs, settings }.
output ingestionEndpoint string = dce.properties.logsIngestion.endpoint
output dcrImmutableId string = dcr.properties.immutableId
output streamName string = streamName
