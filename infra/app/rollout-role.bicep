// What a rollout does in the subscription, and nothing more: create, read and delete resource
// groups; create, scale, read and delete AKS clusters and their node pools; read their user
// credentials; read the offered regions, VM sizes and regional vCPU quota for preflight. Contributor would also allow every other
// resource type, and Owner role assignments; neither is granted. Assignable only in this
// subscription.
//
// Inside the clusters (Entra ID with Azure RBAC for Kubernetes, local accounts disabled): a second
// role with the Kubernetes data actions, except every Secret. The control plane creates a
// namespace and a StorageClass (cluster-scoped) and Roles and RoleBindings, so AKS's built-in
// namespace-scoped roles (RBAC Writer, RBAC Admin) are not enough, and RBAC Cluster Admin would
// also let it read the node keys. Assigned at the subscription because the rollouts create the
// clusters: assigning per cluster would need role-assignment rights, which this identity must
// not have (docs/deploy.md, "Hardened clusters").
targetScope = 'subscription'

param principalId string

resource rolloutRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(subscription().id, 'besu-fleet-rollouts')
  properties: {
    roleName: 'besu-fleet rollouts (${subscription().subscriptionId})'
    description: 'Resource groups and AKS clusters of besu-fleet rollouts, and the quota reads of their preflight.'
    type: 'CustomRole'
    assignableScopes: [subscription().id]
    permissions: [
      {
        actions: [
          'Microsoft.Resources/subscriptions/resourceGroups/read'
          'Microsoft.Resources/subscriptions/resourceGroups/write'
          'Microsoft.Resources/subscriptions/resourceGroups/delete'
          'Microsoft.ContainerService/managedClusters/read'
          'Microsoft.ContainerService/managedClusters/write'
          'Microsoft.ContainerService/managedClusters/delete'
          'Microsoft.ContainerService/managedClusters/agentPools/read'
          'Microsoft.ContainerService/managedClusters/agentPools/write'
          'Microsoft.ContainerService/managedClusters/listClusterUserCredential/action'
          'Microsoft.ContainerService/locations/operations/read'
          'Microsoft.ContainerService/locations/operationresults/read'
          'Microsoft.Resources/subscriptions/locations/read'
          'Microsoft.Compute/locations/usages/read'
          'Microsoft.Compute/skus/read'
        ]
        notActions: []
      }
    ]
  }
}

resource assignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(subscription().id, principalId, rolloutRole.id)
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: rolloutRole.id
  }
}

resource clusterRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(subscription().id, 'besu-fleet-clusters')
  properties: {
    roleName: 'besu-fleet clusters (${subscription().subscriptionId})'
    description: 'Kubernetes objects in the AKS clusters of besu-fleet rollouts, except Secrets.'
    type: 'CustomRole'
    assignableScopes: [subscription().id]
    permissions: [
      {
        actions: []
        notActions: []
        dataActions: ['Microsoft.ContainerService/managedClusters/*']
        notDataActions: ['Microsoft.ContainerService/managedClusters/secrets/*']
      }
    ]
  }
}

resource clusterAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(subscription().id, principalId, clusterRole.id)
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: clusterRole.id
  }
}
