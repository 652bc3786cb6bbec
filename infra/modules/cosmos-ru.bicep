// Cosmos DB for MongoDB (RU), serverless: pay per request unit, nothing when idle.
// Declares the database, the app's collections and their indexes (lib/adapters/job_store.py
// and tenant_store.py), and stores the connection string in Key Vault.

@description('Name of the Cosmos DB account (3-44 lowercase letters, digits, hyphens).')
param accountName string

@description('Azure region.')
param location string

@description('Tags for the account.')
param tags object

@description('The app\'s MONGODB_DATABASE.')
param databaseName string

@description('MongoDB wire-protocol version the account speaks.')
param serverVersion string

@description('Vault that receives the connection string.')
param keyVaultName string

@description('Name of the secret holding the connection string (the app\'s MONGODB_URI).')
param mongoUriSecretName string

// The app's indexes, by collection. ARM cannot name an index nor give a key a direction, so
// these are the app's key lists (ascending); the app's own names are in the comments. The
// unique index must exist before the first document: Cosmos DB builds unique indexes only on
// empty collections.
var collections = [
  {
    name: 'parsing_jobs'
    indexes: [
      { key: { keys: ['_id'] } }
      { key: { keys: ['tenant_id', 'created_at'] } } // tenant_created
      { key: { keys: ['status', 'next_attempt_at'] } } // status_next_attempt
      { key: { keys: ['status', 'lease.expires_at'] } } // status_lease_expiry
      { key: { keys: ['status', 'created_at'] } } // status_created
      { key: { keys: ['status', 'message_sent'] } } // status_message_sent
      { key: { keys: ['webhook.state', 'webhook.next_attempt_at'] } } // webhook_state_next
      { key: { keys: ['tenant_id', 'project_id', 'created_at', '_id'] } } // project_created
      { key: { keys: ['tenant_id', 'project_id', 'status', 'created_at'] } } // project_status_created
      { key: { keys: ['tenant_id', 'status'] } } // tenant_status (quotas: jobs in flight, parses at once)
    ]
  }
  {
    name: 'parsed_reports'
    indexes: [
      { key: { keys: ['_id'] } }
      { key: { keys: ['job_id'] } } // job
    ]
  }
  {
    name: 'tenants'
    indexes: [
      { key: { keys: ['_id'] } }
      { key: { keys: ['api_keys.key_id'] } } // api_key_id
    ]
  }
  {
    name: 'projects'
    indexes: [
      { key: { keys: ['_id'] } }
      { key: { keys: ['tenant_id', 'project_id'] }, options: { unique: true } } // tenant_project
    ]
  }
  {
    name: 'ai_models'
    indexes: [
      { key: { keys: ['_id'] } }
    ]
  }
  {
    name: 'sweeper_state'
    indexes: [
      { key: { keys: ['_id'] } }
    ]
  }
  // Cosmos DB RU expires documents only through _ts (the time of the last write): the app's TTL
  // indexes on expires_at are refused here, so these take their place.
  {
    name: 'idempotency_keys'
    indexes: [
      { key: { keys: ['_id'] } }
      { key: { keys: ['tenant_id', 'job_id'] } } // tenant_job
      { key: { keys: ['_ts'] }, options: { expireAfterSeconds: 86400 } } // 24 h, the replay window
    ]
  }
  {
    name: 'quota_windows'
    indexes: [
      { key: { keys: ['_id'] } }
      { key: { keys: ['_ts'] }, options: { expireAfterSeconds: 600 } } // a minute's counter, kept 10 min
    ]
  }
  {
    name: 'tenant_limits'
    indexes: [
      { key: { keys: ['_id'] } }
    ]
  }
]

resource account 'Microsoft.DocumentDB/databaseAccounts@2024-11-15' = {
  // checkov:skip=CKV_AZURE_99: Flex Consumption without VNet integration has no private path or fixed outbound IPs; access needs the account key, kept only in Key Vault
  // checkov:skip=CKV_AZURE_101: Flex Consumption without VNet integration has no private path or fixed outbound IPs; access needs the account key, kept only in Key Vault
  // checkov:skip=CKV_AZURE_132: the app creates its indexes at start-up with the account key (ensure_indexes); blocking key-based metadata writes would stop it
  name: accountName
  location: location
  tags: tags
  kind: 'MongoDB'
  properties: {
    databaseAccountOfferType: 'Standard'
    locations: [
      {
        locationName: location
        failoverPriority: 0
        isZoneRedundant: false
      }
    ]
    consistencyPolicy: {
      defaultConsistencyLevel: 'Session'
    }
    apiProperties: {
      serverVersion: serverVersion
    }
    capabilities: [
      {
        name: 'EnableMongo'
      }
      {
        name: 'EnableServerless'
      }
      {
        // Server-side retry: the service retries throttled requests (error 16500) itself
        // within the request's time-out before it answers the client.
        name: 'DisableRateLimitingResponses'
      }
    ]
    minimalTlsVersion: 'Tls12'
    publicNetworkAccess: 'Enabled'
    disableLocalAuth: false
    backupPolicy: {
      type: 'Continuous'
      continuousModeProperties: {
        tier: 'Continuous7Days'
      }
    }
  }
}

resource database 'Microsoft.DocumentDB/databaseAccounts/mongodbDatabases@2024-11-15' = {
  parent: account
  name: databaseName
  properties: {
    resource: {
      id: databaseName
    }
  }
}

resource collection 'Microsoft.DocumentDB/databaseAccounts/mongodbDatabases/collections@2024-11-15' = [
  for spec in collections: {
    parent: database
    name: spec.name
    properties: {
      resource: {
        id: spec.name
        indexes: spec.indexes
      }
    }
  }
]

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

// Cosmos DB does not support retryable writes: retrywrites=false is required.
resource mongoUriSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  // checkov:skip=CKV_AZURE_41: the app reads this secret for as long as it runs; an expiry date would stop it. Rotation is manual (docs/deploy.md)
  parent: vault
  name: mongoUriSecretName
  properties: {
    value: 'mongodb://${account.name}:${uriComponent(account.listKeys().primaryMasterKey)}@${account.name}.mongo.cosmos.azure.com:10255/?ssl=true&replicaSet=globaldb&retrywrites=false&maxIdleTimeMS=120000&appName=@${account.name}@'
    contentType: 'text/plain'
  }
}

output accountName string = account.name
