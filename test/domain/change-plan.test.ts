/**
 * The change plan (lib/domain/changes/): per node create / update (with reasons) / unchanged /
 * remove against the recorded network, the waves that restart the updates, and the refusals.
 * The property tests cover every network size from 4 to 30 validators with random mixes of
 * changes: no wave takes down more than the limit, every wave keeps quorum, every update
 * restarts exactly once, and a region's sentries never all restart in one wave.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { faultTolerance, quorumSize } from "@besu-fleet/qbft";
import { planChanges, type ChangePlan } from "../../lib/domain/changes/plan.js";
import type { NetworkRecord } from "../../lib/domain/network-record.js";
import { DEPLOYMENT_REGIONS } from "../../lib/domain/regions.js";
import type { DesiredState } from "../../lib/domain/spec.js";
import { validSpec } from "./helpers.js";
import { recordOf } from "./network-fixtures.js";

const REGION_NAMES = DEPLOYMENT_REGIONS.map((region) => region.name);
function plannedOk(spec: DesiredState, record: NetworkRecord | undefined): ChangePlan {
  const decision = planChanges(spec, record);
  if (!decision.ok) assert.fail(`expected a plan, got ${JSON.stringify(decision.problems)}`);
  return decision.plan;
}

const nodesOf = (plan: ChangePlan) => plan.regions.flatMap((region) => region.nodes);

/** Regions with `perRegion[i]` validators and one sentry each. */
function specWith(
  perRegion: readonly number[],
  rollout: Record<string, unknown> = {},
  image = "hyperledger/besu:24.10.0",
) {
  return validSpec({
    network: { name: "chain138", besuImage: image },
    regions: perRegion.map((validators, index) => ({ name: REGION_NAMES[index], validators, sentries: 1 })),
    rollout,
  });
}

/** The invariants every plan keeps. */
function assertSafe(plan: ChangePlan): void {
  const updated = nodesOf(plan).filter((node) => node.action === "update");
  const restarted = plan.waves.flatMap((wave) => wave.nodes);
  assert.deepEqual([...restarted].sort(), updated.map((node) => node.nodeId).sort(), "each update restarts once");
  for (const wave of plan.waves) {
    assert.ok(wave.validatorsDown.length <= plan.maxValidatorsDown, `wave ${wave.index} within the limit`);
    assert.ok(wave.validatorsUp >= quorumSize(plan.validators), `wave ${wave.index} keeps quorum`);
    assert.equal(wave.quorumKept, true);
    const regions = wave.nodes.filter((id) => id.includes("/sentry-")).map((id) => id.split("/")[0]);
    assert.equal(new Set(regions).size, regions.length, `wave ${wave.index} restarts one sentry per region at most`);
  }
  assert.ok(plan.maxValidatorsDown <= faultTolerance(plan.validators));
}

