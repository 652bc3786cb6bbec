// Medical report parser on Azure: Functions (Flex Consumption) + Storage + Cosmos DB for MongoDB
// + Key Vault + Application Insights. Deployed with `azd up` (see docs/deploy.md).
targetScope = 'subscription'

// -- azd conventions -----------------------------------------------------------------------

@minLength(1)
@maxLength(64)
@description('Name of the azd environment; names the resource group and seeds every resource name.')
param environmentName string

@minLength(1)
@description('Azure region of every resource (must offer Flex Consumption).')
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Object id of the deploying user (azd sets AZURE_PRINCIPAL_ID); empty to grant nobody data access.')
param principalId string = ''

@description('Kind of principalId: a person, or a pipeline\'s service principal.')
@allowed([
  'User'
  'ServicePrincipal'
])
param principalType string = 'User'

// -- database ------------------------------------------------------------------------------

@description('serverless: Cosmos DB for MongoDB (RU) serverless; vcore: Cosmos DB for MongoDB vCore cluster.')
@allowed([
  'serverless'
  'vcore'
])
param cosmosMode string = 'serverless'

@description('MongoDB server version (7.0 is the newest the RU API offers).')
param mongoServerVersion string = '7.0'

@description('The app\'s MONGODB_DATABASE.')
param mongoDatabaseName string = 'medical_report_parser'

@description('vCore only: administrator user name.')
param mongoAdminUser string = 'mrpadmin'

@secure()
@description('vCore only: administrator password (at least 8 characters). Unused, and may be left empty, in serverless mode.')
param mongoAdminPassword string

@description('vCore only: compute tier (M10/M20 burstable for dev, M30+ for production).')
param vcoreComputeTier string = 'M30'

@description('vCore only: disk size per node, GiB.')
param vcoreStorageSizeGb int = 32

@description('vCore only: zone-redundant standby node (doubles compute cost).')
param vcoreHighAvailability bool = false

@description('vCore only: public IPv4 address of the operator running tools.admin, allowed through the cluster firewall; empty for none.')
param mongoClientIpAddress string = ''

// -- app tunables --------------------------------------------------------------------------

@secure()
@description('Gemini API key, stored in Key Vault. Empty: a blank placeholder (the app then uses the local parser); set it later (docs/deploy.md).')
param geminiApiKey string = ''

@description('PARSER: auto (Gemini when a key is set, else local), gemini, local.')
@allowed([
  'auto'
  'gemini'
  'local'
])
param parser string = 'auto'

@description('GEMINI_MODEL: default model (a project\'s ai_models entry overrides it).')
param geminiModel string = 'gemini-3.5-flash'

@description('GEMINI_BASE_URL: another Gemini endpoint (proxy, regional); empty for the default.')
param geminiBaseUrl string = ''

@description('MAX_ATTEMPTS: parse attempts per job, transient failures included.')
@minValue(1)
param maxAttempts int = 3

@description('WEBHOOK_MAX_ATTEMPTS: delivery attempts per webhook.')
@minValue(1)
param webhookMaxAttempts int = 10

@description('SWEEP_SCHEDULE: NCRONTAB (six fields, seconds first) of the stuck-job sweeper.')
param sweepSchedule string = '0 * * * * *'

@description('Flex Consumption: most instances the app scales out to (caps cost and database load).')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 100

@description('Flex Consumption: memory per instance, MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

// An upload at MAX_UPLOAD_MB holds its ~51 MiB body in the host and the worker, plus one copy
// of its files: ~150 MB each; 4 at once stay under 0.6 GB beside the worker's ~0.3 GB (README "Memory").
@description('Flex Consumption: concurrent HTTP invocations (uploads, status reads) per instance.')
@minValue(1)
@maxValue(1000)
param httpPerInstanceConcurrency int = 4

// -- storage and retention -----------------------------------------------------------------

@description('AZURE_CONTAINER_NAME: private container of the report files.')
param reportContainerName string = 'medical-reports'

@description('PARSE_QUEUE_NAME: parse queue (poison queue: <name>-poison).')
param parseQueueName string = 'parse-jobs'

@description('WEBHOOK_QUEUE_NAME: webhook delivery queue (poison queue: <name>-poison).')
param webhookQueueName string = 'webhook-deliveries'

@description('Report blobs are deleted this many days after upload (lifecycle management).')
@minValue(1)
param reportRetentionDays int = 30

@description('Storage replication.')
@allowed([
  'Standard_LRS'
  'Standard_ZRS'
  'Standard_GRS'
  'Standard_GZRS'
])
param storageSkuName string = 'Standard_LRS'

@description('Days Log Analytics keeps logs.')
@minValue(30)
param logRetentionDays int = 30

// -- names ---------------------------------------------------------------------------------

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
}
var functionAppName = 'func-${resourceToken}'
var deploymentContainerName = 'app-package'
var mongoUriSecretName = 'MONGODB-URI'
var geminiApiKeySecretName = 'GEMINI-API-KEY'

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module identity 'modules/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: 'id-${resourceToken}'
    location: location
    tags: tags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: 'log-${resourceToken}'
    appInsightsName: 'appi-${resourceToken}'
    location: location
    tags: tags
    retentionInDays: logRetentionDays
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: 'st${resourceToken}'
    location: location
    tags: tags
    skuName: storageSkuName
    reportContainerName: reportContainerName
    deploymentContainerName: deploymentContainerName
    parseQueueName: parseQueueName
    webhookQueueName: webhookQueueName
    reportRetentionDays: reportRetentionDays
    softDeleteRetentionDays: 7
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  scope: rg
  params: {
    name: 'kv-${resourceToken}'
    location: location
    tags: tags
    softDeleteRetentionDays: 90
    geminiApiKeySecretName: geminiApiKeySecretName
    geminiApiKey: geminiApiKey
  }
}

