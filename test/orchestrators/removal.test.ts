/**
 * Removing a dropped region with `deprovision: delete`, through the real rollout orchestrator
 * replayed by the real SDK, over the typed fake activities: its validator is voted out, its pods
 * stop, its cluster is deleted (polled until ARM has it no more) and shown in the status, and the
 * record forgets it. A delete ARM refuses fails the rollout at `removing`, naming the region, the
 * cluster and why, with the record still holding the node — so rolling the spec out again finishes
 * the job.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { DesiredState } from "../../lib/domain/spec.js";
import { exampleSpec, readRecord, runRollout, useFakeHost } from "./fake-rollouts.js";

useFakeHost();

const DROPPED = "italynorth";

/** The small example on its four regions plus `extra`, deleting the clusters of dropped regions. */
function specOf(network: string, extra: readonly string[]): DesiredState {
  const spec = exampleSpec("chain138-small.yaml", network);
  return {
    ...spec,
    regions: [
      ...spec.regions,
      ...extra.map((name) => ({ ...(spec.regions[1] as DesiredState["regions"][number]), name })),
    ],
    rollout: { ...spec.rollout, deprovision: "delete" },
  };
}

describe("removal with deprovision: delete", () => {
  test("a refused delete fails the rollout at removing and keeps the node on record; the next rollout finishes it", async () => {
    const formed = await runRollout(specOf("drop", [DROPPED]), {});
    assert.equal(formed.status.state, "Succeeded", JSON.stringify(formed.status.regions));
    const dropped = readRecord("drop").members.find((member) => member.nodeId === `${DROPPED}/validator-1`);
    assert.ok(dropped, "the dropped region's validator is on record");
    const smaller = specOf("drop", []);
    const regions = smaller.regions.map((region) => region.name);

    const refused = await runRollout(smaller, { deleteRefused: [DROPPED] }, undefined, { ordinal: 2, regions });
    assert.equal(refused.status.state, "Failed");
    assert.equal(refused.status.failure?.phase, "removing");
    assert.match(
      refused.status.failure?.reason ?? "",
      new RegExp(`${DROPPED}: deleting cluster aks-drop-${DROPPED} failed: .*not allowed`),
    );
    assert.deepEqual(
      refused.status.clusterDeletions?.map((deletion) => [deletion.clusterName, deletion.state]),
      [[`aks-drop-${DROPPED}`, "Failed"]],
    );
    const kept = readRecord("drop");
    assert.ok(!kept.validators.includes(dropped.address), "the validator was voted out");
    assert.ok(
      kept.members.some((member) => member.nodeId === dropped.nodeId),
      "the record still holds the node whose cluster is not deleted",
    );

    const finished = await runRollout(smaller, {}, undefined, { ordinal: 3, regions });
    assert.equal(finished.status.state, "Succeeded", JSON.stringify(finished.status.failure));
    assert.deepEqual(
      finished.status.clusterDeletions?.map((deletion) => [deletion.clusterName, deletion.state]),
      [[`aks-drop-${DROPPED}`, "Deleted"]],
    );
    assert.ok(finished.status.phases.some((phase) => phase.phase === "removing"));
    const forgotten = readRecord("drop");
    assert.ok(!forgotten.members.some((member) => member.region === DROPPED), "the record forgot the region");
    assert.ok(!(forgotten.nodes ?? []).some((node) => node.region === DROPPED));
  });
});
