/**
 * How a cluster's Besu nodes are reached: per node a ClusterIP Service for JSON-RPC and metrics
 * and a LoadBalancer for P2P (whose public IP becomes the node's advertised address), a shared
 * RPC Service in front of the sentries, and the network policies that deny ingress by default and
 * then admit P2P from anywhere, validator RPC only from the namespace and the API server's service
 * proxy, and sentry RPC from clients.
 */
import type {
  V1NetworkPolicy,
  V1NetworkPolicyPeer,
  V1NetworkPolicyPort,
  V1NetworkPolicySpec,
  V1Service,
} from "@kubernetes/client-node" with { "resolution-mode": "import" };
import { METRICS_PORT, P2P_PORT, RPC_PORT, type ClusterPlan, type NodePlan, type RegionPlan } from "../plan.js";
import { usesDiscovery } from "./besu-command.js";
import { namespaced, nodeLabels, nodeSelectorLabels, nodesOf, roleSelectorLabels } from "./objects.js";

/**
 * A NetworkPolicy as the API server reads it. NOTE: @kubernetes/client-node's model calls the
 * ingress rule's `from` field `_from` (a reserved word in its generator) and its typed serializer
 * drops a plain `from`, which would silently widen the policy. Manifests here are wire JSON; an
 * adapter must send them as such, not through the typed model serializer.
 */
export type NetworkPolicyManifest = Omit<V1NetworkPolicy, "spec"> & {
  spec: Omit<V1NetworkPolicySpec, "ingress"> & {
    ingress?: Array<{ from?: V1NetworkPolicyPeer[]; ports?: V1NetworkPolicyPort[] }>;
  };
};

export function networkPolicies(plan: RegionPlan, cluster: ClusterPlan): NetworkPolicyManifest[] {
  const policy = (name: string, spec: NetworkPolicyManifest["spec"]): NetworkPolicyManifest => ({
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: namespaced(plan, cluster, name),
    spec,
  });
  const rpcPort = [{ protocol: "TCP", port: RPC_PORT }];
  const policies = [
    policy("besu-default-deny-ingress", { podSelector: {}, policyTypes: ["Ingress"] }),
    // Validators in other regions and outside peers dial every node's public P2P endpoint.
    policy("besu-allow-p2p", {
      podSelector: { matchLabels: { "app.kubernetes.io/name": "besu" } },
      policyTypes: ["Ingress"],
      ingress: [
        {
          ports: [
            { protocol: "TCP", port: P2P_PORT },
            { protocol: "UDP", port: P2P_PORT },
          ],
        },
      ],
    }),
    // Validator RPC: from this namespace and from kube-system, where the API server's service
    // proxy (used by the control plane's verification) enters the cluster network.
    policy("besu-allow-validator-rpc", {
      podSelector: { matchLabels: roleSelectorLabels("validator") },
      policyTypes: ["Ingress"],
      ingress: [
        {
          from: [
            { podSelector: {} },
            { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } } },
          ],
          ports: rpcPort,
        },
      ],
    }),
  ];
  if (nodesOf(cluster, "sentry").length > 0) {
    policies.push(
      policy("besu-allow-sentry-rpc", {
        podSelector: { matchLabels: roleSelectorLabels("sentry") },
        policyTypes: ["Ingress"],
        ingress: [{ ports: rpcPort }],
      }),
    );
  }
  return policies;
}

export function nodeServices(plan: RegionPlan, cluster: ClusterPlan, node: NodePlan): [V1Service, V1Service] {
  const labels = nodeLabels(plan, node);
  return [
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: namespaced(plan, cluster, node.rpcServiceName, labels),
      spec: {
        type: "ClusterIP",
        selector: nodeSelectorLabels(node),
        // Verification reads /readiness and RPC of nodes that are not ready yet, to say why.
        publishNotReadyAddresses: true,
        ports: [
          { name: "json-rpc", protocol: "TCP", port: RPC_PORT, targetPort: "json-rpc" },
          { name: "metrics", protocol: "TCP", port: METRICS_PORT, targetPort: "metrics" },
        ],
      },
    },
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: namespaced(plan, cluster, node.p2pServiceName, labels),
      spec: {
        type: "LoadBalancer",
        selector: nodeSelectorLabels(node),
        // Keep the peer's source address and skip the extra node hop.
        externalTrafficPolicy: "Local",
        // NOTE: a node is ready only once it has a peer, and peers reach it only through this
        // Service; routing only to ready pods would leave every node waiting for the others.
        publishNotReadyAddresses: true,
        ports: [
          { name: "rlpx", protocol: "TCP", port: P2P_PORT, targetPort: "rlpx" },
          ...(usesDiscovery(node.role)
            ? [{ name: "discovery", protocol: "UDP", port: P2P_PORT, targetPort: "discovery" }]
            : []),
        ],
      },
    },
  ];
}

export function sentryRpcService(plan: RegionPlan, cluster: ClusterPlan): V1Service {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: namespaced(plan, cluster, "besu-rpc"),
    spec: {
      type: "ClusterIP",
      selector: roleSelectorLabels("sentry"),
      ports: [{ name: "json-rpc", protocol: "TCP", port: RPC_PORT, targetPort: "json-rpc" }],
    },
  };
}
