/**
 * Deprovisioning (`rollout.deprovision: delete`): the cluster of a region the spec dropped is
 * deleted through ARM once its validators were voted out and its pods stopped. One activity both
 * starts the delete and polls it — each call reads the cluster and starts a delete only when none
 * is under way — so the orchestrator calls it every poll interval until it answers `Deleted`, and a
 * replay or a second rollout deletes nothing twice. Carries names only.
 */
import { z } from "zod";
import { clusterRefSchema, contract, outcome } from "./contracts.js";
import { define } from "./define.js";
import type { ActivityDependencies } from "./factory.js";

/** Starts (or finds) the cluster's delete; `Deleted` once ARM no longer has it. */
export const deleteCluster = contract(
  "deleteCluster",
  z.object({ cluster: clusterRefSchema }),
  outcome({ state: z.enum(["Deleting", "Deleted"]) }),
);

export const deprovisionActivityContracts = { deleteCluster } as const;

export function deprovisionActivities({ arm }: ActivityDependencies) {
  return {
    deleteCluster: define(deleteCluster, async ({ cluster }) => ({
      ok: true as const,
      state: await arm.beginClusterDelete(cluster.resourceGroup, cluster.clusterName),
    })),
  };
}
