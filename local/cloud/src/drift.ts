/**
 * Drift: changes made behind the control plane's back (a cluster deleted elsewhere, a pool scaled
 * by hand, a pod killed, an object edited or deleted with kubectl). The control API and the
 * scenario's timed events run them; each one goes to the operation log (target `drift`).
 */
import type { ArmState } from "./arm/resources.js";
import type { ClusterFinder } from "./cluster-views.js";
import type { DriftAction } from "./faults.js";
import { findByKind } from "./kube/catalog.js";
import type { KubeCluster } from "./kube/cluster.js";
import { KubeError } from "./kube/errors.js";
import type { OperationLog } from "./oplog.js";

/** Runs one drift action; false when its target does not exist. */
export type DriftRunner = (action: DriftAction) => boolean;

export interface DriftTargets {
  /** Targets without a subscription are in this one (the simulator's). */
  subscriptionId: string;
  arm: ArmState;
  findCluster: ClusterFinder;
  operationLog: OperationLog;
  log: (line: string) => void;
}

export function createDriftRunner(targets: DriftTargets): DriftRunner {
  return (action) => {
    const subscriptionId = action.subscriptionId ?? targets.subscriptionId;
    const done = applyDrift(action, subscriptionId, targets);
    targets.operationLog.record({
      time: new Date().toISOString(),
      target: "drift",
      cluster: `${subscriptionId}/${action.resourceGroup}/${action.cluster}`.toLowerCase(),
      operation: action.type,
      status: done ? "Succeeded" : "NotFound",
      durationMs: 0,
      throttled: false,
    });
    targets.log(
      `drift: ${action.type} on ${action.resourceGroup}/${action.cluster}: ${done ? "done" : "target not found"}`,
    );
    return done;
  };
}

function applyDrift(action: DriftAction, subscriptionId: string, { arm, findCluster }: DriftTargets): boolean {
  switch (action.type) {
    case "deleteCluster":
      return arm.driftDeleteCluster(subscriptionId, action.resourceGroup, action.cluster);
    case "scalePool":
      return arm.driftScalePool(subscriptionId, action.resourceGroup, action.cluster, action.pool, action.count);
    case "killPod":
      return (
        findCluster(subscriptionId, action.resourceGroup, action.cluster)?.killPod(action.namespace, action.pod) ??
        false
      );
    case "editObject":
    case "deleteObject":
      return changeObject(action, findCluster(subscriptionId, action.resourceGroup, action.cluster));
  }
}

/** Edits or deletes an object as `kubectl` would; false when the cluster, the kind or the object does not exist. */
function changeObject(
  action: Extract<DriftAction, { type: "editObject" | "deleteObject" }>,
  cluster: KubeCluster | undefined,
): boolean {
  const resourceType = findByKind(action.apiVersion, action.kind);
  if (cluster === undefined || resourceType === undefined) return false;
  try {
    if (action.type === "editObject")
      cluster.patch(resourceType, action.namespace, action.name, "application/merge-patch+json", action.mergePatch, {
        fieldManager: "kubectl-edit",
      });
    else cluster.delete(resourceType, action.namespace, action.name);
    return true;
  } catch (error) {
    if (error instanceof KubeError && error.code === 404) return false;
    throw error;
  }
}
