/**
 * How a managed cluster looks to ARM clients: the resource a create builds from its request (with
 * the defaults and generated fields AKS adds), its agent pools as sub-resources, and the
 * kubeconfig that `listClusterUserCredential` / `listClusterAdminCredential` hand out.
 */
import { randomBytes, randomUUID } from "node:crypto";
import type { NodePoolShape } from "../cluster-host.js";
import { isRecord } from "../http.js";
import type { ClusterBody, PoolProfile } from "./validation.js";

/** The resource as GET returns it; `properties.agentPoolProfiles` is the pools' source of truth. */
export type ClusterResource = Record<string, unknown> & {
  properties: Record<string, unknown> & { agentPoolProfiles: PoolProfile[] };
};

/** What a create has settled before it builds the resource. */
export interface NewCluster {
  subscriptionId: string;
  tenantId: string;
  resourceGroup: string;
  name: string;
  region: string;
  kubernetesVersion: string;
  pools: PoolProfile[];
  body: ClusterBody;
}

export function newClusterResource(cluster: NewCluster): ClusterResource {
  const { subscriptionId, resourceGroup, name, region, kubernetesVersion: version, body } = cluster;
  const properties = body.properties ?? {};
  const dnsPrefix = properties.dnsPrefix ?? `${name}-${resourceGroup}-${subscriptionId.slice(0, 6)}`.slice(0, 54);
  const identityType = isRecord(body.identity) ? body.identity.type : undefined;
  return {
    ...body,
    // A system-assigned identity gets its principal when the cluster is created, as in Azure.
    ...(identityType === "SystemAssigned"
      ? { identity: { type: "SystemAssigned", principalId: randomUUID(), tenantId: cluster.tenantId } }
      : {}),
    id: `/subscriptions/${subscriptionId}/resourcegroups/${resourceGroup}/providers/Microsoft.ContainerService/managedClusters/${name}`,
    name,
    type: "Microsoft.ContainerService/ManagedClusters",
    location: region,
    tags: body.tags ?? {},
    properties: {
      ...properties,
      provisioningState: "Creating",
      powerState: { code: "Running" },
      kubernetesVersion: version,
      currentKubernetesVersion: version,
      dnsPrefix,
      fqdn: `${dnsPrefix}-${randomBytes(4).toString("hex")}.hcp.${region}.azmk8s.io`,
      nodeResourceGroup: `MC_${resourceGroup}_${name}_${region}`,
      networkProfile: {
        networkPlugin: "azure",
        networkPluginMode: "overlay",
        podCidr: "10.244.0.0/16",
        serviceCidr: "10.0.0.0/16",
        dnsServiceIP: "10.0.0.10",
        loadBalancerSku: "standard",
        outboundType: "loadBalancer",
        ...(isRecord(properties.networkProfile) ? properties.networkProfile : {}),
      },
      // AKS turns Kubernetes RBAC on unless told otherwise, and publishes an enabled OIDC issuer's URL.
      enableRBAC: properties.enableRBAC ?? true,
      ...(isRecord(properties.oidcIssuerProfile) && properties.oidcIssuerProfile.enabled === true
        ? {
            oidcIssuerProfile: {
              ...properties.oidcIssuerProfile,
              issuerURL: `https://${region}.oic.prod-aks.azure.com/${cluster.tenantId}/${randomUUID()}/`,
            },
          }
        : {}),
      maxAgentPools: 100,
      agentPoolProfiles: cluster.pools,
    },
  };
}

/** What the Kubernetes side needs to know of a cluster's pools. */
export function poolShapes(resource: ClusterResource): NodePoolShape[] {
  return resource.properties.agentPoolProfiles.map(({ name, count, vmSize, mode }) => ({ name, count, vmSize, mode }));
}

export function poolResource(cluster: ClusterResource, profile: PoolProfile): Record<string, unknown> {
  const { name, ...properties } = profile;
  return {
    id: `${String(cluster.id)}/agentPools/${name}`,
    name,
    type: "Microsoft.ContainerService/managedClusters/agentPools",
    properties,
  };
}

/** Where a kubeconfig points and whom it authenticates. */
export interface KubeconfigTarget {
  cluster: string;
  resourceGroup: string;
  role: "user" | "admin";
  serverUrl: string;
  caPem: string;
  token: string;
}

/** The `listClusterUserCredential` / `listClusterAdminCredential` answer: one base64 kubeconfig. */
export function credentialResult(target: KubeconfigTarget): { kubeconfigs: { name: string; value: string }[] } {
  const { cluster: name, role } = target;
  const userName = `cluster${role === "admin" ? "Admin" : "User"}_${target.resourceGroup}_${name}`;
  const kubeconfig = [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    "- cluster:",
    `    certificate-authority-data: ${Buffer.from(target.caPem).toString("base64")}`,
    `    server: ${target.serverUrl}`,
    `  name: ${name}`,
    "contexts:",
    "- context:",
    `    cluster: ${name}`,
    `    user: ${userName}`,
    `  name: ${name}${role === "admin" ? "-admin" : ""}`,
    `current-context: ${name}${role === "admin" ? "-admin" : ""}`,
    "preferences: {}",
    "users:",
    `- name: ${userName}`,
    "  user:",
    `    token: ${target.token}`,
    "",
  ].join("\n");
  return {
    kubeconfigs: [
      { name: role === "admin" ? "clusterAdmin" : "clusterUser", value: Buffer.from(kubeconfig).toString("base64") },
    ],
  };
}
