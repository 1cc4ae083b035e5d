// The besu-fleet control plane in its admin region (West Europe): a Function App on the Flex
// Consumption plan running as a user-assigned managed identity, its storage reached by identity
// only, the durable backend (Azure Storage or the Durable Task Scheduler), a Key Vault holding the
// deployer's signing key, and Application Insights. The rollouts it runs create their own resource
// groups and AKS clusters in the 24 deployment regions; the identity gets a custom role for exactly
// that (app/rollout-role.bicep), never Contributor or Owner on the subscription.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('Name of the azd environment; makes the resource names unique.')
param environmentName string

@description('The admin region. The strategy puts the control plane in West Europe and never a validator there.')
@allowed(['westeurope'])
param location string = 'westeurope'

@description('Durable backend: Azure Storage (the storage account below) or the Durable Task Scheduler.')
@allowed(['AzureStorage', 'DurableTaskScheduler'])
param durableBackend string = 'AzureStorage'

@description('Addresses allowed to reach the Durable Task Scheduler (CIDR). Required, and not 0.0.0.0/0, when it is the backend.')
param durableTaskSchedulerIpAllowlist array = []

@description('Object id of the person running azd, granted the deployer-key and storage data roles for troubleshooting; empty for none.')
param principalId string = ''

@minLength(1)
@description('Application (client) id of the API\'s Entra app registration (docs/deploy.md: create it first).')
param apiClientId string

@secure()
@description('JSON-RPC URL of Chain 138 for the contract and CCIP phases.')
param chain138RpcUrl string = ''

@secure()
@description('JSON-RPC URL of Ethereum mainnet for the contract and CCIP phases.')
param mainnetRpcUrl string = ''

@description('IPv4 addresses or CIDRs allowed to reach the clusters\' API servers besides the Function App\'s outbound addresses (docs/deploy.md, "Hardened clusters").')
param extraApiServerAuthorizedIpRanges array = []

@description('NCRONTAB schedule of the retention timer that purges finished orchestration history.')
param retentionSchedule string = '0 30 2 * * *'

@description('Days after which finished orchestration history is purged.')
@minValue(1)
param retentionDays int = 30

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName, application: 'besu-fleet' }
var functionAppName = 'func-besu-fleet-${resourceToken}'
var deploymentContainerName = 'app-package'
// The app's identity, and the operator running azd when given (for troubleshooting data access).
var dataPrincipals = concat(
  [{ id: identity.outputs.principalId, type: 'ServicePrincipal' }],
  empty(principalId) ? [] : [{ id: principalId, type: 'User' }]
)

resource resourceGroup 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-besu-fleet-${environmentName}'
  location: location
  tags: tags
}

module identity 'app/identity.bicep' = {
  name: 'identity'
  scope: resourceGroup
  params: { name: 'id-besu-fleet-${resourceToken}', location: location, tags: tags }
}

module storage 'app/storage.bicep' = {
  name: 'storage'
  scope: resourceGroup
  params: {
    name: 'stbesufleet${resourceToken}'
    location: location
    tags: tags
    deploymentContainerName: deploymentContainerName
    principals: dataPrincipals
  }
}

module monitoring 'app/monitoring.bicep' = {
  name: 'monitoring'
  scope: resourceGroup
  params: {
    name: 'besu-fleet-${resourceToken}'
    location: location
    tags: tags
    publisherPrincipalId: identity.outputs.principalId
  }
}

module keyVault 'app/key-vault.bicep' = {
  name: 'keyVault'
  scope: resourceGroup
  params: {
    name: 'kv-besufleet-${take(resourceToken, 10)}'
    location: location
    tags: tags
    signers: dataPrincipals
  }
}

module durableTaskScheduler 'app/durable-task-scheduler.bicep' = if (durableBackend == 'DurableTaskScheduler') {
  name: 'durableTaskScheduler'
  scope: resourceGroup
  params: {
    name: 'dts-besu-fleet-${resourceToken}'
    location: location
    tags: tags
    ipAllowlist: durableTaskSchedulerIpAllowlist
    principalId: identity.outputs.principalId
  }
}

module rolloutRole 'app/rollout-role.bicep' = {
  name: 'rolloutRole'
  params: { principalId: identity.outputs.principalId }
}

module api 'app/api.bicep' = {
  name: 'api'
  scope: resourceGroup
  params: {
    name: functionAppName
    location: location
    tags: tags
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    deploymentContainerName: deploymentContainerName
    applicationInsightsConnectionString: monitoring.outputs.connectionString
    durableTaskScheduler: durableBackend == 'DurableTaskScheduler'
      ? { endpoint: durableTaskScheduler.outputs.endpoint, taskHubName: durableTaskScheduler.outputs.taskHubName }
      : {}
    retentionSchedule: retentionSchedule
    retentionDays: retentionDays
    apiClientId: apiClientId
    extraApiServerAuthorizedIpRanges: extraApiServerAuthorizedIpRanges
    deployerKeyId: keyVault.outputs.deployerKeyId
    chain138RpcUrl: chain138RpcUrl
    mainnetRpcUrl: mainnetRpcUrl
  }
}

output AZURE_LOCATION string = location
output AZURE_RESOURCE_GROUP string = resourceGroup.name
output BESU_FLEET_API_URL string = api.outputs.apiUrl
output BESU_FLEET_FUNCTION_APP string = api.outputs.name
output BESU_FLEET_DEPLOYER_KEY_ID string = keyVault.outputs.deployerKeyId
