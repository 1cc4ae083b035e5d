/**
 * What a plugin gets to see and change of the running cloud (`CloudPluginContext`): clusters whose
 * API servers run, their pods, name resolution as a pod sees it, and objects read, replaced or
 * deleted behind the control plane's back; the deployer's Key Vault key, for chains to fund; and the
 * `evm` fault rules, for chains' JSON-RPC servers to apply.
 */
import type { ArmState } from "./arm/resources.js";
import type { EvmRequestFaults } from "./evm/request-faults.js";
import type { VaultKeyRef } from "./keyvault/index.js";
import { podViews } from "./cluster-views.js";
import { isRecord } from "./http.js";
import { findByKind, groupVersion } from "./kube/catalog.js";
import type { KubeCluster } from "./kube/cluster.js";
import type { KubeWorld } from "./kube/world.js";
import type { CloudPluginContext, ObjectRef } from "./plugin.js";

export interface PluginContextSources {
  dataDir: string;
  timeScale: number;
  log: (line: string) => void;
  controlUrl: string;
  arm: ArmState;
  world: KubeWorld;
  deployer: VaultKeyRef;
  evmFaults: EvmRequestFaults;
}

export function createPluginContext({
  dataDir,
  timeScale,
  log,
  controlUrl,
  arm,
  world,
  deployer,
  evmFaults,
}: PluginContextSources): CloudPluginContext {
  return {
    dataDir,
    deployer,
    evmFaults,
    timeScale,
    log,
    controlUrl,
    clusters: () =>
      arm.allClusters().flatMap(({ identity: cluster }) => {
        const url = world.apiServerUrl(cluster.key);
        return url === undefined
          ? []
          : [
              {
                key: cluster.key,
                subscriptionId: cluster.subscriptionId,
                resourceGroup: cluster.resourceGroup,
                name: cluster.name,
                region: cluster.region,
                apiServerUrl: url,
              },
            ];
      }),
    pods: (clusterKey) =>
      (clusterKey === undefined
        ? world.allClusters()
        : [world.cluster(clusterKey)].filter((cluster): cluster is KubeCluster => cluster !== undefined)
      ).flatMap(podViews),
    resolve: (fromClusterKey, host, port) =>
      world.resolve(fromClusterKey.toLowerCase(), { namespace: "default" }, host, port),
    getObject: (ref) => {
      const found = objectCluster(world, ref);
      return found === undefined
        ? undefined
        : found.cluster.read(
            found.resourceType.plural,
            found.resourceType.namespaced ? ref.namespace : undefined,
            ref.name,
          );
    },
    replaceObject: (ref, object) => {
      const found = objectCluster(world, ref);
      if (found === undefined) return false;
      const namespace = found.resourceType.namespaced ? ref.namespace : undefined;
      if (found.cluster.read(found.resourceType.plural, namespace, ref.name) === undefined) return false;
      const body: Record<string, unknown> = {
        ...object,
        apiVersion: groupVersion(found.resourceType),
        kind: found.resourceType.kind,
      };
      if (isRecord(body.metadata)) delete body.metadata.resourceVersion;
      found.cluster.replace(found.resourceType, namespace, ref.name, body, { fieldManager: "kubectl-replace" });
      return true;
    },
    deleteObject: (ref) => {
      const found = objectCluster(world, ref);
      if (found === undefined) return false;
      return found.cluster.systemDelete(
        found.resourceType.plural,
        found.resourceType.namespaced ? ref.namespace : undefined,
        ref.name,
      );
    },
    killPod: (clusterKey, namespace, podName) => world.cluster(clusterKey)?.killPod(namespace, podName) ?? false,
  };
}

/** The cluster and resource type an object reference names, when both exist. */
function objectCluster(
  world: KubeWorld,
  ref: ObjectRef,
): { cluster: KubeCluster; resourceType: NonNullable<ReturnType<typeof findByKind>> } | undefined {
  const cluster = world.cluster(ref.clusterKey);
  const resourceType = findByKind(ref.apiVersion, ref.kind);
  return cluster === undefined || resourceType === undefined ? undefined : { cluster, resourceType };
}
