// The vault holding the deployer's signing key: an EC key on secp256k1 (P-256K) that signs
// transactions (ES256K) inside the vault; its private part never leaves it. RBAC mode, purge
// protection on: a deleted key that funded contracts must be recoverable.
param name string
param location string
param tags object
@description('Identities that may sign with the key, as { id, type }.')
param signers array

// Key Vault Crypto User: get the key and sign with it; no create, delete or export.
var cryptoUserRole = '12338af0-0e69-4776-bea7-57ae8d297424'

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    enablePurgeProtection: true
    publicNetworkAccess: 'Enabled'
  }
}

resource deployerKey 'Microsoft.KeyVault/vaults/keys@2023-07-01' = {
  parent: vault
  name: 'deployer'
  properties: {
    kty: 'EC'
    curveName: 'P-256K'
    keyOps: ['sign', 'verify']
  }
}

resource signing 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for signer in signers: {
    name: guid(deployerKey.id, signer.id, cryptoUserRole)
    scope: deployerKey
    properties: {
      principalId: signer.id
      principalType: signer.type
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', cryptoUserRole)
    }
  }
]

@description('The key identifier without a version: the app always signs with the current version.')
output deployerKeyId string = deployerKey.properties.keyUri