module mongoRu 'modules/cosmos-ru.bicep' = if (cosmosMode == 'serverless') {
  name: 'cosmos-ru'
  scope: rg
  params: {
    accountName: 'cosmos-${resourceToken}'
    location: location
    tags: tags
    databaseName: mongoDatabaseName
    serverVersion: mongoServerVersion
    keyVaultName: keyVault.outputs.name
    mongoUriSecretName: mongoUriSecretName
  }
}

module mongoVcore 'modules/cosmos-vcore.bicep' = if (cosmosMode == 'vcore') {
  name: 'cosmos-vcore'
  scope: rg
  params: {
    clusterName: 'mongo-${resourceToken}'
    location: location
    tags: tags
    serverVersion: mongoServerVersion
    adminUser: mongoAdminUser
    adminPassword: mongoAdminPassword
    computeTier: vcoreComputeTier
    storageSizeGb: vcoreStorageSizeGb
    highAvailability: vcoreHighAvailability
    clientIpAddress: mongoClientIpAddress
    keyVaultName: keyVault.outputs.name
    mongoUriSecretName: mongoUriSecretName
  }
}

module rbac 'modules/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    storageAccountName: storage.outputs.name
    appInsightsName: monitoring.outputs.appInsightsName
    keyVaultName: keyVault.outputs.name
    appPrincipalId: identity.outputs.principalId
    userPrincipalId: principalId
    userPrincipalType: principalType
  }
}

