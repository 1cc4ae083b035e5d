/**
 * How the cloud's own tools (drift actions, the control API, plugins) look into the simulated
 * Kubernetes side: a cluster found by its ARM name, and its pods together with where they run.
 */
import { isRecord } from "./http.js";
import type { KubeCluster } from "./kube/cluster.js";
import type { KubeWorld } from "./kube/world.js";
import type { PodView } from "./plugin.js";

/** Finds `<subscription>/<resourceGroup>/<cluster>`; the simulator's own subscription when none is named. */
export type ClusterFinder = (
  subscriptionId: string | undefined,
  resourceGroup: string,
  name: string,
) => KubeCluster | undefined;

export function clusterFinder(world: KubeWorld, defaultSubscriptionId: string): ClusterFinder {
  return (subscriptionId, resourceGroup, name) =>
    world.cluster(`${subscriptionId ?? defaultSubscriptionId}/${resourceGroup}/${name}`);
}

export function podViews(cluster: KubeCluster): PodView[] {
  return cluster.allPods().map(({ pod, lifecycle }) => {
    const metadata = isRecord(pod.metadata) ? pod.metadata : {};
    return {
      clusterKey: cluster.info.key,
      location: {
        subscriptionId: cluster.info.subscriptionId,
        resourceGroup: cluster.info.resourceGroup,
        clusterName: cluster.info.name,
        region: cluster.info.region,
        namespace: String(metadata.namespace),
        podName: String(metadata.name),
        podIP: lifecycle?.ip ?? "",
      },
      pod,
      running: lifecycle?.running() ?? new Map(),
    };
  });
}
