/**
 * The Kubernetes objects of one cluster, as plain objects for server-side apply, in the shape of
 * Besu's Kubernetes documentation and the quorum-kubernetes charts: one StatefulSet per node
 * (one replica, PVC `data`), per-node Services, genesis and static-nodes ConfigMaps, and the
 * node key in a Secret that the control plane creates in the cluster and these objects only
 * reference by name.
 *
 * Two groups, because the second needs what the first produces:
 * - cluster configuration (phase A): namespace, RBAC, storage class, network policies,
 *   disruption budgets and Services, including the per-node LoadBalancers whose public IPs
 *   become the nodes' P2P addresses;
 * - Besu (phase B): ConfigMaps and StatefulSets, which need the genesis and those addresses.
 */
import type {
  V1ConfigMap,
  V1Container,
  V1Namespace,
  V1NetworkPolicy,
  V1NetworkPolicyPeer,
  V1NetworkPolicyPort,
  V1NetworkPolicySpec,
  V1ObjectMeta,
  V1PodDisruptionBudget,
  V1Role,
  V1RoleBinding,
  V1Service,
  V1ServiceAccount,
  V1StatefulSet,
  V1StorageClass,
} from "@kubernetes/client-node" with { "resolution-mode": "import" };
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
  type NodeRole,
  type RegionPlan,
} from "./plan.js";
import type { ClusterSpec, NetworkSpec } from "./spec.js";

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

/** Paths inside the Besu container. */
export const BESU_PATHS = Object.freeze({
  data: "/data",
  genesisDirectory: "/etc/besu/genesis",
  genesisFile: "/etc/besu/genesis/genesis.json",
  staticNodesDirectory: "/etc/besu/static-nodes",
  staticNodesFile: "/etc/besu/static-nodes/static-nodes.json",
  keyDirectory: "/etc/besu/keys",
  keyFile: `/etc/besu/keys/${NODE_KEY_SECRET_ENTRY}`,
});

/** Readiness as Besu defines it: at least one peer and at most two blocks behind. */
export const READINESS_PATH = "/readiness?minPeers=1&maxBlocksBehind=2";
export const LIVENESS_PATH = "/liveness";

/** JSON-RPC API groups per role. */
export const RPC_APIS: Readonly<Record<NodeRole, string>> = Object.freeze({
  // ADMIN lets the control plane verify peering (admin_peers, admin_nodeInfo); validators'
  // RPC is reachable only inside the cluster (see the network policies).
  validator: "ETH,NET,QBFT,WEB3,ADMIN",
  // Sentries serve RPC to clients, so no ADMIN there. QBFT stays for read-only checks of the
  // validator set; a vote proposed on a sentry has no effect, as sentries never propose blocks.
  sentry: "ETH,NET,QBFT,WEB3",
});

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

/**
 * Validators peer only through the static-nodes mesh, as Besu documents for static networks;
 * leaving them out of discovery keeps outside peers on the sentries. Sentries discover peers.
 */
function usesDiscovery(role: NodeRole): boolean {
  return role === "sentry";
}

const BESU_UID = 1000; // the hyperledger/besu image runs as user "besu" (uid 1000)
const SECRET_FILE_MODE = 0o440;

function baseLabels(plan: RegionPlan): Record<string, string> {
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

function roleSelectorLabels(role: NodeRole): Record<string, string> {
  return { "app.kubernetes.io/name": "besu", "app.kubernetes.io/component": role };
}

function nodeLabels(plan: RegionPlan, node: NodePlan): Record<string, string> {
  return {
    ...baseLabels(plan),
    "app.kubernetes.io/instance": node.statefulSetName,
    "app.kubernetes.io/component": node.role,
  };
}

function namespaced(
  plan: RegionPlan,
  cluster: ClusterPlan,
  name: string,
  labels = baseLabels(plan),
): V1ObjectMeta & { name: string } {
  return { name, namespace: cluster.namespace, labels };
}

function nodesOf(cluster: ClusterPlan, role: NodeRole): NodePlan[] {
  return cluster.nodes.filter((node) => node.role === role);
}

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

function networkPolicies(plan: RegionPlan, cluster: ClusterPlan): NetworkPolicyManifest[] {
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

function nodeServices(plan: RegionPlan, cluster: ClusterPlan, node: NodePlan): [V1Service, V1Service] {
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

function sentryRpcService(plan: RegionPlan, cluster: ClusterPlan): V1Service {
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

/**
 * Phase A objects of one cluster, in apply order: namespace, RBAC, storage class, network
 * policies, disruption budgets, then Services (the P2P LoadBalancers get their public IPs while
 * the keys are created).
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
    storageClass(plan, clusterSpec),
    ...networkPolicies(plan, cluster),
    ...disruptionBudgets(plan, cluster),
    ...cluster.nodes.flatMap((node) => nodeServices(plan, cluster, node)),
    ...(sentries.length > 0 ? [sentryRpcService(plan, cluster)] : []),
  ].map(asManifest);
}

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

/** Besu's command line for one node, flag by flag as the Besu CLI reference names them. */
export function besuArguments(node: NodePlan, p2pHost: string): string[] {
  return [
    `--genesis-file=${BESU_PATHS.genesisFile}`,
    `--node-private-key-file=${BESU_PATHS.keyFile}`,
    `--data-path=${BESU_PATHS.data}`,
    `--static-nodes-file=${BESU_PATHS.staticNodesFile}`,
    "--sync-mode=FULL",
    "--p2p-enabled=true",
    "--p2p-interface=0.0.0.0",
    // The LoadBalancer's public IP: what other regions dial and what the enode advertises.
    `--p2p-host=${p2pHost}`,
    `--p2p-port=${P2P_PORT}`,
    `--discovery-enabled=${usesDiscovery(node.role)}`,
    // Kubernetes NAT detection is deprecated in Besu; the address is given explicitly instead.
    "--nat-method=NONE",
    "--rpc-http-enabled=true",
    "--rpc-http-host=0.0.0.0",
    `--rpc-http-port=${RPC_PORT}`,
    `--rpc-http-api=${RPC_APIS[node.role]}`,
    // Requests arrive through Services and the API server proxy with varying Host headers;
    // access is restricted by the network policies instead.
    "--host-allowlist=*",
    "--min-gas-price=0",
    "--metrics-enabled=true",
    "--metrics-host=0.0.0.0",
    `--metrics-port=${METRICS_PORT}`,
    "--logging=INFO",
  ];
}

function besuContainer(input: BesuManifestInput, node: NodePlan, p2pHost: string): V1Container {
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

function statefulSet(input: BesuManifestInput, node: NodePlan): V1StatefulSet {
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
      updateStrategy: { type: "RollingUpdate" },
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
  return [...configMaps(input), ...[...validators, ...sentries].map((node) => statefulSet(input, node))].map(
    asManifest,
  );
}

interface TypedObject {
  apiVersion?: string;
  kind?: string;
  metadata?: V1ObjectMeta;
}

/** Narrows a typed Kubernetes object to the addressable shape, checking what the types leave optional. */
function asManifest<T extends TypedObject>(object: T): T & KubernetesManifest {
  const { apiVersion, kind, metadata } = object;
  if (apiVersion === undefined || kind === undefined || metadata?.name === undefined) {
    throw new Error("a manifest needs apiVersion, kind and metadata.name");
  }
  return { ...object, apiVersion, kind, metadata: { ...metadata, name: metadata.name } };
}
