/**
 * What every manifest of a cluster shares: the addressable shape a server-side apply client
 * needs (and the check that narrows the client library's typed objects to it), the labels every
 * object carries and the ones that select a node's or a role's pods, namespaced metadata, and
 * the nodes of a cluster that play a role. The builders in this folder compose these.
 */
import type { V1ObjectMeta } from "@kubernetes/client-node" with { "resolution-mode": "import" };
import type { ClusterPlan, NodePlan, NodeRole, RegionPlan } from "../plan.js";

/** Any object these builders return: enough for a server-side apply client to address it. */
export type KubernetesManifest = {
  apiVersion: string;
  kind: string;
  metadata: V1ObjectMeta & { name: string };
};

/** Label keys and values every object carries. */
export const MANAGED_BY = "besu-fleet";
export const NETWORK_LABEL = "besu-fleet.io/network";
export const REGION_LABEL = "besu-fleet.io/region";

/** Labels every object of a region's network carries: app, network, region, manager. */
export function baseLabels(plan: RegionPlan): Record<string, string> {
  return {
    "app.kubernetes.io/name": "besu",
    "app.kubernetes.io/part-of": plan.network,
    "app.kubernetes.io/managed-by": MANAGED_BY,
    [NETWORK_LABEL]: plan.network,
    [REGION_LABEL]: plan.region,
  };
}

/** Labels selecting exactly one node's pod. */
export function nodeSelectorLabels(node: NodePlan): Record<string, string> {
  return { "app.kubernetes.io/name": "besu", "app.kubernetes.io/instance": node.statefulSetName };
}

/** Labels selecting the pods of every node of one role. */
export function roleSelectorLabels(role: NodeRole): Record<string, string> {
  return { "app.kubernetes.io/name": "besu", "app.kubernetes.io/component": role };
}

/** Labels of one node's objects and pod: the base labels, its instance and its role. */
export function nodeLabels(plan: RegionPlan, node: NodePlan): Record<string, string> {
  return {
    ...baseLabels(plan),
    "app.kubernetes.io/instance": node.statefulSetName,
    "app.kubernetes.io/component": node.role,
  };
}

/** Metadata of an object in the cluster's namespace, with the base labels unless given others. */
export function namespaced(
  plan: RegionPlan,
  cluster: ClusterPlan,
  name: string,
  labels = baseLabels(plan),
): V1ObjectMeta & { name: string } {
  return { name, namespace: cluster.namespace, labels };
}

/** The nodes of a cluster that play a role, in plan order. */
export function nodesOf(cluster: ClusterPlan, role: NodeRole): NodePlan[] {
  return cluster.nodes.filter((node) => node.role === role);
}

interface TypedObject {
  apiVersion?: string;
  kind?: string;
  metadata?: V1ObjectMeta;
}

/** Narrows a typed Kubernetes object to the addressable shape, checking what the types leave optional. */
export function asManifest<T extends TypedObject>(object: T): T & KubernetesManifest {
  const { apiVersion, kind, metadata } = object;
  if (apiVersion === undefined || kind === undefined || metadata?.name === undefined) {
    throw new Error("a manifest needs apiVersion, kind and metadata.name");
  }
  return { ...object, apiVersion, kind, metadata: { ...metadata, name: metadata.name } };
}
