// The storage account behind the Functions host (AzureWebJobsStorage), the durable backend when it
// is Azure Storage, the application's documents (specs, reports, journals) and the deployment
// package. Shared keys are disabled: everything reaches it with an Entra identity.
param name string
param location string
param tags object
param deploymentContainerName string
@description('Identities granted data access, as { id, type } (the app; optionally the operator).')
param principals array

var roles = {
  // Blob Data Owner: the Functions host manages blob leases and containers, not only blobs.
  blobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  // Queue and table data: the Azure Storage durable backend's control queues and history tables.
  queueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  tableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
}

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: { name: 'Standard_ZRS' }
  properties: {
    allowSharedKeyAccess: false
    allowBlobPublicAccess: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    defaultToOAuthAuthentication: true
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: deploymentContainerName
}

resource assignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for pair in flatten(map(principals, principal => map(items(roles), role => { principal: principal, roleId: role.value }))): {
    name: guid(account.id, pair.principal.id, pair.roleId)
    scope: account
    properties: {
      principalId: pair.principal.id
      principalType: pair.principal.type
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', pair.roleId)
    }
  }
]

output name string = account.name
output blobEndpoint string = account.properties.primaryEndpoints.blob
output queueEndpoint string = account.properties.primaryEndpoints.queue
output tableEndpoint string = account.properties.primaryEndpoints.table
