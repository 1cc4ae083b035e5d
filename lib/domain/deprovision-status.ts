/**
 * What the status shows of deprovisioning (`rollout.deprovision: delete`): each cluster of a
 * dropped region the rollout deletes, and how far its delete got — under way, done, or failed
 * with the reason. Part of the rollout's status (rollout-status.ts); pure transitions.
 */
import { z } from "zod";
import type { RolloutStatus } from "./rollout-status.js";

export const clusterDeletionSchema = z.object({
  region: z.string().min(1),
  clusterName: z.string().min(1),
  state: z.enum(["Deleting", "Deleted", "Failed"]),
  /** Why a delete failed. */
  reason: z.string().optional(),
  at: z.iso.datetime({ offset: true }),
});
export type ClusterDeletion = z.infer<typeof clusterDeletionSchema>;

/** The status with the cluster's delete at `deletion.state` (one entry per cluster, in first-seen order). */
export function recordClusterDeletion(
  status: RolloutStatus,
  deletion: Omit<ClusterDeletion, "at">,
  at: string,
): RolloutStatus {
  const entry: ClusterDeletion = { ...deletion, at };
  const earlier = status.clusterDeletions ?? [];
  const known = earlier.some((existing) => existing.clusterName === deletion.clusterName);
  return {
    ...status,
    clusterDeletions: known
      ? earlier.map((existing) => (existing.clusterName === deletion.clusterName ? entry : existing))
      : [...earlier, entry],
    updatedAt: at,
  };
}