// Every setting the app reads (local.settings.json.example), by the same name. Three are not
// here: FUNCTIONS_WORKER_RUNTIME (Flex sets the runtime in functionAppConfig), and the two
// storage connection strings, replaced by their identity-based forms (<name>__serviceUri...).
// Secrets are Key Vault references, resolved by the platform as the app's identity.
var appSettings = {
  // Functions host storage, identity-based.
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identity.outputs.clientId
  AzureWebJobsStorage__blobServiceUri: storage.outputs.blobEndpoint
  AzureWebJobsStorage__queueServiceUri: storage.outputs.queueEndpoint
  AzureWebJobsStorage__tableServiceUri: storage.outputs.tableEndpoint
  // The app's storage connection (queue triggers, blob and queue clients), identity-based.
  AZURE_STORAGE_CONNECTION_STRING__credential: 'managedidentity'
  AZURE_STORAGE_CONNECTION_STRING__clientId: identity.outputs.clientId
  AZURE_STORAGE_CONNECTION_STRING__blobServiceUri: storage.outputs.blobEndpoint
  AZURE_STORAGE_CONNECTION_STRING__queueServiceUri: storage.outputs.queueEndpoint
  // Application Insights with Entra authentication (local auth is disabled on the component).
  APPLICATIONINSIGHTS_CONNECTION_STRING: monitoring.outputs.appInsightsConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identity.outputs.clientId};Authorization=AAD'
  // The app's settings.
  AZURE_CONTAINER_NAME: reportContainerName
  PARSE_QUEUE_NAME: parseQueueName
  WEBHOOK_QUEUE_NAME: webhookQueueName
  MONGODB_URI: '@Microsoft.KeyVault(SecretUri=${keyVault.outputs.uri}secrets/${mongoUriSecretName})'
  MONGODB_DATABASE: mongoDatabaseName
  MONGODB_TIMEOUT_MS: '5000'
  PARSER: parser
  GEMINI_API_KEY: '@Microsoft.KeyVault(SecretUri=${keyVault.outputs.geminiApiKeySecretUri})'
  GEMINI_MODEL: geminiModel
  GEMINI_BASE_URL: geminiBaseUrl
  GEMINI_TIMEOUT_SECONDS: '120'
  MAX_ATTEMPTS: string(maxAttempts)
  LEASE_SECONDS: '720'
  RETRY_BASE_SECONDS: '10'
  RETRY_MAX_SECONDS: '600'
  MAX_FILE_MB: '25'
  MAX_UPLOAD_MB: '50'
  MAX_FILES: '10'
  MAX_PAGES: '300'
  // The host buffers each body before the app sees it: no more than the largest upload
  // (MAX_UPLOAD_MB) plus 1 MiB of multipart framing (Azure's default is 100 MB).
  FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: '53477376'
  PARSE_CPU_SECONDS: '60'
  PARSE_WALL_SECONDS: '120'
  PARSE_MEMORY_MB: '1536'
  PARSE_MAX_CONCURRENT: '2'
  AUTH_CACHE_SECONDS: '30'
  // Days a project's jobs, reports and files are kept unless the project sets its own.
  RETENTION_DAYS_DEFAULT: '30'
  // How long an upload's claim on its Idempotency-Key holds before a repeat may take it over.
  IDEMPOTENCY_LOCK_SECONDS: '60'
  // Per-tenant defaults (overridable per tenant with tools.admin set-tenant-limits).
  RATE_UPLOADS_PER_MINUTE: '600'
  MAX_JOBS_IN_FLIGHT: '1000'
  MAX_PARSES_PER_TENANT: '16'
  PARSE_DEFER_SECONDS: '5'
  UPLOAD_RETRY_AFTER_SECONDS: '5'
  WEBHOOK_TIMEOUT_SECONDS: '10'
  WEBHOOK_MAX_ATTEMPTS: string(webhookMaxAttempts)
  WEBHOOK_RETRY_BASE_SECONDS: '5'
  WEBHOOK_ALLOW_HTTP: 'false'
  WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'false'
  WEBHOOK_ALLOWED_PORTS: '443,80,8443'
  SWEEP_SCHEDULE: sweepSchedule
  SWEEP_BATCH_SIZE: '100'
  SWEEP_STALE_MESSAGE_SECONDS: '300'
  JOB_DEADLINE_MINUTES: '60'
  ORPHAN_BLOB_GRACE_MINUTES: '60'
  // Sync functions share the worker's thread pool: room for the queue invocations (4) and HTTP (4).
  PYTHON_THREADPOOL_THREAD_COUNT: '32'
}

module functionApp 'modules/function-app.bicep' = {
  name: 'function-app'
  scope: rg
  params: {
    name: functionAppName
    planName: 'plan-${resourceToken}'
    location: location
    tags: tags
    identityId: identity.outputs.id
    storageBlobEndpoint: storage.outputs.blobEndpoint
    deploymentContainerName: deploymentContainerName
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
    httpPerInstanceConcurrency: httpPerInstanceConcurrency
    appSettings: appSettings
  }
  // Key Vault references resolve when the settings are written: the secrets and the
  // identity's access to them must exist first.
  dependsOn: [
    rbac
    mongoRu
    mongoVcore
  ]
}

// Azure's check of GET /api/health (Flex Consumption has no App Service health check).
module availability 'modules/availability.bicep' = {
  name: 'availability'
  scope: rg
  params: {
    name: 'avail-${resourceToken}'
    location: location
    tags: tags
    appInsightsId: monitoring.outputs.appInsightsId
    hostName: functionApp.outputs.defaultHostName
  }
}

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output AZURE_FUNCTION_APP_URL string = 'https://${functionApp.outputs.defaultHostName}'
output AZURE_MANAGED_IDENTITY_CLIENT_ID string = identity.outputs.clientId
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output AZURE_STORAGE_BLOB_ENDPOINT string = storage.outputs.blobEndpoint
output AZURE_STORAGE_QUEUE_ENDPOINT string = storage.outputs.queueEndpoint
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
output AZURE_KEY_VAULT_ENDPOINT string = keyVault.outputs.uri
output AZURE_COSMOS_MODE string = cosmosMode
output AZURE_MONGODB_DATABASE string = mongoDatabaseName
output AZURE_MONGODB_RESOURCE_NAME string = cosmosMode == 'vcore' ? 'mongo-${resourceToken}' : 'cosmos-${resourceToken}'
output APPLICATIONINSIGHTS_NAME string = monitoring.outputs.appInsightsName
output AZURE_LOG_ANALYTICS_WORKSPACE_NAME string = monitoring.outputs.workspaceName
