/**
 * Deprovisioning, the last step of the removing phase: under `rollout.deprovision: delete`, the
 * clusters the change plan lists as dropped (they ran only removed nodes) are deleted through
 * ARM, all at once, once their validators were voted out and their pods stopped. Each poll calls
 * `deleteCluster` again, which starts a delete only when none is under way and answers `Deleted`
 * once ARM has no such cluster, so a replay or a later rollout deletes nothing twice. Each
 * cluster's progress shows in the status; a delete that fails or is not done within
 * clusterTimeoutMinutes is the removing phase's failure, naming the region, the cluster and why.
 */
import type { Task } from "durable-functions";
import { deleteCluster } from "../../activities/deprovision.js";
import type { DroppedCluster } from "../../lib/domain/changes/plan.js";
import { recordClusterDeletion } from "../../lib/domain/deprovision-status.js";
import { activity, settleAll, sleepUnlessCanceled } from "../durable.js";
import { advance, quietRetryScope, type RolloutRun, type RolloutState } from "./run.js";

export type Deprovisioned = { state: RolloutState; failure?: string };

const deletionOf = (cluster: DroppedCluster) => ({ region: cluster.region, clusterName: cluster.clusterName });

/** Deletes the plan's dropped clusters; the state with their progress, and why not all are gone. */
export function* deprovisionDroppedClusters(
  run: RolloutRun,
  initial: RolloutState,
): Generator<Task, Deprovisioned, unknown> {
  let state = initial;
  let pending = initial.changes?.droppedClusters ?? [];
  const { context, spec } = run;
  const deadline = context.df.currentUtcDateTime.getTime() + spec.rollout.clusterTimeoutMinutes * 60_000;
  const reported = new Set<string>();
  while (pending.length > 0) {
    const outcomes = yield* settleAll(
      context,
      pending.map((cluster) =>
        activity(
          context,
          deleteCluster,
          {
            cluster: { resourceGroup: cluster.resourceGroup, clusterName: cluster.clusterName, region: cluster.region },
          },
          quietRetryScope(run),
        ),
      ),
    );
    const failures: string[] = [];
    const deleting: DroppedCluster[] = [];
    for (const [index, outcome] of outcomes.entries()) {
      const cluster = pending[index] as DroppedCluster;
      if (!outcome.ok) {
        const reason = `${cluster.region}: deleting cluster ${cluster.clusterName} failed: ${outcome.cause}`;
        failures.push(reason);
        state = advance(run, state, (status, at) =>
          recordClusterDeletion(status, { ...deletionOf(cluster), state: "Failed", reason }, at),
        );
      } else if (outcome.value.state === "Deleted") {
        state = advance(run, state, (status, at) =>
          recordClusterDeletion(status, { ...deletionOf(cluster), state: "Deleted" }, at),
        );
      } else {
        deleting.push(cluster);
        // The status changes when the delete starts, not on every poll.
        if (!reported.has(cluster.clusterName))
          state = advance(run, state, (status, at) =>
            recordClusterDeletion(status, { ...deletionOf(cluster), state: "Deleting" }, at),
          );
        reported.add(cluster.clusterName);
      }
    }
    if (failures.length > 0) return { state, failure: failures.join("; ") };
    pending = deleting;
    if (pending.length === 0) break;
    if (run.cancel.requested) return { state, failure: "the rollout was canceled while clusters were deleting" };
    if (context.df.currentUtcDateTime.getTime() >= deadline)
      return {
        state,
        failure: pending
          .map(
            (cluster) =>
              `${cluster.region}: cluster ${cluster.clusterName} still deleting after ${spec.rollout.clusterTimeoutMinutes} minutes`,
          )
          .join("; "),
      };
    yield* sleepUnlessCanceled(context, spec.rollout.pollIntervalSeconds, run.cancel);
  }
  return { state };
}
