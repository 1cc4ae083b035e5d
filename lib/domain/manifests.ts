/**
 * The Kubernetes objects of one cluster, as plain objects for server-side apply, in the shape of
 * Besu's Kubernetes documentation and the quorum-kubernetes charts: one StatefulSet per node
 * (one replica, PVC `data`), per-node Services, genesis and static-nodes ConfigMaps, and the
 * node key in a Secret that a key Job creates inside the cluster (`manifests/node-keys.ts`) and
 * the other objects only reference by name. This module is the one entry point; the builders live in `manifests/`.
 *
 * Two groups, because the second needs what the first produces:
 * - cluster configuration (phase A, `manifests/cluster-configuration.ts` with the Services and
 *   network policies of `manifests/network.ts`): namespace, RBAC, storage class, network
 *   policies, disruption budgets and Services, including the per-node LoadBalancers whose public
 *   IPs become the nodes' P2P addresses;
 * - Besu (phase B, `manifests/besu-workloads.ts`, running the command line of
 *   `manifests/besu-command.ts`): ConfigMaps and StatefulSets, which need the genesis and those
 *   addresses.
 */
export { BESU_PATHS, besuArguments, READINESS_PATH } from "./manifests/besu-command.js";
export { besuManifests } from "./manifests/besu-workloads.js";
export { clusterConfigurationManifests } from "./manifests/cluster-configuration.js";
export { MANAGED_BY, REGION_LABEL, type KubernetesManifest } from "./manifests/objects.js";
export {
  identityConfigMapName,
  keyJob,
  keyJobName,
  KEYGEN_SERVICE_ACCOUNT,
  PUBLIC_KEY_ENTRY,
} from "./manifests/node-keys.js";
