// The Durable Task Scheduler as the durable backend (host.json's storage provider "azureManaged",
// set through app settings in api.bicep). Reached by the app's identity only, from the listed
// addresses only.
param name string
param location string
param tags object
@minLength(1)
@description('CIDR ranges allowed to reach the scheduler; there is no "allow all" default.')
param ipAllowlist array
param principalId string

// Durable Task Data Contributor: run orchestrations and activities on the scheduler's task hubs.
var dataContributorRole = '0ad04412-c4d5-4796-b79c-f76d14c8d402'

resource scheduler 'Microsoft.DurableTask/schedulers@2026-02-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    ipAllowlist: ipAllowlist
    sku: { name: 'Consumption' }
  }
}

resource taskHub 'Microsoft.DurableTask/schedulers/taskHubs@2026-02-01' = {
  parent: scheduler
  name: 'BesuFleetHub'
}

resource dataAccess 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(scheduler.id, principalId, dataContributorRole)
  scope: scheduler
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', dataContributorRole)
  }
}

output endpoint string = scheduler.properties.endpoint
output taskHubName string = taskHub.name
