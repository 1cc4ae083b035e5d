/**
 * The per-region plan: every name the rollout will create, derived only from business keys
 * (network, region, cluster ordinal, node role and ordinal), so that a re-run, a retry or a
 * restarted orchestration addresses the same resources instead of creating duplicates; and the
 * compute the region needs, for the quota preflight.
 */
import { z } from "zod";
import { findRegion } from "./regions.js";
import type { DesiredState, RegionSpec } from "./spec.js";
import { findVmSize } from "./vm-sizes.js";

/** Field manager of every server-side apply: one owner for all fields the control plane sets. */
export const FIELD_MANAGER = "besu-fleet";
/** Entry of a node-key Secret that holds the private key (0x-hex, as Besu's key file). */
export const NODE_KEY_SECRET_ENTRY = "nodekey";
/** StorageClass of the Besu data volumes (cluster-scoped; one network per cluster). */
export const STORAGE_CLASS_NAME = "besu-data";
/** Service account the Besu pods run as. */
export const BESU_SERVICE_ACCOUNT = "besu-node";
/** ConfigMap holding `genesis.json`. */
export const GENESIS_CONFIG_MAP = "besu-genesis";
/** ConfigMap holding `static-nodes.json`. */
export const STATIC_NODES_CONFIG_MAP = "besu-static-nodes";
/** Besu's JSON-RPC HTTP port. */
export const RPC_PORT = 8545;
/** Besu's RLPx (TCP) and discovery (UDP) port. */
export const P2P_PORT = 30303;
/** Besu's Prometheus metrics port. */
export const METRICS_PORT = 9545;

export const nodeRoleSchema = z.enum(["validator", "sentry"]);
/** A validator takes part in QBFT consensus; a sentry serves RPC and outside P2P. */
export type NodeRole = z.infer<typeof nodeRoleSchema>;

export const nodePlanSchema = z.object({
  /** Network-wide business key, e.g. `northeurope/validator-1`. */
  id: z.string(),
  region: z.string(),
  role: nodeRoleSchema,
  /** 1-based, per role, counted across the region's clusters. */
  ordinal: z.int().min(1),
  /** Name of the node's StatefulSet (one replica). */
  statefulSetName: z.string(),
  podName: z.string(),
  /** ClusterIP Service reaching the node's RPC (used through the API server's service proxy). */
  rpcServiceName: z.string(),
  /** LoadBalancer Service giving the node its public P2P address. */
  p2pServiceName: z.string(),
  /** Secret holding the node key, created in-cluster by the control plane. */
  keySecretName: z.string(),
});
export type NodePlan = z.infer<typeof nodePlanSchema>;

export const nodePoolPlanSchema = z.object({
  name: z.string(),
  mode: z.enum(["System", "User"]),
  vmSize: z.string(),
  count: z.int().min(1),
  vcpusPerNode: z.int().min(1),
  family: z.string(),
});
export type NodePoolPlan = z.infer<typeof nodePoolPlanSchema>;

export const clusterPlanSchema = z.object({
  /** 1-based ordinal of the cluster within its region. */
  ordinal: z.int().min(1),
  /** AKS managed cluster name, also its DNS prefix. */
  name: z.string(),
  kubernetesVersion: z.string(),
  nodePools: z.array(nodePoolPlanSchema),
  namespace: z.string(),
  nodes: z.array(nodePlanSchema),
});
export type ClusterPlan = z.infer<typeof clusterPlanSchema>;

export const familyVcpusSchema = z.object({ family: z.string(), vcpus: z.int().min(0) });
/** vCPUs a region needs in one quota family. */
export type FamilyVcpus = z.infer<typeof familyVcpusSchema>;

export const regionPlanSchema = z.object({
  network: z.string(),
  region: z.string(),
  displayName: z.string(),
  resourceGroup: z.string(),
  fieldManager: z.string(),
  clusters: z.array(clusterPlanSchema),
  /** Distinct VM sizes the region's node pools use; each must be offered in the region. */
  vmSizes: z.array(z.string()),
  /** vCPUs needed per quota family, sorted by family name. */
  vcpusByFamily: z.array(familyVcpusSchema),
  /** vCPUs needed in all, charged to the regional total (`cores`). */
  totalVcpus: z.int().min(0),
  /** Besu pods the region runs (validators and sentries, one pod each). */
  podCount: z.int().min(0),
});
export type RegionPlan = z.infer<typeof regionPlanSchema>;

/** Resource group holding every cluster of one network in one region. */
export function resourceGroupName(network: string, region: string): string {
  return `rg-${network}-${region}`;
}

