// Azure Cosmos DB for MongoDB (vCore): a cluster billed per node-hour, real MongoDB
// semantics (no RU throttling). The app creates its collections and indexes on first start.
// Stores the connection string in Key Vault.

@description('Name of the cluster (3-40 lowercase letters, digits, hyphens).')
param clusterName string

@description('Azure region.')
param location string

@description('Tags for the cluster.')
param tags object

@description('MongoDB version of the cluster.')
param serverVersion string

@description('Administrator user name.')
param adminUser string

@secure()
@minLength(8)
@maxLength(128)
@description('Administrator password.')
param adminPassword string

@description('Compute tier, e.g. M10 (burstable, dev), M30, M40.')
param computeTier string

@description('Disk size per node, in GiB.')
param storageSizeGb int

@description('Zone-redundant standby (high availability); doubles the compute cost.')
param highAvailability bool

@description('Public IPv4 address allowed besides Azure services (the operator running tools.admin); empty for none.')
param clientIpAddress string

@description('Vault that receives the connection string.')
param keyVaultName string

@description('Name of the secret holding the connection string (the app\'s MONGODB_URI).')
param mongoUriSecretName string

resource cluster 'Microsoft.DocumentDB/mongoClusters@2024-07-01' = {
  name: clusterName
  location: location
  tags: tags
  properties: {
    administrator: {
      userName: adminUser
      password: adminPassword
    }
    serverVersion: serverVersion
    compute: {
      tier: computeTier
    }
    storage: {
      sizeGb: storageSizeGb
    }
    sharding: {
      shardCount: 1
    }
    highAvailability: {
      targetMode: highAvailability ? 'ZoneRedundantPreferred' : 'Disabled'
    }
    publicNetworkAccess: 'Enabled'
  }
}

// Flex Consumption without VNet integration has no fixed outbound addresses: allow Azure services.
resource allowAzureServices 'Microsoft.DocumentDB/mongoClusters/firewallRules@2024-07-01' = {
  parent: cluster
  name: 'AllowAllAzureServicesAndResourcesWithinAzureIps'
  properties: {
    startIpAddress: '0.0.0.0'
    endIpAddress: '0.0.0.0'
  }
}

resource allowClient 'Microsoft.DocumentDB/mongoClusters/firewallRules@2024-07-01' = if (!empty(clientIpAddress)) {
  parent: cluster
  name: 'AllowOperatorClient'
  properties: {
    startIpAddress: clientIpAddress
    endIpAddress: clientIpAddress
  }
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

// The cluster's connection string carries <user>/<password> placeholders (and retrywrites=false).
resource mongoUriSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  // checkov:skip=CKV_AZURE_41: the app reads this secret for as long as it runs; an expiry date would stop it. Rotation is manual (docs/deploy.md)
  parent: vault
  name: mongoUriSecretName
  properties: {
    value: replace(replace(cluster.properties.connectionString, '<user>', uriComponent(adminUser)), '<password>', uriComponent(adminPassword))
    contentType: 'text/plain'
  }
}

output clusterName string = cluster.name
