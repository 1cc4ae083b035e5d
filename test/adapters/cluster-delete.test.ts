/**
 * Deleting a cluster of a dropped region (`rollout.deprovision: delete`) through the real AKS
 * client against the simulated ARM: the delete is started and not waited for, a cluster ARM no
 * longer has counts as deleted (a second delete is a no-op: no DELETE is sent), the
 * `deleteCluster` activity answers the same, and stopping removed nodes there is done.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { RegionPlan } from "../../lib/domain/plan.js";
import { eventually, startAdapterCloud, type AdapterCloud } from "./harness.js";

describe("cluster delete through ARM", { timeout: 300_000 }, () => {
  let env: AdapterCloud;
  let plan: RegionPlan;

  before(async () => {
    env = await startAdapterCloud();
    plan = env.plans[0] as RegionPlan;
  });

  after(async () => {
    await env?.close();
  });

  /** The DELETEs of managed clusters the simulated ARM served after `since`. */
  const deletesSince = async (since: number): Promise<number> =>
    (await env.operations(since)).filter(
      (entry) => entry.target === "arm" && entry.operation === "managedClusters.delete",
    ).length;
  const lastSeq = async (): Promise<number> => (await env.operations(0)).at(-1)?.seq ?? 0;

  it("deletes a cluster once; deleting it again, or one that never was, sends no DELETE", async () => {
    const { arm } = env.deps;
    const cluster = plan.clusters[0];
    assert.ok(cluster);
    await arm.ensureResourceGroup(plan.resourceGroup, plan.region, { "besu-fleet-network": plan.network });
    await arm.beginCluster(plan.resourceGroup, plan.region, plan.network, cluster);
    await eventually("the cluster to be provisioned", async () => {
      const state = await arm.clusterState(plan.resourceGroup, cluster.name);
      return state.provisioningState === "Succeeded" ? true : undefined;
    });

    const start = await lastSeq();
    assert.equal(await arm.beginClusterDelete(plan.resourceGroup, cluster.name), "Deleting");
    assert.equal(await deletesSince(start), 1, "one DELETE started the delete");
    await eventually("the cluster to be gone", async () =>
      (await arm.clusterState(plan.resourceGroup, cluster.name)).exists ? undefined : true,
    );

    const afterDelete = await lastSeq();
    assert.equal(await arm.beginClusterDelete(plan.resourceGroup, cluster.name), "Deleted");
    const ref = { resourceGroup: plan.resourceGroup, clusterName: cluster.name, region: plan.region };
    assert.deepEqual(await env.activities.deleteCluster({ cluster: ref }), { ok: true, state: "Deleted" });
    assert.deepEqual(
      await env.activities.deleteCluster({
        cluster: { resourceGroup: "rg-never-created", clusterName: "aks-never-created", region: plan.region },
      }),
      { ok: true, state: "Deleted" },
    );
    assert.equal(await deletesSince(afterDelete), 0, "nothing left to delete: no DELETE sent");
    // A later rollout that stops the removed nodes again finds their cluster gone: nothing runs there.
    assert.deepEqual(
      await env.activities.stopNodeWorkloads({
        cluster: ref,
        namespace: cluster.namespace,
        statefulSets: ["besu-validator-1"],
      }),
      { ok: true, deleted: ["besu-validator-1"] },
    );
  });
});