/**
 * AKS cluster name. NOTE: the first cluster has no ordinal suffix so that growing a region from
 * one cluster to several keeps the existing cluster (a rename would mean a new cluster).
 */
export function clusterName(network: string, region: string, ordinal: number): string {
  return ordinal === 1 ? `aks-${network}-${region}` : `aks-${network}-${region}-${ordinal}`;
}

/** Namespace holding a network's Besu objects in each cluster. */
export function namespaceName(network: string): string {
  return `besu-${network}`;
}

/** Names of one node's Kubernetes objects, derived from its role and ordinal. */
export function nodePlan(region: string, role: NodeRole, ordinal: number): NodePlan {
  const statefulSetName = `besu-${role}-${ordinal}`;
  return {
    id: `${region}/${role}-${ordinal}`,
    region,
    role,
    ordinal,
    statefulSetName,
    // A StatefulSet with one replica always names its pod <name>-0.
    podName: `${statefulSetName}-0`,
    rpcServiceName: statefulSetName,
    p2pServiceName: `${statefulSetName}-p2p`,
    keySecretName: `${statefulSetName}-key`,
  };
}

function planNodePools(spec: DesiredState): NodePoolPlan[] {
  return spec.cluster.nodePools.map((pool) => {
    const size = findVmSize(pool.vmSize);
    if (size === undefined) throw new Error(`VM size ${pool.vmSize} is not in the catalog; validate the spec first`);
    return {
      name: pool.name,
      mode: pool.mode,
      vmSize: size.name,
      count: pool.count,
      vcpusPerNode: size.vcpus,
      family: size.family,
    };
  });
}

function planCluster(
  spec: DesiredState,
  regionSpec: RegionSpec,
  ordinal: number,
  nodePools: NodePoolPlan[],
): ClusterPlan {
  const offset = ordinal - 1;
  const validators = Array.from({ length: regionSpec.validators }, (_, index) =>
    nodePlan(regionSpec.name, "validator", offset * regionSpec.validators + index + 1),
  );
  const sentries = Array.from({ length: regionSpec.sentries }, (_, index) =>
    nodePlan(regionSpec.name, "sentry", offset * regionSpec.sentries + index + 1),
  );
  return {
    ordinal,
    name: clusterName(spec.network.name, regionSpec.name, ordinal),
    kubernetesVersion: spec.cluster.kubernetesVersion,
    nodePools,
    namespace: namespaceName(spec.network.name),
    nodes: [...validators, ...sentries],
  };
}

function sumByFamily(clusters: readonly ClusterPlan[]): FamilyVcpus[] {
  const byFamily = new Map<string, number>();
  for (const pool of clusters.flatMap((cluster) => cluster.nodePools)) {
    byFamily.set(pool.family, (byFamily.get(pool.family) ?? 0) + pool.vcpusPerNode * pool.count);
  }
  return [...byFamily.entries()]
    .sort(([left], [right]) => left.localeCompare(right))
    .map(([family, vcpus]) => ({ family, vcpus }));
}

/**
 * The plan for one region of a validated spec. Throws when the region is not in the spec or
 * the spec was not validated (unknown VM size): both are programming errors, not operator input.
 */
export function planRegion(spec: DesiredState, region: string): RegionPlan {
  const regionSpec = spec.regions.find((entry) => entry.name === region);
  if (regionSpec === undefined) throw new Error(`region ${region} is not in the spec of network ${spec.network.name}`);
  const nodePools = planNodePools(spec);
  const clusters = Array.from({ length: regionSpec.clusters }, (_, index) =>
    planCluster(spec, regionSpec, index + 1, nodePools),
  );
  const vcpusByFamily = sumByFamily(clusters);
  return {
    network: spec.network.name,
    region,
    displayName: findRegion(region)?.displayName ?? region,
    resourceGroup: resourceGroupName(spec.network.name, region),
    fieldManager: FIELD_MANAGER,
    clusters,
    vmSizes: [...new Set(nodePools.map((pool) => pool.vmSize))],
    vcpusByFamily,
    totalVcpus: vcpusByFamily.reduce((sum, entry) => sum + entry.vcpus, 0),
    podCount: clusters.reduce((sum, cluster) => sum + cluster.nodes.length, 0),
  };
}

/** Plans for every region of a validated spec, in the spec's order. */
export function planRollout(spec: DesiredState): RegionPlan[] {
  return spec.regions.map((region) => planRegion(spec, region.name));
}
