// The control plane's one identity: the Function App runs as it, and every role below is granted
// to it (storage, Key Vault key, Application Insights, the scheduler, the rollout role).
param name string
param location string
param tags object

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

output id string = identity.id
output principalId string = identity.properties.principalId
output clientId string = identity.properties.clientId
