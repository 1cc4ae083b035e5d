/**
 * Whether a wave restarts a node's pod, from what its StatefulSet and pod say (the asking and the
 * delete are lib/kube/restarts.ts). The StatefulSets are OnDelete: a changed template waits until
 * the pod is deleted. A pod already of the StatefulSet's update revision — or no pod, which the
 * controller is creating from the current template — is left alone, so a wave that runs again
 * after a crash never restarts a node twice; until the controller observed the newest template,
 * its update revision says nothing yet.
 */

/** The StatefulSet's template generation and what its controller made of it. */
export interface StatefulSetRevision {
  generation?: number;
  observedGeneration?: number;
  updateRevision?: string;
}

/** A pod's template revision (its `controller-revision-hash` label); undefined: no pod. */
export type PodRevision = { revision?: string } | undefined;

export type RestartDecision = "restart" | "current" | "notObserved";

export function restartDecision(set: StatefulSetRevision, pod: PodRevision): RestartDecision {
  if (set.updateRevision === undefined || (set.observedGeneration ?? 0) < (set.generation ?? 0)) return "notObserved";
  if (pod === undefined || pod.revision === set.updateRevision) return "current";
  return "restart";
}
