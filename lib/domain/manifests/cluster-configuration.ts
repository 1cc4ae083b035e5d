/**
 * Phase A of a cluster's manifests, the cluster configuration that Besu needs in place before it
 * runs: the namespace (enforcing the restricted Pod Security Standard), the nodes' service
 * account with read access to exactly what a node consumes, the key Jobs' service account
 * (node-keys.ts), the storage class for chain data, one
 * disruption budget per role, and the Services and network policies of network.ts. The P2P
 * LoadBalancers among them get their public IPs while the key Jobs run, and phase B
 * (besu-workloads.ts) needs those addresses.
 */
import type {
  V1Namespace,
  V1PodDisruptionBudget,
  V1Role,
  V1RoleBinding,
  V1ServiceAccount,
  V1StorageClass,
} from "@kubernetes/client-node" with { "resolution-mode": "import" };
import {
  BESU_SERVICE_ACCOUNT,
  GENESIS_CONFIG_MAP,
  STATIC_NODES_CONFIG_MAP,
  STORAGE_CLASS_NAME,
  type ClusterPlan,
  type NodeRole,
  type RegionPlan,
} from "../plan.js";
import type { ClusterSpec } from "../spec.js";
import { networkPolicies, nodeServices, sentryRpcService } from "./network.js";
import { keygenRbac } from "./node-keys.js";
import { asManifest, baseLabels, namespaced, nodesOf, roleSelectorLabels, type KubernetesManifest } from "./objects.js";

function namespaceObject(plan: RegionPlan, cluster: ClusterPlan): V1Namespace {
  return {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: {
      name: cluster.namespace,
      // The Besu pods meet the restricted Pod Security Standard; enforcing it keeps it that way.
      labels: { ...baseLabels(plan), "pod-security.kubernetes.io/enforce": "restricted" },
    },
  };
}

function rbacObjects(plan: RegionPlan, cluster: ClusterPlan): [V1ServiceAccount, V1Role, V1RoleBinding] {
  return [
    {
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: namespaced(plan, cluster, BESU_SERVICE_ACCOUNT),
      // Besu runs with --nat-method=NONE and never calls the Kubernetes API: no token in the pod.
      automountServiceAccountToken: false,
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata: namespaced(plan, cluster, BESU_SERVICE_ACCOUNT),
      // Read access to exactly the objects a node consumes and nothing else, so that anything
      // running as the node identity (a key-store sidecar, a CSI driver) gets no broader rights.
      rules: [
        {
          apiGroups: [""],
          resources: ["configmaps"],
          resourceNames: [GENESIS_CONFIG_MAP, STATIC_NODES_CONFIG_MAP],
          verbs: ["get"],
        },
        {
          apiGroups: [""],
          resources: ["secrets"],
          resourceNames: cluster.nodes.map((node) => node.keySecretName),
          verbs: ["get"],
        },
      ],
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: namespaced(plan, cluster, BESU_SERVICE_ACCOUNT),
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: BESU_SERVICE_ACCOUNT },
      subjects: [{ kind: "ServiceAccount", name: BESU_SERVICE_ACCOUNT, namespace: cluster.namespace }],
    },
  ];
}

function storageClass(plan: RegionPlan, clusterSpec: ClusterSpec): V1StorageClass {
  return {
    apiVersion: "storage.k8s.io/v1",
    kind: "StorageClass",
    metadata: { name: STORAGE_CLASS_NAME, labels: baseLabels(plan) },
    provisioner: "disk.csi.azure.com",
    parameters: { skuName: clusterSpec.storageSku },
    // A validator's chain data must outlive its claim: losing it on more than f validators halts
    // the chain, and a validator key's address is in the genesis.
    reclaimPolicy: "Retain",
    // Bind where the pod is scheduled, so the disk is created in the node's zone.
    volumeBindingMode: "WaitForFirstConsumer",
    allowVolumeExpansion: true,
  };
}

const ROLE_PLURAL: Readonly<Record<NodeRole, string>> = { validator: "validators", sentry: "sentries" };

function disruptionBudgets(plan: RegionPlan, cluster: ClusterPlan): V1PodDisruptionBudget[] {
  // At most one node of a role down at a time in this cluster. Across clusters the orchestrator
  // enforces the network's QBFT fault budget: a PDB cannot see other clusters.
  return (["validator", "sentry"] as const)
    .filter((role) => nodesOf(cluster, role).length > 0)
    .map((role) => ({
      apiVersion: "policy/v1",
      kind: "PodDisruptionBudget",
      metadata: namespaced(plan, cluster, `besu-${ROLE_PLURAL[role]}`),
      spec: { maxUnavailable: 1, selector: { matchLabels: roleSelectorLabels(role) } },
    }));
}

/**
 * Phase A objects of one cluster, in apply order: namespace, RBAC, storage class, network
 * policies, disruption budgets, then Services (the P2P LoadBalancers get their public IPs while
 * the key Jobs run).
 */
export function clusterConfigurationManifests(
  plan: RegionPlan,
  cluster: ClusterPlan,
  clusterSpec: ClusterSpec,
): KubernetesManifest[] {
  const sentries = nodesOf(cluster, "sentry");
  return [
    namespaceObject(plan, cluster),
    ...rbacObjects(plan, cluster),
    ...keygenRbac(plan, cluster),
    storageClass(plan, clusterSpec),
    ...networkPolicies(plan, cluster),
    ...disruptionBudgets(plan, cluster),
    ...cluster.nodes.flatMap((node) => nodeServices(plan, cluster, node)),
    ...(sentries.length > 0 ? [sentryRpcService(plan, cluster)] : []),
  ].map(asManifest);
}