describe("change plan", () => {
  it("plans every node as created for a network that has not formed, with no waves", () => {
    const plan = plannedOk(specWith([1, 1, 1, 1]), undefined);
    assert.deepEqual(new Set(nodesOf(plan).map((node) => node.action)), new Set(["create"]));
    assert.deepEqual(plan.waves, []);
    assert.deepEqual(plan.applied, []);
  });

  it("changes nothing when the spec is what was applied", () => {
    const spec = specWith([1, 1, 1, 1]);
    const plan = plannedOk(spec, recordOf(spec));
    assert.deepEqual(new Set(nodesOf(plan).map((node) => node.action)), new Set(["unchanged"]));
    assert.deepEqual(plan.waves, []);
    assert.deepEqual(plan.removals, []);
  });

  it("restarts an image upgrade of 24 validators one at a time, then the sentries region by region", () => {
    const record = recordOf(specWith(Array(24).fill(1)));
    const plan = plannedOk(specWith(Array(24).fill(1), {}, "hyperledger/besu:24.12.0"), record);
    assert.equal(plan.waves.length, 24 + 1);
    assert.deepEqual(plan.waves[0], {
      index: 1,
      kind: "validators",
      nodes: [`${REGION_NAMES[0]}/validator-1`],
      validatorsDown: [`${REGION_NAMES[0]}/validator-1`],
      validatorsUp: 23,
      quorum: 16,
      quorumKept: true,
    });
    assert.equal(plan.waves[24]?.kind, "sentries");
    assert.equal(plan.waves[24]?.nodes.length, 24);
    assert.deepEqual(nodesOf(plan)[0]?.reasons, ["image"]);
    assertSafe(plan);
  });

  it("names each reason: flags when the node's address changes, resources, several at once", () => {
    const spec = specWith([1, 1, 1, 1]);
    const record = recordOf(spec);
    const moved: NetworkRecord = {
      ...record,
      members: record.members.map((member, index) => (index === 0 ? { ...member, p2pHost: "20.9.9.9" } : member)),
    };
    assert.deepEqual(nodesOf(plannedOk(spec, moved))[0]?.reasons, ["flags"]);
    const bigger = validSpec({
      network: { name: "chain138", besuImage: "hyperledger/besu:25.1.0", resources: { validator: { cpu: "2" } } },
      regions: spec.regions,
    });
    const plan = plannedOk(bigger, record);
    assert.deepEqual(nodesOf(plan).find((node) => node.role === "validator")?.reasons, ["image", "resources"]);
    assert.deepEqual(nodesOf(plan).find((node) => node.role === "sentry")?.reasons, ["image"]);
  });

  it("restarts every node of a record without fingerprints once, as unrecorded", () => {
    const spec = specWith([1, 1, 1, 1]);
    const older = recordOf(spec);
    delete older.nodes;
    const plan = plannedOk(spec, older);
    assert.deepEqual(new Set(nodesOf(plan).flatMap((node) => node.reasons)), new Set(["unrecorded"]));
    assertSafe(plan);
  });

  it("removes the nodes of a dropped region: its validators by vote, with the deprovision policy", () => {
    const record = recordOf(specWith([1, 1, 1, 1, 1, 1, 1]));
    const plan = plannedOk(specWith([1, 1, 1, 1, 1], { deprovision: "delete" }), record);
    assert.deepEqual(
      plan.removals.map((removal) => [removal.nodeId, removal.address !== undefined]),
      [
        [`${REGION_NAMES[5]}/validator-1`, true],
        [`${REGION_NAMES[5]}/sentry-1`, false],
        [`${REGION_NAMES[6]}/validator-1`, true],
        [`${REGION_NAMES[6]}/sentry-1`, false],
      ],
    );
    assert.equal(plan.regions.find((region) => region.region === REGION_NAMES[6])?.action, "remove");
    assert.equal(plan.deprovision, "delete");
    assert.deepEqual(plan.waves, []);
  });

  it("lists the clusters of dropped regions for deletion under deprovision: delete, none under retain", () => {
    const record = recordOf(specWith([1, 1, 1, 1, 1, 1, 1]));
    const deleting = plannedOk(specWith([1, 1, 1, 1, 1], { deprovision: "delete" }), record);
    assert.deepEqual(
      deleting.droppedClusters,
      [5, 6].map((index) => ({
        region: REGION_NAMES[index],
        clusterOrdinal: 1,
        resourceGroup: `rg-chain138-${REGION_NAMES[index]}`,
        clusterName: `aks-chain138-${REGION_NAMES[index]}`,
      })),
    );
    assert.deepEqual(plannedOk(specWith([1, 1, 1, 1, 1]), record).droppedClusters, [], "retain is the default");
    assert.deepEqual(plannedOk(specWith([1, 1, 1, 1, 1, 1, 1], { deprovision: "delete" }), record).droppedClusters, []);
  });

  it("keeps the cluster of a region that stays with fewer nodes, even under deprovision: delete", () => {
    const record = recordOf(specWith([2, 1, 1, 1, 1, 1, 1]));
    const plan = plannedOk(specWith([1, 1, 1, 1, 1, 1, 1], { deprovision: "delete" }), record);
    assert.deepEqual(
      plan.removals.map((removal) => removal.nodeId),
      [`${REGION_NAMES[0]}/validator-2`],
    );
    assert.deepEqual(plan.droppedClusters, []);
  });

  it("refuses a limit above f, for the network and for the spec, saying why", () => {
    const record = recordOf(specWith(Array(7).fill(1)));
    const decision = planChanges(specWith(Array(7).fill(1), { maxUnavailableValidators: 3 }), record);
    assert.equal(decision.ok, false);
    assert.ok(!decision.ok && decision.problems.some((problem) => problem.path === "rollout.maxUnavailableValidators"));
    assert.match(
      JSON.stringify(!decision.ok && decision.problems),
      /above f = ⌊\(n − 1\) \/ 3⌋ = 2 for the network's 7/,
    );
    assert.equal(planChanges(specWith(Array(7).fill(1), { maxUnavailableValidators: 2 }), record).ok, true);
    // Growing to 10 validators allows 3 for the spec, but the network has 7 when the waves run.
    assert.equal(planChanges(specWith(Array(10).fill(1), { maxUnavailableValidators: 3 }), record).ok, false);
  });

  it("refuses removing so many validators that the ones staying could not vote them out", () => {
    const record = recordOf(specWith(Array(8).fill(1)));
    const half = planChanges(specWith([1, 1, 1, 1]), record);
    assert.ok(!half.ok && half.problems.some((problem) => /the 4 that stay are not a majority/.test(problem.message)));
    assert.equal(planChanges(specWith([1, 1, 1, 1, 1]), record).ok, true);
  });

  it("keeps quorum in every wave for every n from 4 to 30 and every mix of changes", () => {
    const mix = fc.integer({ min: 4, max: 30 }).chain((validators) =>
      fc.record({
        validators: fc.constant(validators),
        spread: fc.integer({ min: 1, max: 4 }),
        limit: fc.integer({ min: 1, max: Math.max(1, faultTolerance(validators)) }),
        image: fc.boolean(),
        cpu: fc.boolean(),
        movedNodes: fc.array(fc.nat(), { maxLength: 4 }),
        unrecordedNodes: fc.array(fc.nat(), { maxLength: 4 }),
        addedRegions: fc.integer({ min: 0, max: 2 }),
        droppedRegions: fc.integer({ min: 0, max: 2 }),
      }),
    );
    fc.assert(
      fc.property(mix, (input) => {
        // `validators` spread over regions of up to `spread` validators each, one sentry each.
        const perRegion: number[] = [];
        for (let left = input.validators; left > 0; left -= perRegion[perRegion.length - 1] ?? 1)
          perRegion.push(Math.min(left, input.spread));
        if (perRegion.length + input.addedRegions > REGION_NAMES.length) return;
        const kept = perRegion.slice(0, Math.max(0, perRegion.length - input.droppedRegions));
        const target = [...kept, ...Array<number>(input.addedRegions).fill(1)];
        const targetValidators = target.reduce((sum, count) => sum + count, 0);
        if (targetValidators < 4) return; // the spec itself is invalid: fewer than rollout.minValidators
        const base = recordOf(specWith(perRegion));
        const nodes = base.nodes ?? [];
        const record: NetworkRecord = {
          ...base,
          members: base.members.map((member, index) =>
            input.movedNodes.includes(index) ? { ...member, p2pHost: "20.9.9.9" } : member,
          ),
          nodes: nodes.filter((_, index) => !input.unrecordedNodes.includes(index)),
        };
        const spec = validSpec({
          network: {
            name: "chain138",
            besuImage: input.image ? "hyperledger/besu:24.12.0" : "hyperledger/besu:24.10.0",
            resources: { validator: { cpu: input.cpu ? "1" : "500m" } },
          },
          regions: target.map((validators, index) => ({
            name: REGION_NAMES[index < kept.length ? index : perRegion.length + index - kept.length],
            validators,
            sentries: 1,
          })),
          rollout: { maxUnavailableValidators: input.limit, minValidators: 4 },
        });
        const decision = planChanges(spec, record);
        const removedValidators = perRegion.slice(kept.length).reduce((sum, count) => sum + count, 0);
        const staying = input.validators - removedValidators;
        const limitFits =
          input.limit <= faultTolerance(input.validators) && input.limit <= faultTolerance(targetValidators);
        if (!limitFits || staying * 2 <= input.validators) {
          assert.equal(decision.ok, false, "an unsafe plan is refused");
          return;
        }
        if (!decision.ok) assert.fail(JSON.stringify(decision.problems));
        const plan = decision.plan;
        assertSafe(plan);
        const actions = nodesOf(plan);
        assert.equal(
          actions.filter((node) => node.action === "remove" && node.role === "validator").length,
          removedValidators,
        );
        assert.equal(actions.filter((node) => node.action === "create").length, input.addedRegions * 2);
        if (input.image)
          assert.equal(
            plan.waves.filter((wave) => wave.kind === "validators").length,
            Math.ceil(staying / input.limit),
          );
      }),
      { seed: 138, numRuns: 200 },
    );
  });
});
