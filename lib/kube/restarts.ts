/**
 * Restarting one node's pod for a wave. The StatefulSets are OnDelete: a changed template waits
 * until its pod is deleted, and the controller then recreates the pod from the new template with
 * the same name and data volume. A pod already of the StatefulSet's update revision is left
 * alone, so a wave that runs again after a crash never restarts a node twice. A removed node's
 * StatefulSet is deleted (its pod stops; the retained data volume stays, as the manifests ask).
 */
import { z } from "zod";
import type { NodePlan } from "../domain/plan.js";
import { KubeStatusError, type KubeCluster } from "./cluster.js";

const statefulSetSchema = z.object({
  metadata: z.object({ generation: z.number().optional() }).loose(),
  status: z
    .object({ observedGeneration: z.number().optional(), updateRevision: z.string().optional() })
    .loose()
    .optional(),
});
const podSchema = z.object({
  metadata: z.object({ labels: z.record(z.string(), z.string()).optional() }).loose(),
});

/** What became of a node's pod: deleted for a restart, already current, or the template not yet observed. */
export type RestartOutcome = "restarted" | "current" | "notObserved";

const path = (namespace: string, kind: "pods" | "statefulsets", name: string): string =>
  `${kind === "pods" ? "/api/v1" : "/apis/apps/v1"}/namespaces/${encodeURIComponent(namespace)}/${kind}/${encodeURIComponent(name)}`;

async function getOrUndefined(kube: KubeCluster, url: string): Promise<unknown> {
  try {
    return (await kube.request("GET", url)).json;
  } catch (error) {
    if (error instanceof KubeStatusError && error.status === 404) return undefined;
    throw error;
  }
}

/** Deletes the node's pod if it runs an older template than its StatefulSet's. */
export async function restartIfStale(kube: KubeCluster, namespace: string, node: NodePlan): Promise<RestartOutcome> {
  const set = statefulSetSchema.parse(
    await getOrUndefined(kube, path(namespace, "statefulsets", node.statefulSetName)),
  );
  const updateRevision = set.status?.updateRevision;
  if (updateRevision === undefined || (set.status?.observedGeneration ?? 0) < (set.metadata.generation ?? 0))
    return "notObserved";
  const raw = await getOrUndefined(kube, path(namespace, "pods", node.podName));
  // No pod: the controller is creating it, from the current template.
  if (raw === undefined) return "current";
  if (podSchema.parse(raw).metadata.labels?.["controller-revision-hash"] === updateRevision) return "current";
  try {
    await kube.request("DELETE", path(namespace, "pods", node.podName));
  } catch (error) {
    if (!(error instanceof KubeStatusError && error.status === 404)) throw error;
  }
  return "restarted";
}

/** Deletes a StatefulSet; one already gone counts as deleted. */
export async function deleteStatefulSet(kube: KubeCluster, namespace: string, name: string): Promise<void> {
  try {
    await kube.request("DELETE", path(namespace, "statefulsets", name));
  } catch (error) {
    if (!(error instanceof KubeStatusError && error.status === 404)) throw error;
  }
}
