using 'main.bicep'

// Values come from the environment when set (azd exports its environment; plain `az` users can export
// them too), otherwise the defaults below. location defaults to the resource group's region.
// PKI_ALERTS_* names keep a local TIMER_SCHEDULE / LOOKBACK_MINUTES / MULTI_TENANT_APP_CLIENT_ID (used by
// `npm start`) out of Azure.
param baseName = readEnvironmentVariable('PKI_ALERTS_BASE_NAME', 'pkialerts')
param nameSuffix = readEnvironmentVariable('PKI_ALERTS_NAME_SUFFIX', '')
param environmentName = readEnvironmentVariable('AZURE_ENV_NAME', '')
param timerSchedule = readEnvironmentVariable('PKI_ALERTS_TIMER_SCHEDULE', '0 */1 * * * *')
param heartbeatSchedule = readEnvironmentVariable('PKI_ALERTS_HEARTBEAT_SCHEDULE', '0 0 8 * * *')
param lookbackMinutes = int(readEnvironmentVariable('PKI_ALERTS_LOOKBACK_MINUTES', '15'))
param teamsWebhookSecretName = readEnvironmentVariable('TEAMS_WEBHOOK_SECRET_NAME', 'teams-webhook-url')
param enableAppServiceAuth = bool(readEnvironmentVariable('ENABLE_APP_SERVICE_AUTH', 'false'))
param authClientId = readEnvironmentVariable('AUTH_CLIENT_ID', '')
param multiTenantAppClientId = readEnvironmentVariable('PKI_ALERTS_MULTI_TENANT_APP_CLIENT_ID', '')
param enableAlertLogs = bool(readEnvironmentVariable('PKI_ALERTS_ENABLE_LOGS', 'false'))
