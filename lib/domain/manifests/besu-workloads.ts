/**
 * Phase B of a cluster's manifests, Besu itself: the genesis and static-nodes ConfigMaps from the
 * genesis fan-in, and one StatefulSet per node (one replica, a retained `data` claim, the node key
 * mounted from a Secret that the control plane creates and these objects only name), whose
 * container runs the command line of besu-command.ts and advertises the node's public P2P address.
 * A changed template restarts nothing by itself (updateStrategy OnDelete): the rollout restarts
 * the nodes in QBFT-safe waves.
 */
import type { V1ConfigMap, V1Container, V1StatefulSet } from "@kubernetes/client-node" with {
  "resolution-mode": "import",
};
import {
  BESU_SERVICE_ACCOUNT,
  GENESIS_CONFIG_MAP,
  METRICS_PORT,
  NODE_KEY_SECRET_ENTRY,
  P2P_PORT,
  RPC_PORT,
  STATIC_NODES_CONFIG_MAP,
  STORAGE_CLASS_NAME,
  type ClusterPlan,
  type NodePlan,
  type RegionPlan,
} from "../plan.js";
import type { NetworkSpec } from "../spec.js";
import { BESU_PATHS, besuArguments, LIVENESS_PATH, READINESS_PATH, usesDiscovery } from "./besu-command.js";
import { asManifest, namespaced, nodeLabels, nodeSelectorLabels, nodesOf, type KubernetesManifest } from "./objects.js";

const BESU_UID = 1000; // the hyperledger/besu image runs as user "besu" (uid 1000)
const SECRET_FILE_MODE = 0o440;

/** What phase B needs besides the plan: the network, the fan-in results, the public addresses. */
export interface BesuManifestInput {
  network: NetworkSpec;
  plan: RegionPlan;
  cluster: ClusterPlan;
  /** `genesis.json` text from the genesis fan-in (identical in every cluster). */
  genesisJson: string;
  /** `static-nodes.json` text from the genesis fan-in. */
  staticNodesJson: string;
  /** Node id → public P2P host (its LoadBalancer IP), which the node advertises. */
  p2pHosts: Readonly<Record<string, string>>;
}

function configMaps(input: BesuManifestInput): V1ConfigMap[] {
  const { plan, cluster } = input;
  return [
    {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: namespaced(plan, cluster, GENESIS_CONFIG_MAP),
      data: { "genesis.json": input.genesisJson },
    },
    {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: namespaced(plan, cluster, STATIC_NODES_CONFIG_MAP),
      data: { "static-nodes.json": input.staticNodesJson },
    },
  ];
}

function besuContainer(input: Pick<BesuManifestInput, "network">, node: NodePlan, p2pHost: string): V1Container {
  const resources = input.network.resources[node.role];
  return {
    name: "besu",
    image: input.network.besuImage,
    imagePullPolicy: "IfNotPresent",
    args: besuArguments(node, p2pHost),
    ports: [
      { name: "json-rpc", containerPort: RPC_PORT, protocol: "TCP" },
      { name: "rlpx", containerPort: P2P_PORT, protocol: "TCP" },
      ...(usesDiscovery(node.role) ? [{ name: "discovery", containerPort: P2P_PORT, protocol: "UDP" }] : []),
      { name: "metrics", containerPort: METRICS_PORT, protocol: "TCP" },
    ],
    resources: {
      requests: { cpu: resources.cpu, memory: resources.memory },
      limits: { memory: resources.memory },
    },
    livenessProbe: {
      httpGet: { path: LIVENESS_PATH, port: "json-rpc" },
      initialDelaySeconds: 60,
      periodSeconds: 30,
      timeoutSeconds: 5,
      failureThreshold: 5,
    },
    readinessProbe: {
      httpGet: { path: READINESS_PATH, port: "json-rpc" },
      initialDelaySeconds: 10,
      periodSeconds: 10,
      timeoutSeconds: 5,
      failureThreshold: 3,
    },
    securityContext: {
      allowPrivilegeEscalation: false,
      capabilities: { drop: ["ALL"] },
    },
    volumeMounts: [
      { name: "data", mountPath: BESU_PATHS.data },
      { name: "genesis", mountPath: BESU_PATHS.genesisDirectory, readOnly: true },
      { name: "static-nodes", mountPath: BESU_PATHS.staticNodesDirectory, readOnly: true },
      { name: "node-key", mountPath: BESU_PATHS.keyDirectory, readOnly: true },
    ],
  };
}

