// The Function App: Flex Consumption, Node 22, running as the control plane's identity. Two groups
// of settings: `appSettings` are the ones this app's code reads (lib/config.ts and the timers);
// a test (test/infra) checks they are exactly those. `hostSettings` are read by the Functions host
// and the Azure SDK: identity-based AzureWebJobsStorage, Application Insights with Entra auth, the
// identity DefaultAzureCredential uses, and — for the Durable Task Scheduler — the storage
// provider that overrides host.json.
param name string
param location string
param tags object
param identityId string
param identityClientId string
param storageAccountName string
param deploymentContainerName string
param applicationInsightsConnectionString string
@description('{ endpoint, taskHubName } of the Durable Task Scheduler, or {} for the Azure Storage backend.')
param durableTaskScheduler object
param retentionSchedule string
@description('NCRONTAB schedule of the drift checks (docs/drift.md).')
param driftSchedule string = '0 */15 * * * *'
param retentionDays int
@description('The deployer\'s Key Vault key identifier, without a version.')
param deployerKeyId string
@secure()
@description('JSON-RPC URL of Chain 138 for the on-chain phases (a sentry\'s RPC behind your gateway).')
param chain138RpcUrl string
@secure()
@description('JSON-RPC URL of Ethereum mainnet (a provider URL may hold an API key, hence secure).')
param mainnetRpcUrl string
@description('Application (client) id of the API\'s Entra app registration, which defines the app roles Fleet.Reader and Fleet.Operator.')
param apiClientId string
@description('IPv4 addresses or CIDRs allowed to reach the AKS API servers besides this app\'s own outbound addresses (a NAT gateway\'s, an operator\'s break-glass address).')
param extraApiServerAuthorizedIpRanges array = []

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: 'plan-${name}'
  location: location
  tags: tags
  kind: 'functionapp'
  sku: { name: 'FC1', tier: 'FlexConsumption' }
  properties: { reserved: true }
}

// Every AKS API server the rollouts create answers only these addresses: the app's possible
// outbound addresses (all it may leave from, as App Service reports them) and the extra ranges.
var apiServerAuthorizedIpRanges = join(
  union(split(functionApp.properties.possibleOutboundIpAddresses, ','), extraApiServerAuthorizedIpRanges),
  ','
)

var appSettings = {
  AZURE_SUBSCRIPTION_ID: subscription().subscriptionId
  AzureWebJobsStorage__blobServiceUri: storage.properties.primaryEndpoints.blob
  BESU_FLEET_RETENTION_SCHEDULE: retentionSchedule
  BESU_FLEET_RETENTION_DAYS: string(retentionDays)
  BESU_FLEET_API_AUTH: 'entra'
  BESU_FLEET_DEPLOYER_KEY_ID: deployerKeyId
  BESU_FLEET_CHAIN138_RPC_URL: chain138RpcUrl
  BESU_FLEET_MAINNET_RPC_URL: mainnetRpcUrl
  DRIFT_SCHEDULE: driftSchedule
  BESU_FLEET_API_SERVER_AUTHORIZED_IP_RANGES: apiServerAuthorizedIpRanges
  // Read by the host and by the app, which exports its metrics there (lib/telemetry/exporters.ts).
  APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsightsConnectionString
}

var hostSettings = union(
  {
    AzureWebJobsStorage__credential: 'managedidentity'
    AzureWebJobsStorage__clientId: identityClientId
    AzureWebJobsStorage__queueServiceUri: storage.properties.primaryEndpoints.queue
    AzureWebJobsStorage__tableServiceUri: storage.properties.primaryEndpoints.table
    AZURE_CLIENT_ID: identityClientId
    APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
  },
  empty(durableTaskScheduler)
    ? {}
    : {
        DURABLE_TASK_SCHEDULER_CONNECTION_STRING: 'Endpoint=${durableTaskScheduler.endpoint};Authentication=ManagedIdentity;ClientID=${identityClientId}'
        AzureFunctionsJobHost__extensions__durableTask__hubName: durableTaskScheduler.taskHubName
        AzureFunctionsJobHost__extensions__durableTask__storageProvider__type: 'azureManaged'
        AzureFunctionsJobHost__extensions__durableTask__storageProvider__connectionStringName: 'DURABLE_TASK_SCHEDULER_CONNECTION_STRING'
      }
)

resource functionApp 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': 'api' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identityId}': {} }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: { type: 'UserAssignedIdentity', userAssignedIdentityResourceId: identityId }
        }
      }
      scaleAndConcurrency: { instanceMemoryMB: 2048, maximumInstanceCount: 40 }
      runtime: { name: 'node', version: '22' }
    }
    siteConfig: { minTlsVersion: '1.2', ftpsState: 'Disabled' }
  }

  // App Service Authentication: only callers with an Entra token for the API's app registration
  // get through, and the app checks their app roles (functions/authorization.ts). A browser without
  // a session is sent to Entra ID's sign-in and back (the dashboard, docs/dashboard.md); automation
  // sends its bearer token and is let through as before. Health stays open.
  resource authentication 'config' = {
    name: 'authsettingsV2'
    properties: {
      platform: { enabled: true }
      globalValidation: {
        requireAuthentication: true
        unauthenticatedClientAction: 'RedirectToLoginPage'
        redirectToProvider: 'azureactivedirectory'
        excludedPaths: ['/api/health']
      }
      // The token store backs /.auth/me, where the dashboard reads the signed-in user's app roles.
      login: { tokenStore: { enabled: true } }
      httpSettings: { requireHttps: true }
      identityProviders: {
        azureActiveDirectory: {
          enabled: true
          registration: {
            openIdIssuer: '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'
            clientId: apiClientId
          }
          validation: { allowedAudiences: ['api://${apiClientId}', apiClientId] }
        }
      }
    }
  }
}

// A resource of its own rather than nested: the settings read the app's outbound addresses.
resource settings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: functionApp
  name: 'appsettings'
  properties: union(hostSettings, appSettings)
}

output name string = functionApp.name
output apiUrl string = 'https://${functionApp.properties.defaultHostName}/api'
