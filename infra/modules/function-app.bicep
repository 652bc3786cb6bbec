// The function app on the Flex Consumption plan (FC1). Runtime, scale and the deployment
// package location live in functionAppConfig; Flex rejects the app settings that used to carry
// them (FUNCTIONS_WORKER_RUNTIME, FUNCTIONS_EXTENSION_VERSION, WEBSITE_RUN_FROM_PACKAGE,
// WEBSITE_CONTENT*, ...), so none appear here or in main.bicep's appSettings.

@description('Name of the function app (globally unique host name).')
param name string

@description('Name of the Flex Consumption plan.')
param planName string

@description('Azure region.')
param location string

@description('Tags for both resources; the app also gets azd-service-name.')
param tags object

@description('Resource id of the user-assigned identity the app runs as.')
param identityId string

@description('Blob endpoint of the storage account holding the deployment package container.')
param storageBlobEndpoint string

@description('Container Flex Consumption deploys the package from.')
param deploymentContainerName string

@description('Upper bound of instances the app scales out to.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int

@description('Memory of each instance, in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int

@description('Concurrent HTTP invocations per instance (Flex Consumption perInstanceConcurrency).')
@minValue(1)
@maxValue(1000)
param httpPerInstanceConcurrency int

@description('Every app setting, built in main.bicep.')
param appSettings object

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  // checkov:skip=CKV_AZURE_225: Flex Consumption zone redundancy is region-dependent; not enabled by default
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    reserved: true
  }
}

resource app 'Microsoft.Web/sites@2024-04-01' = {
  // checkov:skip=CKV_AZURE_222: the public HTTP API of the service; callers authenticate with X-API-Key
  // checkov:skip=CKV_AZURE_17: clients authenticate with X-API-Key, not client certificates
  // checkov:skip=CKV_AZURE_13: clients authenticate with X-API-Key; App Service Authentication would refuse them
  // checkov:skip=CKV_AZURE_78: Flex Consumption has no FTP endpoint; packages deploy through the blob container
  // checkov:skip=CKV_AZURE_18: HTTP version left to the Flex Consumption front end
  // checkov:skip=CKV_AZURE_67: HTTP version left to the Flex Consumption front end
  // checkov:skip=CKV_AZURE_212: Flex Consumption scales from zero; always-ready instances are an opt-in cost
  // checkov:skip=CKV_AZURE_213: Flex Consumption manages instance health; the app has no health route
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': 'api' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    // Key Vault references in app settings resolve as this identity (it holds Key Vault Secrets User).
    keyVaultReferenceIdentity: identityId
    siteConfig: {
      minTlsVersion: '1.2'
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storageBlobEndpoint}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
        // HTTP functions share their own instances (queue functions scale on theirs): this
        // caps the uploads one instance holds at once (README "Memory").
        triggers: {
          http: {
            perInstanceConcurrency: httpPerInstanceConcurrency
          }
        }
      }
      runtime: {
        name: 'python'
        version: '3.11'
      }
    }
  }
}

resource settings 'Microsoft.Web/sites/config@2024-04-01' = {
  // checkov:skip=CKV_AZURE_13: app settings, not site config (checkov treats sites/config as a web app); see the app resource
  // checkov:skip=CKV_AZURE_63: app settings, not site config; logs go to Application Insights
  // checkov:skip=CKV_AZURE_65: app settings, not site config; logs go to Application Insights
  // checkov:skip=CKV_AZURE_66: app settings, not site config; logs go to Application Insights
  // checkov:skip=CKV_AZURE_80: app settings, not site config; a Python app has no .NET version
  // checkov:skip=CKV_AZURE_88: app settings, not site config; Flex Consumption uses no Azure Files share
  // checkov:skip=CKV_AZURE_222: app settings, not site config; see the app resource
  parent: app
  name: 'appsettings'
  properties: appSettings
}

output name string = app.name
output defaultHostName string = app.properties.defaultHostName