/** One node's StatefulSet (also what the change plan fingerprints to decide whether the node restarts). */
export function nodeStatefulSet(
  input: Pick<BesuManifestInput, "network" | "plan" | "cluster" | "p2pHosts">,
  node: NodePlan,
): V1StatefulSet {
  const { plan, cluster, network } = input;
  const p2pHost = input.p2pHosts[node.id];
  if (p2pHost === undefined || p2pHost === "")
    throw new Error(`no public P2P address for ${node.id}; its LoadBalancer has no IP yet`);
  const labels = nodeLabels(plan, node);
  return {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: namespaced(plan, cluster, node.statefulSetName, labels),
    spec: {
      replicas: 1,
      serviceName: node.rpcServiceName,
      podManagementPolicy: "OrderedReady",
      // Pods restart only when the control plane deletes them, wave by wave (orchestrators/rollout/
      // updating.ts): a RollingUpdate would restart every changed node of the fleet at once.
      updateStrategy: { type: "OnDelete" },
      selector: { matchLabels: nodeSelectorLabels(node) },
      persistentVolumeClaimRetentionPolicy: { whenDeleted: "Retain", whenScaled: "Retain" },
      template: {
        metadata: { labels },
        spec: {
          serviceAccountName: BESU_SERVICE_ACCOUNT,
          automountServiceAccountToken: false,
          terminationGracePeriodSeconds: 60,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: BESU_UID,
            runAsGroup: BESU_UID,
            fsGroup: BESU_UID,
            seccompProfile: { type: "RuntimeDefault" },
          },
          affinity: {
            // Spread a cluster's nodes over its VMs so that one VM failure takes one node.
            podAntiAffinity: {
              preferredDuringSchedulingIgnoredDuringExecution: [
                {
                  weight: 100,
                  podAffinityTerm: {
                    topologyKey: "kubernetes.io/hostname",
                    labelSelector: { matchLabels: { "app.kubernetes.io/name": "besu" } },
                  },
                },
              ],
            },
          },
          containers: [besuContainer(input, node, p2pHost)],
          volumes: [
            { name: "genesis", configMap: { name: GENESIS_CONFIG_MAP } },
            { name: "static-nodes", configMap: { name: STATIC_NODES_CONFIG_MAP } },
            {
              name: "node-key",
              secret: {
                secretName: node.keySecretName,
                defaultMode: SECRET_FILE_MODE,
                items: [{ key: NODE_KEY_SECRET_ENTRY, path: NODE_KEY_SECRET_ENTRY }],
              },
            },
          ],
        },
      },
      volumeClaimTemplates: [
        {
          metadata: { name: "data", labels },
          spec: {
            accessModes: ["ReadWriteOnce"],
            storageClassName: STORAGE_CLASS_NAME,
            resources: { requests: { storage: network.resources[node.role].storage } },
          },
        },
      ],
    },
  };
}

/**
 * Phase B objects of one cluster, in apply order: the genesis and static-nodes ConfigMaps, then
 * one StatefulSet per node (validators first). Throws when a node has no public P2P address.
 */
export function besuManifests(input: BesuManifestInput): KubernetesManifest[] {
  const validators = nodesOf(input.cluster, "validator");
  const sentries = nodesOf(input.cluster, "sentry");
  return [...configMaps(input), ...[...validators, ...sentries].map((node) => nodeStatefulSet(input, node))].map(
    asManifest,
  );
}
