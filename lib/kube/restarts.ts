/**
 * Restarting one node's pod for a wave. The StatefulSets are OnDelete: a changed template waits
 * until its pod is deleted, and the controller then recreates the pod from the new template with
 * the same name and data volume; whether to delete it is restartDecision's
 * (lib/domain/changes/restart.ts). A removed node's StatefulSet is deleted (its pod stops; the
 * retained data volume stays, as the manifests ask).
 */
import { z } from "zod";
import { restartDecision } from "../domain/changes/restart.js";
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
  const [rawSet, rawPod] = await Promise.all([
    getOrUndefined(kube, path(namespace, "statefulsets", node.statefulSetName)),
    getOrUndefined(kube, path(namespace, "pods", node.podName)),
  ]);
  const set = statefulSetSchema.parse(rawSet);
  const decision = restartDecision(
    { ...set.status, generation: set.metadata.generation },
    rawPod === undefined
      ? undefined
      : { revision: podSchema.parse(rawPod).metadata.labels?.["controller-revision-hash"] },
  );
  if (decision !== "restart") return decision;
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
