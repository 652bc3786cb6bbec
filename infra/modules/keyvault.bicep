// Key Vault for the app's secrets, read through Key Vault references in app settings.
// RBAC authorization only (no access policies); soft delete and purge protection on, so a
// deleted secret or vault can be recovered but never purged early.

@description('Name of the vault (3-24 characters, globally unique).')
param name string

@description('Azure region.')
param location string

@description('Tags for the vault.')
param tags object

@description('Days a deleted vault or secret is kept before it is purged.')
@minValue(7)
@maxValue(90)
param softDeleteRetentionDays int

@description('Name of the secret holding the Gemini API key.')
param geminiApiKeySecretName string

@secure()
@description('Gemini API key. Empty: a blank placeholder is stored, which the app reads as "not set" (it then uses the local parser) until a real key is stored.')
param geminiApiKey string = ''

// The app treats a blank GEMINI_API_KEY as unset (lib/settings.py strips values), so PARSER=auto
// falls back to the local parser instead of calling Gemini with a bogus key. Key Vault does not
// store an empty value, hence one space.
var geminiApiKeyPlaceholder = ' '

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  // checkov:skip=CKV_AZURE_109: Flex Consumption without VNet integration has no private path or fixed outbound IPs; access is Entra-only; the platform resolves Key Vault references over the public endpoint (RBAC-only vault)
  // checkov:skip=CKV_AZURE_189: Flex Consumption without VNet integration has no private path or fixed outbound IPs; access is Entra-only; the platform resolves Key Vault references over the public endpoint (RBAC-only vault)
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: softDeleteRetentionDays
    enablePurgeProtection: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }
}

resource geminiApiKeySecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  // checkov:skip=CKV_AZURE_41: the app reads this secret for as long as it runs; an expiry date would stop it. Rotation is manual (docs/deploy.md)
  parent: vault
  name: geminiApiKeySecretName
  properties: {
    value: empty(geminiApiKey) ? geminiApiKeyPlaceholder : geminiApiKey
    contentType: 'text/plain'
  }
}

output name string = vault.name
output uri string = vault.properties.vaultUri
output geminiApiKeySecretUri string = geminiApiKeySecret.properties.secretUri
